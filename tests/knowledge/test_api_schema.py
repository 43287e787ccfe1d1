"""Generated requests against the knowledge API's own OpenAPI schema: whatever the
input, the answer is never a server error."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    path_regex=r"^/api/v1/(adrs|adr-links|raci|onboarding)/"
)


@pytest.fixture
def _keep_the_test_connection():
    """Django's test client keeps the test's database connection open across
    requests; the WSGI calls made here must too, or PostgreSQL loses the test
    transaction after the first request."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def session_cookie(alice, make_adr, _keep_the_test_connection):
    from django.conf import settings as django_settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    make_adr("Existing record")
    client = Client()
    client.force_login(alice)
    # A real browser session: the session cookie plus a CSRF secret sent back in the
    # header, so writes reach the services instead of stopping at the CSRF check.
    token = _get_new_csrf_string()
    return {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: token,
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_bad_input_without_a_server_error(case, session_cookie):
    from django.conf import settings as django_settings

    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in session_cookie.items()),
        "X-CSRFToken": session_cookie[django_settings.CSRF_COOKIE_NAME],
    }
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
