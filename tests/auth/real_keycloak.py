"""The real Keycloak for tests: started once per test session by scripts/keycloak.sh
(the server distribution from Maven Central, the realm compose imports), plus what
tests do to it as an administrator would, through python-keycloak's KeycloakAdmin.

PORTAL_KEYCLOAK_URL=http://127.0.0.1:PORT points the suite at a Keycloak already
started with `make keycloak` (bootstrap admin admin/admin) instead of starting one.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from keycloak import KeycloakAdmin, KeycloakOpenID

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "keycloak.sh"
REALM_FILE = ROOT / "deploy" / "keycloak" / "realm-mlops.json"
START_TIMEOUT = 900  # a first start on a new machine downloads and imports
PASSWORDS = {"alice": "demo-alice", "bob": "demo-bob", "carol": "demo-carol", "dave": "demo-dave"}


def _realm() -> dict:
    return json.loads(REALM_FILE.read_text(encoding="utf-8"))


def cannot_start_reason() -> str | None:
    """Why this machine cannot start Keycloak, or None."""
    if os.environ.get("PORTAL_KEYCLOAK_URL"):
        return None
    if shutil.which("java") is None:
        return "needs Java 17+ to run Keycloak (apt-get install openjdk-17-jre-headless)"
    cache = Path(os.environ.get("PORTAL_CACHE_DIR", Path.home() / ".cache" / "mlops-portal"))
    if shutil.which("mvn") is None and not list(cache.glob("keycloak/*/keycloak-*/bin/kc.sh")):
        return "needs Maven to fetch Keycloak (apt-get install maven)"
    return None


@dataclass
class RealKeycloak:
    base_url: str
    process: subprocess.Popen | None = None
    kc_pid: int | None = None
    start_seconds: float = 0.0
    realm_name: str = "mlops"
    client_id: str = "portal"
    client_secret: str = field(default="")
    allowed: set = field(default_factory=set)

    def __post_init__(self):
        client = next(c for c in _realm()["clients"] if c["clientId"] == self.client_id)
        self.client_secret = client["secret"]

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{self.realm_name}"

    def admin(self) -> KeycloakAdmin:
        return KeycloakAdmin(
            server_url=self.base_url + "/",
            username=os.environ.get("KC_BOOTSTRAP_ADMIN_USERNAME", "admin"),
            password=os.environ.get("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin"),
            realm_name=self.realm_name,
            user_realm_name="master",
            timeout=30,
        )

    def openid(self, base_url: str | None = None) -> KeycloakOpenID:
        return KeycloakOpenID(
            server_url=(base_url or self.base_url) + "/",
            realm_name=self.realm_name,
            client_id=self.client_id,
            client_secret_key=self.client_secret,
            timeout=30,
        )

    def user_id(self, username: str) -> str:
        return self.admin().get_user_id(username)

    def password_grant(self, username: str, *, scope: str = "openid", base_url=None) -> dict:
        """Tokens from the token endpoint, as a script would get them."""
        return self.openid(base_url).token(username, PASSWORDS[username], scope=scope)

    def allow_portal(self, portal_url: str) -> None:
        """Point the portal client at a portal under test, as an administrator would:
        its redirect and post-logout URIs, and where back-channel logouts go."""
        portal_url = portal_url.rstrip("/")
        admin = self.admin()
        uuid = admin.get_client_id(self.client_id)
        client = admin.get_client(uuid)
        uris = set(client.get("redirectUris", [])) | {f"{portal_url}/*"}
        attributes = dict(client.get("attributes", {}))
        posts = set(filter(None, attributes.get("post.logout.redirect.uris", "").split("##")))
        attributes["post.logout.redirect.uris"] = "##".join(sorted(posts | {f"{portal_url}/*"}))
        if not portal_url.endswith("//testserver"):
            attributes["backchannel.logout.url"] = f"{portal_url}/accounts/oidc/backchannel-logout"
        admin.update_client(
            uuid, {**client, "redirectUris": sorted(uris), "attributes": attributes}
        )
        self.allowed.add(portal_url)

    def sessions(self, username: str) -> list[dict]:
        admin = self.admin()
        return admin.get_sessions(admin.get_user_id(username))

    def _java_pids(self) -> list[int]:
        """The JVM: kc.sh execs java when it runs without a terminal, else forks it."""
        if self.kc_pid is None:
            return []
        proc = Path(f"/proc/{self.kc_pid}")
        try:
            if proc.joinpath("comm").read_text().strip() == "java":
                return [self.kc_pid]
            text = proc.joinpath("task", str(self.kc_pid), "children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def freeze(self) -> None:
        """Stop the server's JVM (SIGSTOP): it accepts connections and never answers,
        as a hung or overloaded Keycloak does."""
        pids = self._java_pids()
        assert pids, "only a Keycloak this suite started can be frozen"
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._java_pids():
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.thaw()
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def start_keycloak() -> RealKeycloak:
    """Run scripts/keycloak.sh start and wait for the line saying it is ready."""
    if os.environ.get("PORTAL_KEYCLOAK_URL"):
        return RealKeycloak(base_url=os.environ["PORTAL_KEYCLOAK_URL"].rstrip("/"))
    began = time.monotonic()
    process = subprocess.Popen(
        ["bash", str(SCRIPT), "start"],
        stdout=subprocess.PIPE,
        stderr=None,
        text=True,
        start_new_session=True,
    )
    values: dict[str, str] = {}
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = began + START_TIMEOUT
    while "KEYCLOAK_READY" not in values:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            raise RuntimeError(
                f"Keycloak did not start (scripts/keycloak.sh exit {process.poll()})"
            )
        name, _sep, value = line.strip().partition("=")
        if name.startswith("KEYCLOAK_READY"):
            values["KEYCLOAK_READY"] = line
        elif name.startswith("KEYCLOAK_"):
            values[name] = value
    return RealKeycloak(
        base_url=values["KEYCLOAK_URL"],
        process=process,
        kc_pid=int(values["KEYCLOAK_PID"]),
        start_seconds=time.monotonic() - began,
    )


_FORM = re.compile(r"<form\b[^>]*\bid=\"kc-form-login\"[^>]*>", re.S)
_ACTION = re.compile(r"\baction=\"([^\"]+)\"")


def _cookies_over_http(http: requests.Session) -> None:
    """Keycloak marks its cookies Secure; browsers send those to http://127.0.0.1
    (a secure context), requests does not unless told."""
    for cookie in http.cookies:
        cookie.secure = False


def login_form_submit(
    http: requests.Session, authorize_url: str, username: str, password: str | None = None
) -> requests.Response:
    """What a person does on Keycloak's own login page: open it, type, submit.
    Returns Keycloak's answer (a redirect to the portal's callback when it worked)."""
    page = http.get(authorize_url, timeout=30)
    page.raise_for_status()
    _cookies_over_http(http)
    form = _FORM.search(page.text)
    assert form, f"no login form on Keycloak's page: {page.text[:500]}"
    action = html.unescape(_ACTION.search(form.group(0)).group(1))
    answer = http.post(
        action,
        data={"username": username, "password": password or PASSWORDS[username]},
        allow_redirects=False,
        timeout=30,
    )
    _cookies_over_http(http)
    return answer


def sign_in(client, username: str, *, http: requests.Session | None = None, next_url=None):
    """Sign ``client`` (a Django test client) in through the real Keycloak's login
    form; returns the portal's answer to the callback."""
    http = http or requests.Session()
    response = client.get("/accounts/oidc/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content[:500]
    answer = login_form_submit(http, response["Location"], username)
    assert answer.status_code == 302, answer.text[:500]
    callback = urlsplit(answer.headers["Location"])
    assert callback.netloc == "testserver", answer.headers["Location"]
    return client.get(f"{callback.path}?{callback.query}")
