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
def session_cookie(dave, make_adr, wsgi_shares_test_connection):
    from django.conf import settings as django_settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    make_adr("Existing record")
    client = Client()
    client.force_login(dave)  # an admin, so that no operation stops at permissions
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

    # Cookies go in as cookies: the schema names the session cookie as its security
    # scheme, and a generated value would replace a hand-made Cookie header.
    response = case.call_and_validate(
        cookies=session_cookie,
        headers={"X-CSRFToken": session_cookie[django_settings.CSRF_COOKIE_NAME]},
        checks=[not_a_server_error],
    )
    assert response.status_code not in (401, 403), "the generated request never got past sign-in"
