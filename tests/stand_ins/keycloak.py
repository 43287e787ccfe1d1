"""A Keycloak stand-in: a real HTTP server speaking the OpenID Connect endpoints of one
realm, as python-keycloak 7 calls them (keycloak/urls_patterns.py).

It reads deploy/keycloak/realm-mlops.json, the file docker compose imports into the
real Keycloak, so users, passwords, roles, groups, the client and its protocol
mappers are the same in tests and in deployment. Tokens are RS256 JWTs signed with
real keys; claim shapes follow real Keycloak 25 tokens (realm_access,
resource_access, azp, sid, typ, preferred_username, aud, iss).

Test controls: rotate_keys, end_session (optionally with a back-channel logout to
the portal), disable_user, set_user_roles, auto_login, sign (arbitrary tokens).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from jwcrypto import jwk, jws

ROOT = Path(__file__).resolve().parents[2]
REALM_FILE = ROOT / "deploy" / "keycloak" / "realm-mlops.json"
WELL_KNOWN_FIXTURE = ROOT / "tests" / "fixtures" / "keycloak" / "wellknown-gwdg-academiccloud.json"
WELL_KNOWN_ISSUER = "https://keycloak.sso.gwdg.de/auth/realms/academiccloud"
SSO_COOKIE = "KEYCLOAK_SESSION"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_PROCESS_KEYS: dict[str, jwk.JWK] = {}


def _rsa(*, alg: str) -> jwk.JWK:
    return jwk.JWK.generate(kty="RSA", size=2048, kid=_b64(secrets.token_bytes(24)), alg=alg)


def _process_key(name: str, make) -> jwk.JWK:
    if name not in _PROCESS_KEYS:
        _PROCESS_KEYS[name] = make()
    return _PROCESS_KEYS[name]


def _uri_allowed(uri: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and uri.startswith(pattern[:-1]):
            return True
        if uri == pattern:
            return True
    return False


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
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> KeycloakStandIn:
        stand_in = self

        class Handler(_Handler):
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
        kid = _b64(secrets.token_bytes(24))
        if alg == "ES256":
            key = jwk.JWK.generate(kty="EC", crv="P-256", kid=kid, alg=alg)
        else:
            key = jwk.JWK.generate(kty="RSA", size=2048, kid=kid, alg=alg)
        with self.lock:
            self.keys = [(k, keep_old and published) for k, published in self.keys]
            self.keys.append((key, True))
            self.active_kid = kid
        return kid

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

    def password_grant(self, username: str, password: str | None = None) -> dict:
        """Tokens for a user as the token endpoint's password grant gives them."""
        user = self.users[username]
        if password is not None and password != self._password(user):
            raise ValueError("invalid credentials")
        session = self._new_session(username)
        return self._token_response(session, nonce=None)

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

    def _token_response(self, session: Session, *, nonce: str | None) -> dict:
        user = self.users[session.username]
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
            "scope": "openid profile email",
            **access_claims,
        }
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
            "at_hash": _b64(digest[: len(digest) // 2]),
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
            "scope": "openid profile email basic",
        }
        with self.lock:
            session.clients.add(self.client_id)
        return {
            "access_token": access_token,
            "expires_in": self.access_lifespan,
            "refresh_expires_in": self.idle_timeout,
            "refresh_token": self.sign(refresh, header={"alg": "HS512"}, key=self.hmac_key),
            "token_type": "Bearer",
            "id_token": self.sign(id_token),
            "not-before-policy": 0,
            "session_state": session.sid,
            "scope": "openid profile email",
        }

    def logout_token(self, session: Session) -> str:
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
            }
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


