"""Single sign-on against a real Keycloak: time per sign-in (the whole code flow:
portal → Keycloak's login form → callback → token exchange → ID and access token
checks → user and roles written) and per bearer-authenticated API request (the
token verified locally from the cached JWKS, the user looked up).

    PORTAL_KEYCLOAK_URL=http://127.0.0.1:PORT .venv/bin/python bench/sso.py
    .venv/bin/python bench/sso.py            # starts one with scripts/keycloak.sh

Runs on the embedded SQLite (a throwaway database); prints the figures.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "true")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench-sso.sqlite3"

SIGN_INS = int(os.environ.get("BENCH_SIGN_INS", "20"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    from tests.auth.real_keycloak import sign_in, start_keycloak
    from tests.stand_ins.keycloak import portal_using

    setup_test_environment()
    call_command("migrate", verbosity=0)
    server = start_keycloak()
    try:
        if server.start_seconds:
            print(f"Keycloak started in {server.start_seconds:.1f} s")
        server.allow_portal("http://testserver")
        with (
            portal_using(server),
            override_settings(ROOT_URLCONF="tests.auth.probe_urls"),
        ):
            sign_in(Client(), "carol")  # warm: discovery and keys in the cache
            times = []
            for _ in range(SIGN_INS):
                began = time.perf_counter()
                response = sign_in(Client(), "carol")
                times.append(time.perf_counter() - began)
                assert response.status_code == 302, response.status_code
            report("sign-in (code flow through Keycloak's form)", times)

            token = server.password_grant("carol")["access_token"]
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            assert client.get("/api/v1/probe/").status_code == 200
            times = []
            for _ in range(REQUESTS):
                began = time.perf_counter()
                response = client.get("/api/v1/probe/")
                times.append(time.perf_counter() - began)
                assert response.status_code == 200, response.status_code
            report("bearer-authenticated API request", times)
    finally:
        server.stop()


def report(what: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(
        f"{what}: n={len(times)} median {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, mean {statistics.mean(times) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
