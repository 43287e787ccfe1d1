"""Generated requests against the whole API's OpenAPI schema, as an administrator:
whatever the input, no server error, and every answer matches the schema."""

from __future__ import annotations

import datetime

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

reads = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(method="GET")
# Two creations whose input is richest (Markdown, slugs, element codes, dates). Loaded
# on their own so that their settings are their own: the coverage phase's hundreds of
# boundary bodies per operation would double the run, so these get random bodies only.
creations = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    method="POST", path_regex=r"^/api/v1/(procedures|adrs)/$"
)
creations.config.phases.coverage.enabled = False


@pytest.fixture
def some_of_everything(alice, bob, carol, dave):
    """One record of each kind, so list answers have items to check against the schema."""
    from inventory.services import cluster_create, source_create
    from knowledge import services as knowledge
    from procedures import services as procedures
    from procedures.models import Category

    procedure = procedures.procedure_create(
        actor=alice,
        title="Dataset rules",
        slug="dataset-rules",
        category=Category.objects.get(slug="dataset-versioning"),
        body="## Rules\n\nVersion every dataset.\n",
        elements=["data"],
    )
    version = procedures.version_submit(actor=alice, version=procedure.versions.get())
    procedures.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    procedures.procedure_acknowledge(actor=carol, procedure=procedure)
    adr = knowledge.adr_create(
        actor=alice, title="Use MLflow", date=datetime.date(2025, 3, 1), procedures=[procedure]
    )
    other = knowledge.adr_create(actor=alice, title="Keycloak", date=datetime.date(2025, 4, 1))
    knowledge.adr_link_add(actor=alice, source=other, target=adr, kind="relates_to")
    role = knowledge.role_create(actor=alice, name="ML engineer")
    activity = knowledge.activity_create(actor=alice, name="Deploy", procedure=procedure)
    knowledge.assignment_set(actor=alice, activity=activity, role=role, letter="A")
    track = knowledge.track_create(actor=alice, role=role, title="ML onboarding")
    knowledge.track_step_create(
        actor=alice, track=track, phase="first_day", kind="task", title="Meet the team"
    )
    knowledge.enrolment_create(
        actor=dave, user=carol, track=track, start_date=datetime.date(2026, 11, 2)
    )
    cluster = cluster_create(actor=dave, name="gpu-prod")
    source_create(
        actor=dave, cluster=cluster, name="api", kind="kubernetes", config={"in_cluster": True}
    )


@pytest.fixture
def dave_session(dave, some_of_everything, wsgi_shares_test_connection, settings):
    """dave's session cookie, passed as a cookie: the schema declares the session
    cookie as its security scheme, and a generated value would replace a header."""
    from django.test import Client

    client = Client()
    client.force_login(dave)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.mark.django_db
@reads.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_read_answers_without_a_server_error_and_as_documented(case, dave_session):
    case.call_and_validate(
        cookies=dave_session, checks=[not_a_server_error, response_schema_conformance]
    )


@pytest.mark.django_db
@creations.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_creations_refuse_bad_input_without_a_server_error(case, dave_session, settings):
    from django.middleware.csrf import _get_new_csrf_string

    # A browser session: the CSRF secret in its cookie and again in the header.
    token = _get_new_csrf_string()
    case.call_and_validate(
        cookies={**dave_session, settings.CSRF_COOKIE_NAME: token},
        headers={"X-CSRFToken": token},
        checks=[not_a_server_error, response_schema_conformance],
    )
