"""The portal's view of its Keycloak realm: configuration, discovery and signing keys.

Everything here reads Django settings when it is called, never at import, so that a
deployment (or a test) can switch Keycloak on without re-importing the portal. The
discovery document and the realm's public keys are kept in Django's cache: a request
carrying a bearer token must not cost a round trip to Keycloak.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from jwcrypto import jwk
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

log = logging.getLogger(__name__)

# Asymmetric algorithms only: a symmetric one would let anyone holding the public
# key (which is public) forge tokens.
SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256", "PS256"})
DISCOVERY_TTL = 3600
JWKS_TTL = 3600
# An unknown kid makes the portal fetch the keys again, but not more often than
# this, so a flood of made-up kids cannot become a flood of requests to Keycloak.
JWKS_REFETCH_COOLDOWN = 5
HTTP_TIMEOUT = 10


class KeycloakUnavailable(Exception):
    """Keycloak could not be reached or answered something unusable."""


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
        timeout=HTTP_TIMEOUT,
    )


def discovery(config: KeycloakConfig | None = None) -> dict:
    """The realm's /.well-known/openid-configuration, cached."""
    config = config or keycloak_config()
    key = f"{config.cache_prefix}:discovery"
    document = cache.get(key)
    if document is None:
        try:
            document = openid_client(config).well_known()
        except (KeycloakError, OSError, ValueError, TypeError) as exc:
            raise KeycloakUnavailable(f"cannot read the realm's discovery document: {exc}") from exc
        issuer = str(document.get("issuer", ""))
        # The browser may reach Keycloak under another host name than the portal
        # does, so the issuer comes from discovery; the realm must still be ours.
        if not issuer.rstrip("/").endswith(f"/realms/{config.realm}"):
            raise KeycloakUnavailable(
                f"discovery names issuer {issuer!r}, not realm {config.realm}"
            )
        cache.set(key, document, DISCOVERY_TTL)
    return document


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
    document = None if refresh else cache.get(key)
    if document is None:
        document = _fetch_jwks(config)
        cache.set(key, document, JWKS_TTL)
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
        keys = signing_keys(config, refresh=True)
    return keys.get(kid)


def forget_realm_cache(config: KeycloakConfig | None = None) -> None:
    config = config or keycloak_config()
    cache.delete_many(
        [f"{config.cache_prefix}:{name}" for name in ("discovery", "jwks", "jwks-refetch")]
    )
