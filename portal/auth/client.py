"""The portal's view of its Keycloak realm: configuration, discovery and signing keys.

Everything here reads Django settings when it is called, never at import, so that a
deployment (or a test) can switch Keycloak on without re-importing the portal. The
discovery document and the realm's public keys are kept in Django's cache: a request
carrying a bearer token must not cost a round trip to Keycloak.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from jwcrypto import jwk
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

log = logging.getLogger(__name__)

# Asymmetric algorithms only: a symmetric one would let anyone holding the public
# key (which is public) forge tokens.
SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256", "PS256"})
DISCOVERY_TTL = 3600
JWKS_TTL = 3600
# The last good copy of the discovery document and of the keys outlives the fresh
# one by far: while Keycloak is down, sign-ins wait, but tokens already issued keep
# validating and the sign-in page can still be built.
LAST_GOOD_TTL = 7 * 24 * 3600
LAST_GOOD_RETRY = 30
# An unknown kid makes the portal fetch the keys again, but not more often than
# this, so a flood of made-up kids cannot become a flood of requests to Keycloak.
JWKS_REFETCH_COOLDOWN = 5
# Only these answers from Keycloak's token endpoint mean "no": the grant (code,
# refresh token) is not valid, the user is disabled or the session was revoked.
# Everything else (no connection, a timeout, 5xx, 429, a proxy's HTML page, a
# client misconfiguration) says nothing about the person's session.
REFUSAL_ERRORS = frozenset({"invalid_grant"})


class KeycloakUnavailable(Exception):
    """Keycloak could not be reached or answered something unusable."""


def http_timeout() -> float:
    return float(getattr(settings, "KEYCLOAK_TIMEOUT", 10))


def keycloak_refused(exc: BaseException) -> bool:
    """Whether a python-keycloak error is Keycloak's "no" (as opposed to "not now")."""
    if not isinstance(exc, KeycloakError) or isinstance(exc, KeycloakConnectionError):
        return False
    if exc.response_code != 400:
        return False
    try:
        body = json.loads(exc.response_body or b"{}")
    except (ValueError, TypeError):
        return False
    return isinstance(body, dict) and body.get("error") in REFUSAL_ERRORS


@dataclass(frozen=True)
class KeycloakConfig:
    server_url: str
    realm: str
    client_id: str
    client_secret: str
    verify_tls: bool

    @property
    def cache_prefix(self) -> str:
        digest = hashlib.sha256(f"{self.server_url}|{self.realm}".encode()).hexdigest()[:16]
        return f"portal:keycloak:{digest}"


def keycloak_enabled() -> bool:
    return bool(
        getattr(settings, "KEYCLOAK_ENABLED", False)
        and settings.KEYCLOAK_SERVER_URL
        and settings.KEYCLOAK_REALM
        and settings.KEYCLOAK_CLIENT_ID
    )


def keycloak_config() -> KeycloakConfig:
    return KeycloakConfig(
        server_url=settings.KEYCLOAK_SERVER_URL.rstrip("/"),
        realm=settings.KEYCLOAK_REALM,
        client_id=settings.KEYCLOAK_CLIENT_ID,
        client_secret=settings.KEYCLOAK_CLIENT_SECRET or "",
        verify_tls=settings.KEYCLOAK_VERIFY_TLS,
    )


def openid_client(config: KeycloakConfig | None = None) -> KeycloakOpenID:
    config = config or keycloak_config()
    return KeycloakOpenID(
        server_url=config.server_url + "/",
        realm_name=config.realm,
        client_id=config.client_id,
        client_secret_key=config.client_secret or None,
        verify=config.verify_tls,
        timeout=http_timeout(),
        # Each call builds a new client (no pooled connection can have gone stale),
        # so python-keycloak's retry would only double a timeout and resend a
        # refresh token.
        max_retries=0,
    )