class _Handler(BaseHTTPRequestHandler):
    keycloak: KeycloakStandIn
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a keep-alive
    # client waits ~40 ms for each response.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass  # keep pytest output clean

    # --- plumbing -------------------------------------------------------------------

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data) -> None:
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def _oauth_error(self, status: int, error: str, description: str) -> None:
        self._json(status, {"error": error, "error_description": description})

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _query(self) -> dict:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _client_authenticated(self, form: dict) -> bool:
        kc = self.keycloak
        client_id, secret = form.get("client_id", ""), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            decoded = base64.b64decode(auth[6:]).decode()
            client_id, _sep, secret = decoded.partition(":")
        if client_id != kc.client_id:
            return False
        if kc.client.get("publicClient"):
            return True
        return secret is not None and hmac.compare_digest(secret, kc.client_secret)

    def _route(self) -> str | None:
        path = urlsplit(self.path).path
        with self.keycloak.lock:
            self.keycloak.requests.append((self.command, path))
        prefix = f"/realms/{self.keycloak.realm_name}"
        if path == prefix:
            return "realm"
        if not path.startswith(prefix + "/"):
            return None
        return path[len(prefix) + 1 :]

    def do_GET(self):
        route = self._route()
        kc = self.keycloak
        if route == "realm":
            public = kc._active_key()
            der = public.export_to_pem(private_key=False)
            body = b"".join(der.splitlines()[1:-1]).decode()
            return self._json(
                200,
                {
                    "realm": kc.realm_name,
                    "public_key": body,
                    "token-service": f"{kc.issuer}/protocol/openid-connect",
                    "account-service": f"{kc.issuer}/account",
                    "tokens-not-before": 0,
                },
            )
        if route == ".well-known/openid-configuration":
            return self._json(200, kc.well_known())
        if route == "protocol/openid-connect/certs":
            return self._json(200, kc.jwks())
        if route == "protocol/openid-connect/auth":
            return self._authorize(self._query())
        if route == "protocol/openid-connect/userinfo":
            return self._userinfo()
        if route == "protocol/openid-connect/logout":
            return self._browser_logout(self._query())
        return self._json(404, {"error": "not found"})

    def do_POST(self):
        route = self._route()
        form = self._form()
        if route == "protocol/openid-connect/auth":
            return self._authorize(form, login_form=True)
        if route == "protocol/openid-connect/token":
            return self._token(form)
        if route == "protocol/openid-connect/token/introspect":
            return self._introspect(form)
        if route == "protocol/openid-connect/logout":
            return self._rest_logout(form)
        if route == "protocol/openid-connect/userinfo":
            return self._userinfo()
        return self._json(404, {"error": "not found"})

    # --- endpoints ------------------------------------------------------------------

    def _sso_session(self) -> Session | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get(SSO_COOKIE)
        return self.keycloak._session_usable(morsel.value) if morsel else None

    def _authorize(self, params: dict, login_form: bool = False):
        kc = self.keycloak
        if params.get("client_id") != kc.client_id:
            return self._send(400, b"Client not found.")
        redirect_uri = params.get("redirect_uri", "")
        if not _uri_allowed(redirect_uri, kc.redirect_uris()):
            return self._send(400, b"Invalid parameter: redirect_uri")
        if params.get("response_type") != "code":
            return self._send(400, b"Unsupported response_type")
        required = kc.client.get("attributes", {}).get("pkce.code.challenge.method")
        if required and (
            not params.get("code_challenge") or params.get("code_challenge_method") != required
        ):
            return self._send(400, b"Missing parameter: code_challenge_method")
        session = self._sso_session()
        if session is None and login_form:
            username = params.get("username", "")
            user = kc.users.get(username)
            if (
                user is None
                or not user.get("enabled", True)
                or params.get("password") != kc._password(user)
            ):
                return self._login_page(params, "Invalid username or password.")
            session = kc._new_session(username)
        if session is None and kc.auto_login_user:
            session = kc._new_session(kc.auto_login_user)
        if session is None:
            return self._login_page(params)
        code = secrets.token_urlsafe(32)
        with kc.lock:
            kc.codes[code] = {
                "sid": session.sid,
                "redirect_uri": redirect_uri,
                "challenge": params.get("code_challenge"),
                "method": params.get("code_challenge_method"),
                "nonce": params.get("nonce"),
                "expires": time.time() + 60,
            }
        query = {"state": params.get("state", ""), "session_state": session.sid, "iss": kc.issuer}
        query["code"] = code
        separator = "&" if "?" in redirect_uri else "?"
        return self._send(
            302,
            headers={
                "Location": f"{redirect_uri}{separator}{urlencode(query)}",
                "Set-Cookie": f"{SSO_COOKIE}={session.sid}; Path=/realms/{kc.realm_name}; HttpOnly",
            },
        )

    def _login_page(self, params: dict, error: str = ""):
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("username", "password")
        )
        body = (
            "<!doctype html><html><head><title>Sign in to mlops</title></head><body>"
            '<h1 id="kc-page-title">Sign in to your account</h1>'
            + (f'<p id="input-error">{html.escape(error)}</p>' if error else "")
            + f'<form id="kc-form-login" method="post" action="{html.escape(self.path)}">{hidden}'
            '<label>Username <input id="username" name="username"></label>'
            '<label>Password <input id="password" name="password" type="password"></label>'
            '<button id="kc-login" type="submit">Sign In</button></form></body></html>'
        )
        self._send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _token(self, form: dict):
        kc = self.keycloak
        if not self._client_authenticated(form):
            return self._oauth_error(
                401, "unauthorized_client", "Invalid client or Invalid client credentials"
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with kc.lock:
                code = kc.codes.pop(form.get("code", ""), None)
            if code is None or code["expires"] < time.time():
                return self._oauth_error(400, "invalid_grant", "Code not valid")
            if form.get("redirect_uri") != code["redirect_uri"]:
                return self._oauth_error(400, "invalid_grant", "Incorrect redirect_uri")
            if code["challenge"]:
                verifier = form.get("code_verifier", "")
                digest = _b64(hashlib.sha256(verifier.encode()).digest())
                expected = digest if code["method"] == "S256" else verifier
                if not verifier or not hmac.compare_digest(expected, code["challenge"]):
                    return self._oauth_error(400, "invalid_grant", "PKCE verification failed")
            session = kc._session_usable(code["sid"])
            if session is None:
                return self._oauth_error(400, "invalid_grant", "Session not active")
            return self._json(200, kc._token_response(session, nonce=code["nonce"]))
        if grant == "refresh_token":
            claims = kc._verify_own(form.get("refresh_token", ""))
            if not claims or claims.get("typ") != "Refresh" or claims.get("exp", 0) < time.time():
                return self._oauth_error(400, "invalid_grant", "Invalid refresh token")
            session = kc._session_usable(claims.get("sid"))
            if session is None:
                return self._oauth_error(400, "invalid_grant", "Session not active")
            return self._json(200, kc._token_response(session, nonce=None))
        if grant == "password":
            if not kc.client.get("directAccessGrantsEnabled"):
                return self._oauth_error(
                    400, "unauthorized_client", "Client not allowed for direct access grants"
                )
            user = kc.users.get(form.get("username", ""))
            if user is None or form.get("password") != kc._password(user):
                return self._oauth_error(401, "invalid_grant", "Invalid user credentials")
            if not user.get("enabled", True):
                return self._oauth_error(400, "invalid_grant", "Account disabled")
            session = kc._new_session(user["username"])
            return self._json(200, kc._token_response(session, nonce=None))
        return self._oauth_error(400, "unsupported_grant_type", f"Unsupported grant_type {grant}")

    def _bearer_claims(self) -> dict | None:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        claims = self.keycloak._verify_own(auth[7:])
        if not claims or claims.get("typ") != "Bearer" or claims.get("exp", 0) < time.time():
            return None
        if self.keycloak._session_usable(claims.get("sid")) is None:
            return None
        return claims

    def _userinfo(self):
        kc = self.keycloak
        claims = self._bearer_claims()
        if claims is None:
            return self._oauth_error(401, "invalid_token", "Token verification failed")
        user = next(u for u in kc.users.values() if u["id"] == claims["sub"])
        info, _aud = kc._mapped_claims(user, "userinfo")
        return self._json(200, {"sub": user["id"], **info})

    def _introspect(self, form: dict):
        kc = self.keycloak
        if not self._client_authenticated(form):
            return self._oauth_error(401, "unauthorized_client", "Authentication failed.")
        claims = kc._verify_own(form.get("token", ""))
        if (
            not claims
            or claims.get("exp", 0) < time.time()
            or kc._session_usable(claims.get("sid")) is None
        ):
            return self._json(200, {"active": False})
        user = next(u for u in kc.users.values() if u["id"] == claims["sub"])
        return self._json(
            200,
            {
                **claims,
                "client_id": kc.client_id,
                "username": user["username"],
                "token_type": claims.get("typ"),
                "active": True,
            },
        )

    def _rest_logout(self, form: dict):
        kc = self.keycloak
        if not self._client_authenticated(form):
            return self._oauth_error(401, "unauthorized_client", "Invalid client credentials")
        claims = kc._verify_own(form.get("refresh_token", ""))
        if not claims or claims.get("typ") not in ("Refresh", "Offline"):
            return self._oauth_error(400, "invalid_grant", "Invalid refresh token")
        session = kc._session_usable(claims.get("sid"))
        if session is None:
            return self._oauth_error(400, "invalid_grant", "Session not active")
        with kc.lock:
            session.active = False
        return self._send(204)

    def _browser_logout(self, params: dict):
        kc = self.keycloak
        session = None
        hint = params.get("id_token_hint")
        if hint:
            claims = kc._verify_own(hint)
            if not claims or claims.get("typ") != "ID":
                return self._send(400, b"Invalid parameter: id_token_hint")
            with kc.lock:
                session = kc.sessions.get(claims.get("sid", ""))
        if session is None:
            session = self._sso_session()
        if session is not None:
            with kc.lock:
                session.active = False
        headers = {"Set-Cookie": f"{SSO_COOKIE}=; Path=/realms/{kc.realm_name}; Max-Age=0"}
        target = params.get("post_logout_redirect_uri")
        if target:
            if not hint and not params.get("client_id"):
                return self._send(400, b"Missing parameters: id_token_hint")
            if not _uri_allowed(target, kc.post_logout_uris()):
                return self._send(400, b"Invalid redirect uri")
            if params.get("state"):
                target += ("&" if "?" in target else "?") + urlencode({"state": params["state"]})
            return self._send(302, headers={**headers, "Location": target})
        body = b"<!doctype html><title>Logging out</title><p>You are logged out</p>"
        return self._send(200, body, {**headers, "Content-Type": "text/html; charset=utf-8"})


@contextlib.contextmanager
def portal_using(stand_in: KeycloakStandIn):
    """Point the portal at the stand-in, as the KEYCLOAK_* environment would.

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
