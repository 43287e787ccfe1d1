"""Shared test set-up: the four people everyone knows, and the real services.

alice edits and authors, bob approves, carol is a new engineer who only reads, dave
administers. Tests that need PostgreSQL, Redis, a Celery worker or Chromium skip with
a reason on a developer's machine that lacks them, and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Debian's Chromium as root, headless, with nothing of its own reaching for the network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch_chromium(playwright):
    """The one way browser tests start Chromium (Playwright's sync API)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


PERSONAS = {
    "alice": ["portal-editor"],
    "bob": ["portal-approver"],
    "carol": ["portal-viewer"],
    "dave": ["portal-admin"],
}


def need(condition: bool, reason: str) -> None:
    """Skip outside CI, fail inside it: a missing service must never turn CI green."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _service_markers(request):
    if request.node.get_closest_marker("postgres"):
        need(settings.IS_POSTGRES, "needs PostgreSQL: set DATABASE_URL=postgres://…")
    if request.node.get_closest_marker("redis") or request.node.get_closest_marker("celery_worker"):
        need(
            bool(settings.REDIS_URL) and _reachable(settings.REDIS_URL, 6379),
            "needs Redis: set REDIS_URL",
        )
    if request.node.get_closest_marker("browser"):
        need(
            shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM),
            f"needs Chromium at {CHROMIUM}",
        )


def make_person(username: str, roles: list[str], **extra):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username,
        password=f"{username}-password",
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        **extra,
    )
    user.groups.set([Group.objects.get_or_create(name=r)[0] for r in roles])
    return user


@pytest.fixture
def alice(db):
    return make_person("alice", PERSONAS["alice"])


@pytest.fixture
def bob(db):
    return make_person("bob", PERSONAS["bob"])


@pytest.fixture
def carol(db):
    return make_person("carol", PERSONAS["carol"])


@pytest.fixture
def dave(db):
    return make_person("dave", PERSONAS["dave"])


@pytest.fixture
def people(alice, bob, carol, dave):
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


@pytest.fixture
def client_for():
    """client_for(alice) -> a test client signed in as alice."""
    from django.test import Client

    def make(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def make(user):
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return make


@contextmanager
def real_celery_worker(queues=("default", "inventory", "notifications")):
    """A real Celery worker (threads, in this process) consuming ``queues`` from real
    Redis. Tasks stop running eagerly for its lifetime, whatever happens in the test,
    and messages it left behind are purged so the next test's worker cannot run them
    against that test's database."""
    need(bool(settings.REDIS_URL), "needs Redis: set REDIS_URL")
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            queues=list(queues),
            shutdown_timeout=20,
        ) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
        with app.connection_for_write() as conn:
            for queue in queues:
                if queue != "gpu-agents":  # a broadcast queue has no single name to purge
                    conn.default_channel.queue_purge(queue)


@pytest.fixture
def celery_worker(transactional_db):
    """The worker's threads open their own database connections, so the test must use
    committed data: hence transactional_db."""
    with real_celery_worker() as worker:
        yield worker


@pytest.fixture
def wsgi_shares_test_connection():
    """WSGI calls made outside Django's test client (schemathesis' from_wsgi) must
    reuse the test's database connection: they then see its uncommitted rows, and on
    PostgreSQL do not end its transaction after the first request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