def _last_good(key: str, fetch, ttl: int):
    """``fetch()``'s answer, cached for ``ttl``; when fetching fails, the last good
    answer (kept much longer) if there is one."""
    document = cache.get(key)
    if document is not None:
        return document
    try:
        document = fetch()
    except KeycloakUnavailable as exc:
        document = cache.get(f"{key}:last-good")
        if document is None:
            raise
        log.warning("Keycloak unavailable, using the last good %s: %s", key.rsplit(":")[-1], exc)
        # Served as fresh for a little while: requests must not each wait for a
        # Keycloak that is down or slow.
        cache.set(key, document, LAST_GOOD_RETRY)
        return document
    cache.set(key, document, ttl)
    cache.set(f"{key}:last-good", document, LAST_GOOD_TTL)
    return document


def _fetch_discovery(config: KeycloakConfig) -> dict:
    try:
        document = openid_client(config).well_known()
    except (KeycloakError, OSError, ValueError, TypeError) as exc:
        raise KeycloakUnavailable(f"cannot read the realm's discovery document: {exc}") from exc
    if not isinstance(document, dict):
        raise KeycloakUnavailable("the discovery document is not a JSON object")
    issuer = str(document.get("issuer", ""))
    # The browser may reach Keycloak under another host name than the portal
    # does, so the issuer comes from discovery; the realm must still be ours.
    if not issuer.rstrip("/").endswith(f"/realms/{config.realm}"):
        raise KeycloakUnavailable(f"discovery names issuer {issuer!r}, not realm {config.realm}")
    return document


def discovery(config: KeycloakConfig | None = None) -> dict:
    """The realm's /.well-known/openid-configuration, cached."""
    config = config or keycloak_config()
    return _last_good(
        f"{config.cache_prefix}:discovery", lambda: _fetch_discovery(config), DISCOVERY_TTL
    )


def authorization_url(config: KeycloakConfig | None = None, **params: str) -> str:
    """Keycloak's authorize endpoint (from the cached discovery document) with
    ``params`` and this client's id, properly encoded."""
    config = config or keycloak_config()
    endpoint = discovery(config)["authorization_endpoint"]
    query = urlencode({"client_id": config.client_id, "response_type": "code", **params})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def expected_issuer(config: KeycloakConfig | None = None) -> str:
    return discovery(config)["issuer"]


def _fetch_jwks(config: KeycloakConfig) -> dict:
    try:
        return openid_client(config).certs()
    except (KeycloakError, OSError, ValueError, TypeError) as exc:
        raise KeycloakUnavailable(f"cannot read the realm's keys: {exc}") from exc


def signing_keys(config: KeycloakConfig | None = None, *, refresh: bool = False) -> dict:
    """The realm's signing keys as {kid: JWK}, from the cache unless ``refresh``."""
    config = config or keycloak_config()
    key = f"{config.cache_prefix}:jwks"
    if refresh:
        cache.delete(key)
    document = _last_good(key, lambda: _fetch_jwks(config), JWKS_TTL)
    keys = {}
    for item in document.get("keys", []):
        if item.get("use", "sig") != "sig" or "kid" not in item:
            continue
        if item.get("alg") and item["alg"] not in SUPPORTED_ALGORITHMS:
            continue
        try:
            keys[item["kid"]] = jwk.JWK(**item)
        except (ValueError, TypeError, jwk.InvalidJWKValue):
            log.warning("ignoring an unusable key %s in the realm's JWKS", item.get("kid"))
    return keys


def signing_key(kid: str, config: KeycloakConfig | None = None) -> jwk.JWK | None:
    """The key with this kid; an unknown kid triggers one refetch (key rotation)."""
    config = config or keycloak_config()
    keys = signing_keys(config)
    if kid in keys:
        return keys[kid]
    if cache.add(f"{config.cache_prefix}:jwks-refetch", 1, JWKS_REFETCH_COOLDOWN):
        # Falls back to the last good keys when Keycloak cannot be asked.
        keys = signing_keys(config, refresh=True)
    return keys.get(kid)


def forget_realm_cache(config: KeycloakConfig | None = None) -> None:
    config = config or keycloak_config()
    cache.delete_many(
        [
            f"{config.cache_prefix}:{name}"
            for name in (
                "discovery",
                "discovery:last-good",
                "jwks",
                "jwks:last-good",
                "jwks-refetch",
            )
        ]
    )
