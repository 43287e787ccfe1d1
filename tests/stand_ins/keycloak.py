"""A Keycloak stand-in: a real HTTP server speaking the OpenID Connect endpoints of one
realm, as python-keycloak 7 calls them (keycloak/urls_patterns.py).

It reads deploy/keycloak/realm-mlops.json, the file docker compose imports into the
real Keycloak, so users, passwords, roles, groups, the client and its protocol
mappers are the same in tests and in deployment. Tokens are RS256 JWTs signed with
real keys; claim shapes follow what the real Keycloak 26.4 that
tests/auth/test_real_keycloak.py runs answers (realm_access, resource_access, azp,
sid, typ, preferred_username, aud ["portal", "account"], iss, allowed-origins), and
so do its refusals (the code_verifier rules, "User disabled", "Session not active").
The differences found against the real server are listed in the README's
single sign-on section; tests of the portal's own logic use this stand-in, tests of
what Keycloak does use the real one.

Test controls: rotate_keys, end_session (optionally with a back-channel logout to
the portal), disable_user, set_user_roles, auto_login, sign (arbitrary tokens),
fail (answer 5xx/429, slowly or not at all, as a proxy in front of a failing
Keycloak does) and heal.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import secrets
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

from jwcrypto import jwk, jws

from tests.stand_ins.keycloak_http import KeycloakHandler, b64

ROOT = Path(__file__).resolve().parents[2]
REALM_FILE = ROOT / "deploy" / "keycloak" / "realm-mlops.json"
WELL_KNOWN_FIXTURE = ROOT / "tests" / "fixtures" / "keycloak" / "wellknown-gwdg-academiccloud.json"
WELL_KNOWN_ISSUER = "https://keycloak.sso.gwdg.de/auth/realms/academiccloud"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ACCOUNT_ROLES = ("manage-account", "manage-account-links", "view-profile")


_PROCESS_KEYS: dict[str, jwk.JWK] = {}


def _rsa(*, alg: str) -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid=b64(secrets.token_bytes(24)), alg=alg)


def _process_key(name: str, make) -> jwk.JWK:
    if name not in _PROCESS_KEYS:
        _PROCESS_KEYS[name] = make()
    return _PROCESS_KEYS[name]


@dataclass
class Session:
    sid: str
    username: str
    auth_time: int
    active: bool = True
    clients: set = field(default_factory=set)


class KeycloakStandIn:
    def __init__(self, realm_file: Path = REALM_FILE, client_id: str = "portal"):
        self.realm = json.loads(Path(realm_file).read_text(encoding="utf-8"))
        self.realm_name = self.realm["realm"]
        self.client = copy.deepcopy(
            next(c for c in self.realm["clients"] if c["clientId"] == client_id)
        )
        self.client_id = client_id
        self.client_secret = self.client.get("secret", "")
        self.users = {u["username"]: copy.deepcopy(u) for u in self.realm.get("users", [])}
        self.groups = {}
        self._index_groups(self.realm.get("groups", []))
        self.realm_roles = {r["name"]: r for r in self.realm.get("roles", {}).get("realm", [])}
        self.access_lifespan = int(self.realm.get("accessTokenLifespan", 300))
        self.idle_timeout = int(self.realm.get("ssoSessionIdleTimeout", 1800))
        self.lock = threading.RLock()
        self.keys: list[tuple[jwk.JWK, bool]] = []  # (private key, published)
        self.active_kid = ""
        # Generating RSA keys is the slowest part of starting; each stand-in starts
        # with the same keys (tests never share a stand-in), rotations make new ones.
        self.enc_key = _process_key("enc", lambda: _rsa(alg="RSA-OAEP"))
        self.hmac_key = jwk.JWK.generate(kty="oct", size=512, kid=str(uuid.uuid4()))
        first = _process_key("sig", lambda: _rsa(alg="RS256"))
        self.keys.append((first, True))
        self.active_kid = first["kid"]
        self.sessions: dict[str, Session] = {}
        self.codes: dict[str, dict] = {}
        self.auto_login_user: str | None = None
        self.backchannel_url = self.client.get("attributes", {}).get("backchannel.logout.url", "")
        self.extra_redirect_uris: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.fault: tuple[str | int, str] | None = None
        self.slow_seconds = 3.0
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> KeycloakStandIn:
        stand_in = self

        class Handler(KeycloakHandler):
            keycloak = stand_in

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def base_url(self) -> str:
        assert self.server is not None, "start() the stand-in first"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{self.realm_name}"

    def calls(self, suffix: str) -> int:
        """How many requests reached a path ending in ``suffix``."""
        with self.lock:
            return sum(1 for _m, path in self.requests if path.endswith(suffix))

    # --- test controls --------------------------------------------------------------

    def rotate_keys(self, *, keep_old: bool = True, alg: str = "RS256") -> str:
        """A new active signing key; the old ones stay published unless keep_old=False."""
        kid = b64(secrets.token_bytes(24))
        if alg == "ES256":
            key = jwk.JWK.generate(kty="EC", crv="P-256", kid=kid, alg=alg)
        else:
            key = jwk.JWK.generate(kty="RSA", size=2048, kid=kid, alg=alg)
        with self.lock:
            self.keys = [(k, keep_old and published) for k, published in self.keys]
            self.keys.append((key, True))
            self.active_kid = kid
        return kid

    def fail(self, mode: str | int, *, only: str = "") -> None:
        """From now on answer requests whose path contains ``only`` with ``mode``: an
        HTTP status (502, 503, 504 with an HTML page, 429 with Retry-After), "slow"
        (nothing for slow_seconds, then the connection closes) or "close"."""
        self.fault = (mode, only)

    def heal(self) -> None:
        self.fault = None

    def allow_redirect_prefix(self, base_url: str) -> None:
        """Like an administrator adding a redirect URI (a live server's random port)."""
        self.extra_redirect_uris.append(base_url.rstrip("/") + "/*")

    def auto_login(self, username: str | None) -> None:
        """The browser flow signs this user in without showing the login form."""
        self.auto_login_user = username

    def disable_user(self, username: str) -> None:
        with self.lock:
            self.users[username]["enabled"] = False

    def set_user_roles(
        self,
        username: str,
        *,
        realm_roles: list[str] | None = None,
        client_roles: list[str] | None = None,
        groups: list[str] | None = None,
    ) -> None:
        with self.lock:
            user = self.users[username]
            if realm_roles is not None:
                user["realmRoles"] = list(realm_roles)
            if client_roles is not None:
                user["clientRoles"] = {self.client_id: list(client_roles)}
            if groups is not None:
                user["groups"] = list(groups)

    def sessions_of(self, username: str, *, active: bool = True) -> list[Session]:
        with self.lock:
            return [
                s
                for s in self.sessions.values()
                if s.username == username and (s.active or not active)
            ]

    def end_session(self, sid: str, *, notify: bool = False) -> str:
        """End a Keycloak session as an administrator would; with ``notify`` POST a
        back-channel logout token to the client. Returns that logout token."""
        with self.lock:
            session = self.sessions[sid]
            session.active = False
        token = self.logout_token(session)
        if notify and self.backchannel_url:
            body = urlencode({"logout_token": token}).encode()
            request = urllib.request.Request(self.backchannel_url, data=body, method="POST")
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        return token

    def password_grant(
        self, username: str, password: str | None = None, *, scope: str = "openid"
    ) -> dict:
        """Tokens for a user as the token endpoint's password grant gives them."""
        user = self.users[username]
        if password is not None and password != self._password(user):
            raise ValueError("invalid credentials")
        session = self._new_session(username)
        return self._token_response(session, nonce=None, scope=scope)

    # --- signing --------------------------------------------------------------------

    def _active_key(self) -> jwk.JWK:
        with self.lock:
            return next(k for k, _p in self.keys if k["kid"] == self.active_kid)

    def sign(self, claims: dict, *, header: dict | None = None, key: jwk.JWK | None = None) -> str:
        key = key or self._active_key()
        alg = (header or {}).get("alg") or key.get("alg") or "RS256"
        protected = {"alg": alg, "typ": "JWT", "kid": key["kid"], **(header or {})}
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(key, alg=alg, protected=json.dumps(protected))
        return token.serialize(compact=True)

    def jwks(self) -> dict:
        with self.lock:
            keys = []
            for key, published in self.keys:
                if not published:
                    continue
                public = key.export_public(as_dict=True)
                public.update({"alg": key.get("alg", "RS256"), "use": "sig"})
                keys.append(public)
        enc = self.enc_key.export_public(as_dict=True)
        enc.update({"alg": "RSA-OAEP", "use": "enc"})
        return {"keys": [*keys, enc]}

    def _verify_own(self, token: str) -> dict | None:
        """Claims of a token this stand-in signed (any published or retired key)."""
        try:
            parsed = jws.JWS()
            parsed.deserialize(token)
            header = parsed.jose_header
            if header.get("alg") == "HS512":
                parsed.verify(self.hmac_key, alg="HS512")
            else:
                with self.lock:
                    key = next(k for k, _p in self.keys if k["kid"] == header.get("kid"))
                parsed.verify(key, alg=header.get("alg"))
            return json.loads(parsed.payload)
        except Exception:
            return None

    # --- users, roles, mappers ------------------------------------------------------

    def _index_groups(self, groups: list[dict], parent: str = "") -> None:
        for group in groups:
            path = group.get("path") or f"{parent}/{group['name']}"
            self.groups[path] = group
            self._index_groups(group.get("subGroups", []), path)

    @staticmethod
    def _password(user: dict) -> str:
        for credential in user.get("credentials", []):
            if credential.get("type") == "password" and "value" in credential:
                return credential["value"]
        return secrets.token_hex(16)  # hashed credentials cannot be checked here

    def _realm_roles_of(self, user: dict) -> list[str]:
        names = list(user.get("realmRoles", []))
        for path in user.get("groups", []):
            group = self.groups.get(path)
            while group is not None:
                names.extend(group.get("realmRoles", []))
                parent = path.rsplit("/", 1)[0]
                group = self.groups.get(parent) if parent else None
                path = parent
        expanded: list[str] = []
        while names:
            name = names.pop(0)
            if name in expanded:
                continue
            expanded.append(name)
            role = self.realm_roles.get(name, {})
            names.extend(role.get("composites", {}).get("realm", []))
        return expanded

    def _client_roles_of(self, user: dict) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        sources = [user.get("clientRoles", {})]
        sources += [self.groups.get(p, {}).get("clientRoles", {}) for p in user.get("groups", [])]
        for source in sources:
            for client, roles in source.items():
                bucket = result.setdefault(client, [])
                bucket.extend(r for r in roles if r not in bucket)
        return result

    def _mapped_claims(self, user: dict, kind: str) -> tuple[dict, list[str]]:
        """Claims the client's protocol mappers add to a token of ``kind``
        ("access", "id", "userinfo", "introspection"); plus the audiences."""
        claims: dict = {}
        audiences: list[str] = []
        scopes = set(self.client.get("defaultClientScopes", []))
        if "profile" in scopes:
            claims.update(
                {
                    "preferred_username": user["username"],
                    "given_name": user.get("firstName", ""),
                    "family_name": user.get("lastName", ""),
                    "name": f"{user.get('firstName', '')} {user.get('lastName', '')}".strip(),
                }
            )
        if "email" in scopes and user.get("email"):
            claims.update(
                {"email": user["email"], "email_verified": user.get("emailVerified", False)}
            )
        for mapper in self.client.get("protocolMappers", []):
            config = mapper.get("config", {})
            if config.get(f"{kind}.token.claim", "false") != "true":
                continue
            kind_of = mapper["protocolMapper"]
            if kind_of == "oidc-usermodel-realm-role-mapper":
                _set_nested(claims, config["claim.name"], self._realm_roles_of(user))
            elif kind_of == "oidc-usermodel-client-role-mapper":
                only = config.get("usermodel.clientRoleMapping.clientId")
                for client, roles in self._client_roles_of(user).items():
                    if only and client != only:
                        continue
                    name = config["claim.name"].replace("${client_id}", client)
                    _set_nested(claims, name, roles)
            elif kind_of == "oidc-group-membership-mapper":
                full = config.get("full.path", "true") == "true"
                names = [p if full else p.rsplit("/", 1)[-1] for p in user.get("groups", [])]
                _set_nested(claims, config["claim.name"], names)
            elif kind_of == "oidc-audience-mapper":
                audience = config.get("included.client.audience") or config.get(
                    "included.custom.audience"
                )
                if audience and audience not in audiences:
                    audiences.append(audience)
        default_role = self.realm.get("defaultRole", {}).get("name")
        if kind == "access" and "roles" in scopes and default_role in user.get("realmRoles", []):
            # Keycloak gives every realm's default role the account console's client
            # roles, and the default "roles" scope maps them into access tokens.
            _set_nested(claims, "resource_access.account.roles", list(ACCOUNT_ROLES))
        return claims, audiences

    # --- sessions and tokens --------------------------------------------------------

    def _new_session(self, username: str) -> Session:
        session = Session(sid=str(uuid.uuid4()), username=username, auth_time=int(time.time()))
        with self.lock:
            self.sessions[session.sid] = session
        return session

    def _session_usable(self, sid: str | None) -> Session | None:
        with self.lock:
            session = self.sessions.get(sid or "")
            if session is None or not session.active:
                return None
            if not self.users[session.username].get("enabled", True):
                return None
            return session

    def granted_scope(self, requested: str) -> str:
        """The scope Keycloak answers with: "openid" only when asked for, then the
        client's default scopes that show in a token's scope claim."""
        asked = requested.split()
        names = [n for n in ("profile", "email") if n in self.client.get("defaultClientScopes", [])]
        optional = [n for n in asked if n in self.client.get("optionalClientScopes", [])]
        return " ".join((["openid"] if "openid" in asked else []) + names + optional)

    def _token_response(self, session: Session, *, nonce: str | None, scope: str) -> dict:
        """What the token endpoint answers; no ID token unless scope has "openid"
        (real Keycloak: a grant without it is plain OAuth 2.0)."""
        user = self.users[session.username]
        granted = self.granted_scope(scope)
        now = int(time.time())
        base = {
            "iat": now,
            "auth_time": session.auth_time,
            "iss": self.issuer,
            "sub": user["id"],
            "azp": self.client_id,
            "sid": session.sid,
        }
        access_claims, audiences = self._mapped_claims(user, "access")
        access = {
            "exp": now + self.access_lifespan,
            **base,
            "jti": str(uuid.uuid4()),
            "typ": "Bearer",
            "acr": "1",
            "allowed-origins": self._allowed_origins(),
            "scope": granted,
            **access_claims,
        }
        # The default "roles" scope's audience resolver adds every client whose roles
        # the token carries: real access tokens say ["portal", "account"].
        for client in access_claims.get("resource_access", {}):
            if client != self.client_id and client not in audiences:
                audiences.append(client)
        if audiences:
            access["aud"] = audiences if len(audiences) > 1 else audiences[0]
        access_token = self.sign(access)
        digest = hashlib.sha256(access_token.encode()).digest()
        id_claims, _aud = self._mapped_claims(user, "id")
        id_token = {
            "exp": now + self.access_lifespan,
            **base,
            "jti": str(uuid.uuid4()),
            "aud": self.client_id,
            "typ": "ID",
            "at_hash": b64(digest[: len(digest) // 2]),
            "acr": "1",
            **id_claims,
        }
        if nonce:
            id_token["nonce"] = nonce
        refresh = {
            "exp": now + self.idle_timeout,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "aud": self.issuer,
            "sub": user["id"],
            "typ": "Refresh",
            "azp": self.client_id,
            "sid": session.sid,
            "scope": " ".join([*granted.split(), "basic", "roles", "web-origins", "acr"]),
        }
        with self.lock:
            session.clients.add(self.client_id)
        answer = {
            "access_token": access_token,
            "expires_in": self.access_lifespan,
            "refresh_expires_in": self.idle_timeout,
            "refresh_token": self.sign(refresh, header={"alg": "HS512"}, key=self.hmac_key),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": session.sid,
            "scope": granted,
        }
        if "openid" in granted.split():
            answer["id_token"] = self.sign(id_token)
        return answer

    def _allowed_origins(self) -> list[str]:
        origins = {"/".join(u.split("/")[:3]) for u in self.client.get("redirectUris", [])}
        return sorted(origins)

    def logout_token(self, session: Session) -> str:
        """Shaped as Keycloak 26.4 sends it (tests/fixtures/keycloak/kc26-*): header
        typ "logout+jwt", exp = iat + 120, aud the client id as a string, no nonce."""
        user = self.users[session.username]
        now = int(time.time())
        return self.sign(
            {
                "iat": now,
                "exp": now + 120,
                "jti": str(uuid.uuid4()),
                "iss": self.issuer,
                "aud": self.client_id,
                "sub": user["id"],
                "typ": "Logout",
                "sid": session.sid,
                "events": {BACKCHANNEL_EVENT: {}},
            },
            header={"typ": "logout+jwt"},
        )

    def well_known(self) -> dict:
        text = WELL_KNOWN_FIXTURE.read_text(encoding="utf-8").replace(
            WELL_KNOWN_ISSUER, self.issuer
        )
        return json.loads(text)

    def redirect_uris(self) -> list[str]:
        return list(self.client.get("redirectUris", [])) + self.extra_redirect_uris

    def post_logout_uris(self) -> list[str]:
        value = self.client.get("attributes", {}).get("post.logout.redirect.uris", "")
        uris = [u for u in value.split("##") if u]
        if "+" in uris:
            uris = [u for u in uris if u != "+"] + self.redirect_uris()
        return uris + self.extra_redirect_uris


def _set_nested(claims: dict, name: str, value) -> None:
    parts = name.split(".")
    target = claims
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


@contextlib.contextmanager
def portal_using(stand_in, *, timeout: float = 10):
    """Point the portal at a Keycloak (this stand-in or the real server; anything with
    base_url, realm_name, client_id and client_secret), as the KEYCLOAK_*
    environment would.

    Settings are overridden; DRF's view classes captured their authentication
    classes at import, so they get the list settings.py builds when Keycloak is on.
    """
    from django.test import override_settings
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.views import APIView

    from portal.auth.client import forget_realm_cache
    from portal.auth.drf import KeycloakBearerAuthentication

    with override_settings(
        KEYCLOAK_SERVER_URL=stand_in.base_url,
        KEYCLOAK_REALM=stand_in.realm_name,
        KEYCLOAK_CLIENT_ID=stand_in.client_id,
        KEYCLOAK_CLIENT_SECRET=stand_in.client_secret,
        KEYCLOAK_VERIFY_TLS=True,
        KEYCLOAK_ENABLED=True,
        KEYCLOAK_TIMEOUT=timeout,
        AUTHENTICATION_BACKENDS=[
            "portal.auth.backend.KeycloakBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
    ):
        previous = APIView.authentication_classes
        APIView.authentication_classes = [KeycloakBearerAuthentication, SessionAuthentication]
        forget_realm_cache()
        try:
            yield stand_in
        finally:
            forget_realm_cache()
            APIView.authentication_classes = previous
