"""Who gets what: every portal page and API endpoint × the four people and anonymous.

The table covers the portal's own URLs. The walk below it covers every URL without
parameters that any app registers, so a new page that forgets its login check fails
here without anyone adding a row.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

LOGIN = "login"  # a redirect to the sign-in page
OPEN = "open"  # answered without asking who it is (200, or 503 from a readiness probe)

# (method, URL) → expected status for anonymous, carol (viewer), alice (editor), bob
# (approver), dave (admin). The Django admin is for staff accounts (the break-glass
# superuser); portal roles do not make anyone staff, so everyone is sent to its login.
# Without Keycloak the API answers anonymous with 403 (with Keycloak: 401, below).
# POSTs send an empty body: 400 means "allowed, but say what you want".
MATRIX = [
    ("GET", "/", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/audit/", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/api/schema/", (200, 200, 200, 200, 200)),
    ("GET", "/api/docs/", (200, 200, 200, 200, 200)),
    ("GET", "/healthz", (200, 200, 200, 200, 200)),
    ("GET", "/readyz", (OPEN, OPEN, OPEN, OPEN, OPEN)),
    ("GET", "/admin/", (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    ("GET", "/accounts/login/", (200, 200, 200, 200, 200)),
    ("GET", "/accounts/logged-out/", (200, 200, 200, 200, 200)),
    # The apps' pages and endpoints: change a row when you change the rule behind it.
    ("GET", "/procedures/", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/procedures/new/", (LOGIN, 403, 200, 403, 200)),
    ("GET", "/procedures/review-queue/", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/knowledge/adr/new/", (LOGIN, 403, 200, 403, 200)),
    ("GET", "/knowledge/matrix/", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/knowledge/onboarding/team/", (LOGIN, 403, 200, 200, 200)),
    ("GET", "/inventory/", (LOGIN, 200, 200, 200, 200)),
    ("GET", "/notifications/webhooks/", (LOGIN, 403, 403, 403, 200)),
    ("GET", "/api/v1/procedures/", (403, 200, 200, 200, 200)),
    ("GET", "/api/v1/adrs/", (403, 200, 200, 200, 200)),
    ("GET", "/api/v1/inventory/nodes/", (403, 200, 200, 200, 200)),
    ("POST", "/api/v1/procedures/", (403, 403, 400, 403, 400)),
    ("POST", "/api/v1/adrs/", (403, 403, 400, 403, 400)),
    ("POST", "/api/v1/raci/roles/", (403, 403, 400, 403, 400)),
    ("POST", "/api/v1/inventory/clusters/", (403, 403, 403, 403, 400)),
]
PEOPLE = ["anonymous", "carol", "alice", "bob", "dave"]

# Reachable without signing in, and why.
PUBLIC = {
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/api/schema/": "the API's description holds no data; clients need it before they sign in",
    "/api/docs/": "the same description, rendered",
    "/metrics": "Prometheus scrapes it; set METRICS_TOKEN to require a bearer token",
    "/accounts/login/": "signing in",
    "/accounts/logout/": "signing out (POST only)",
    "/admin/logout/": "signing out, the same view",
    "/accounts/logged-out/": "the page after signing out",
    "/accounts/break-glass/": "the superuser's emergency sign-in",
    "/accounts/oidc/login/": "starts the Keycloak sign-in",
    "/accounts/oidc/callback/": "Keycloak's answer; refuses anything without a known state",
    "/accounts/oidc/backchannel-logout": "Keycloak's signed logout notice (POST only)",
    "/i18n/setlang/": "choosing the language",
}


def is_login_redirect(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and (
        location.startswith("/accounts/login/") or location.startswith("/admin/login/")
    )


def is_open(response) -> bool:
    return response.status_code in (200, 503) and not is_login_redirect(response)


def expected(cell, response) -> bool:
    if cell == LOGIN:
        return is_login_redirect(response)
    if cell == OPEN:
        return is_open(response)
    return response.status_code == cell


@pytest.mark.parametrize(
    ("method", "url", "row"), MATRIX, ids=[f"{m} {url}" for m, url, _row in MATRIX]
)
def test_access_matrix(method, url, row, people, client_for):
    wrong = {}
    for name, cell in zip(PEOPLE, row, strict=True):
        client = client_for(people.get(name))
        if method == "GET":
            response = client.get(url)
        else:
            response = client.generic(method, url, "{}", content_type="application/json")
        if not expected(cell, response):
            wrong[name] = (cell, response.status_code, response.get("Location", ""))
    assert not wrong, f"{method} {url}: expected vs got: {wrong}"


def parameterless_paths(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every URL of the portal that takes no parameters."""
    resolver = resolver or get_resolver("portal.urls")
    paths = []
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if getattr(pattern, "converters", None) or pattern.regex.groups:
            continue
        text = str(pattern)
        if text.startswith("^") or text.endswith("$"):
            text = text.lstrip("^").rstrip("$")
            if any(ch in text for ch in ".*+?[](){}|\\"):
                continue
        if isinstance(entry, URLResolver):
            paths.extend(parameterless_paths(entry, prefix + text))
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + text)
    return sorted(set(paths))


def test_the_walk_finds_the_portals_urls():
    paths = parameterless_paths()
    for _method, url, _row in MATRIX:
        assert url in paths
    assert "/admin/auth/user/" in paths


@pytest.mark.parametrize("url", parameterless_paths())
def test_anonymous_is_sent_to_sign_in_or_refused(url, client):
    response = client.get(url)
    if url in PUBLIC:
        # Reachable without signing in: it answers, it does not refuse or crash.
        assert response.status_code not in (401, 403, 500), (
            f"public {url} ({PUBLIC[url]}): {response.status_code}"
        )
        return
    if response.status_code == 405:  # a POST-only action: it must refuse the POST
        response = client.post(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403), f"{url}: {response.status_code}"
    else:
        assert is_login_redirect(response), (
            f"{url}: {response.status_code} {response.get('Location', '')}"
        )


API_PATHS = [p for p in parameterless_paths() if p.startswith("/api/v1/")]


def test_with_keycloak_anonymous_api_calls_get_a_bearer_challenge(keycloak, client):
    assert API_PATHS
    for url in API_PATHS:
        response = client.get(url)
        assert response.status_code == 401, f"{url}: {response.status_code}"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_with_keycloak_pages_send_anonymous_to_keycloak(keycloak, client):
    response = client.get("/audit/", follow=False)
    assert response["Location"] == "/accounts/login/?next=/audit/"
    assert client.get(response["Location"])["Location"].startswith("/accounts/oidc/login/")
