"""The HTTP side of the Keycloak stand-in: one handler per request, routing the paths
python-keycloak uses (keycloak/urls_patterns.py) to the realm state in
tests/stand_ins/keycloak.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

if TYPE_CHECKING:
    from tests.stand_ins.keycloak import KeycloakStandIn, Session

SSO_COOKIE = "KEYCLOAK_SESSION"
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def uri_allowed(uri: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and uri.startswith(pattern[:-1]):
            return True
        if uri == pattern:
            return True
    return False


class KeycloakHandler(BaseHTTPRequestHandler):
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

    def _faulted(self, path: str) -> bool:
        """Answer as a proxy in front of a failing Keycloak would, if told to."""
        fault = self.keycloak.fault
        if fault is None or fault[1] not in path:
            return False
        mode = fault[0]
        if mode == "slow":
            time.sleep(self.keycloak.slow_seconds)
            self.close_connection = True
            return True
        if mode == "close":
            self.close_connection = True
            return True
        headers = {"Content-Type": "text/html", **({"Retry-After": "5"} if mode == 429 else {})}
        self._send(mode, f"<html><body><h1>{mode}</h1></body></html>".encode(), headers)
        return True

    def _route(self) -> str | None:
        path = urlsplit(self.path).path
        with self.keycloak.lock:
            self.keycloak.requests.append((self.command, path))
        if self._faulted(path):
            return "faulted"
        prefix = f"/realms/{self.keycloak.realm_name}"
        if path == prefix:
            return "realm"
        if not path.startswith(prefix + "/"):
            return None
        return path[len(prefix) + 1 :]

    def do_GET(self):
        route = self._route()
        kc = self.keycloak
        if route == "faulted":
            return None
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
        form = self._form()
        route = self._route()
        if route == "faulted":
            return None
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
        if not uri_allowed(redirect_uri, kc.redirect_uris()):
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
                "scope": params.get("scope", ""),
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
                # RFC 7636 as Keycloak applies it: 43-128 unreserved characters.
                verifier = form.get("code_verifier")
                if not verifier:
                    return self._oauth_error(
                        400, "invalid_grant", "PKCE code verifier not specified"
                    )
                if not VERIFIER.fullmatch(verifier):
                    return self._oauth_error(
                        400, "invalid_grant", "PKCE verification failed: Invalid code verifier"
                    )
                digest = b64(hashlib.sha256(verifier.encode()).digest())
                expected = digest if code["method"] == "S256" else verifier
                if not hmac.compare_digest(expected, code["challenge"]):
                    return self._oauth_error(
                        400, "invalid_grant", "PKCE verification failed: Code mismatch"
                    )
            session = kc._session_usable(code["sid"])
            if session is None:
                return self._oauth_error(400, "invalid_grant", "Session not active")
            return self._json(
                200, kc._token_response(session, nonce=code["nonce"], scope=code["scope"])
            )
        if grant == "refresh_token":
            claims = kc._verify_own(form.get("refresh_token", ""))
            if not claims or claims.get("typ") != "Refresh" or claims.get("exp", 0) < time.time():
                return self._oauth_error(400, "invalid_grant", "Invalid refresh token")
            user = next((u for u in kc.users.values() if u["id"] == claims.get("sub")), {})
            if not user.get("enabled", True):
                return self._oauth_error(400, "invalid_grant", "User disabled")
            session = kc._session_usable(claims.get("sid"))
            if session is None:
                return self._oauth_error(400, "invalid_grant", "Session not active")
            return self._json(
                200, kc._token_response(session, nonce=None, scope=claims.get("scope", ""))
            )
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
            return self._json(
                200, kc._token_response(session, nonce=None, scope=form.get("scope", ""))
            )
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
            if not uri_allowed(target, kc.post_logout_uris()):
                return self._send(400, b"Invalid redirect uri")
            if params.get("state"):
                target += ("&" if "?" in target else "?") + urlencode({"state": params["state"]})
            return self._send(302, headers={**headers, "Location": target})
        body = b"<!doctype html><title>Logging out</title><p>You are logged out</p>"
        return self._send(200, body, {**headers, "Content-Type": "text/html; charset=utf-8"})
