"""Local verification of the JWTs Keycloak issues: access, ID and logout tokens.

Each check fails with its own code, so an API client is told exactly why its token
was refused, and a test can prove every check exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from jwcrypto import jws
from jwcrypto.common import JWException

from portal.auth.client import (
    SUPPORTED_ALGORITHMS,
    KeycloakConfig,
    expected_issuer,
    keycloak_config,
    signing_key,
)

LEEWAY_SECONDS = 30
# A logout token without "exp" (older Keycloaks send none) is accepted this long
# after its "iat", and every logout token's jti is remembered as long: a replayed
# token is refused.
LOGOUT_TOKEN_MAX_AGE = 600
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

# Keycloak's "typ" claim tells its tokens apart; a refresh or ID token must never
# open the API.
TYP_ACCESS = "Bearer"
TYP_ID = "ID"
TYP_LOGOUT = "Logout"

MESSAGES = {
    "token_malformed": _("The token is not a well-formed signed JWT."),
    "token_algorithm_not_allowed": _("The token's signing algorithm is not accepted."),
    "token_unknown_key": _("The token was signed with a key the realm does not publish."),
    "token_bad_signature": _("The token's signature is not valid."),
    "token_wrong_issuer": _("The token was issued by another issuer."),
    "token_expired": _("The token has expired."),
    "token_not_yet_valid": _("The token is not valid yet."),
    "token_wrong_audience": _("The token was not issued for this portal."),
    "token_wrong_type": _("This kind of token is not accepted here."),
    "token_nonce_mismatch": _("The sign-in response does not belong to this sign-in attempt."),
    "token_invalid_claims": _("The token lacks required claims."),
    "token_replayed": _("This logout token has already been used."),
    "keycloak_unavailable": _("The sign-in service cannot be reached."),
}


class TokenError(Exception):
    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.code, self.code))


def _b64_json(segment: str) -> dict:
    padded = segment + "=" * (-len(segment) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise TokenError("token_malformed", "undecodable segment") from exc
    if not isinstance(value, dict):
        raise TokenError("token_malformed", "segment is not a JSON object")
    return value


def unverified_header(token: str) -> dict:
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16_384:
        raise TokenError("token_malformed", "not three dot-separated segments")
    return _b64_json(token.split(".", 1)[0])


def _verified_claims(token: str, config: KeycloakConfig) -> dict:
    header = unverified_header(token)
    alg = header.get("alg")
    if alg not in SUPPORTED_ALGORITHMS:
        raise TokenError("token_algorithm_not_allowed", f"alg {alg!r}")
    if "crit" in header:
        raise TokenError("token_malformed", "critical header parameters are not supported")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("token_unknown_key", "no kid")
    key = signing_key(kid, config)
    if key is None:
        raise TokenError("token_unknown_key", f"kid {kid!r}")
    key_alg = key.get("alg")
    if key_alg and key_alg != alg:
        raise TokenError("token_algorithm_not_allowed", f"key {kid} is for {key_alg}, not {alg}")
    signed = jws.JWS()
    try:
        signed.deserialize(token)
        signed.verify(key, alg=alg)
    except (JWException, ValueError, TypeError) as exc:
        raise TokenError("token_bad_signature", exc.__class__.__name__) from exc
    try:
        claims = json.loads(signed.payload)
    except (ValueError, UnicodeError) as exc:
        raise TokenError("token_malformed", "payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise TokenError("token_malformed", "payload is not a JSON object")
    return claims


def _check_times(claims: dict, now: float, *, require_exp: bool = True) -> None:
    exp = claims.get("exp")
    if require_exp and not isinstance(exp, int | float):
        raise TokenError("token_invalid_claims", "no exp")
    if isinstance(exp, int | float) and now > exp + LEEWAY_SECONDS:
        raise TokenError("token_expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, int | float) and now + LEEWAY_SECONDS < nbf:
        raise TokenError("token_not_yet_valid")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and now + LEEWAY_SECONDS < iat:
        raise TokenError("token_not_yet_valid", "issued in the future")


def _audiences(claims: dict) -> list[str]:
    aud = claims.get("aud", [])
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _check_common(claims: dict, config: KeycloakConfig, typ: str | Iterable[str]) -> None:
    if claims.get("iss") != expected_issuer(config):
        raise TokenError("token_wrong_issuer", f"iss {claims.get('iss')!r}")
    expected = {typ} if isinstance(typ, str) else set(typ)
    if claims.get("typ") not in expected:
        raise TokenError("token_wrong_type", f"typ {claims.get('typ')!r}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise TokenError("token_invalid_claims", "no sub")


def access_token_verify(token: str, *, config: KeycloakConfig | None = None) -> dict:
    """Claims of a valid access token for this portal; raises TokenError."""
    config = config or keycloak_config()
    claims = _verified_claims(token, config)
    _check_common(claims, config, TYP_ACCESS)
    _check_times(claims, time.time())
    # Keycloak puts the client in "aud" only with an audience mapper; "azp" always
    # names the client the token was issued to.
    if config.client_id not in _audiences(claims) and claims.get("azp") != config.client_id:
        raise TokenError("token_wrong_audience", f"aud {claims.get('aud')!r}")
    return claims


def id_token_verify(token: str, *, nonce: str | None, config: KeycloakConfig | None = None) -> dict:
    """Claims of a valid ID token from the sign-in this session started."""
    config = config or keycloak_config()
    claims = _verified_claims(token, config)
    _check_common(claims, config, TYP_ID)
    _check_times(claims, time.time())
    audiences = _audiences(claims)
    if config.client_id not in audiences:
        raise TokenError("token_wrong_audience", f"aud {claims.get('aud')!r}")
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise TokenError("token_wrong_audience", f"azp {claims.get('azp')!r}")
    if nonce is not None and not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise TokenError("token_nonce_mismatch")
    return claims


def logout_token_verify(token: str, *, config: KeycloakConfig | None = None) -> dict:
    """Claims of a valid back-channel logout token (OpenID Back-Channel Logout 1.0)."""
    config = config or keycloak_config()
    claims = _verified_claims(token, config)
    # Keycloak marks logout tokens "Logout"; the spec does not require typ at all.
    if claims.get("iss") != expected_issuer(config):
        raise TokenError("token_wrong_issuer", f"iss {claims.get('iss')!r}")
    if claims.get("typ") not in (None, TYP_LOGOUT):
        raise TokenError("token_wrong_type", f"typ {claims.get('typ')!r}")
    if config.client_id not in _audiences(claims):
        raise TokenError("token_wrong_audience", f"aud {claims.get('aud')!r}")
    _check_times(claims, time.time(), require_exp=False)
    if not isinstance(claims.get("iat"), int | float):
        raise TokenError("token_invalid_claims", "no iat")
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_LOGOUT_EVENT not in events:
        raise TokenError("token_invalid_claims", "no back-channel logout event")
    if "nonce" in claims:
        raise TokenError("token_invalid_claims", "a logout token carries no nonce")
    if not claims.get("sid") and not claims.get("sub"):
        raise TokenError("token_invalid_claims", "neither sid nor sub")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 200:
        raise TokenError("token_invalid_claims", "no jti")
    now = time.time()
    if "exp" not in claims and now > claims["iat"] + LOGOUT_TOKEN_MAX_AGE + LEEWAY_SECONDS:
        raise TokenError("token_expired", "issued too long ago")
    return claims


def logout_token_claim_once(claims: dict) -> None:
    """Remember a verified logout token's jti; raise if it was seen before."""
    now = time.time()
    until = claims.get("exp") or claims["iat"] + LOGOUT_TOKEN_MAX_AGE
    ttl = max(int(until - now) + LEEWAY_SECONDS, LEEWAY_SECONDS)
    digest = hashlib.sha256(f"{claims['iss']}|{claims['jti']}".encode()).hexdigest()[:32]
    if not cache.add(f"portal:logout-jti:{digest}", 1, ttl):
        raise TokenError("token_replayed", f"jti {claims['jti']!r}")
