"""Generated requests against the whole API's OpenAPI schema, as an administrator,
over every operation and every phase (examples, coverage, fuzzing, and stateful
chains such as create → submit → approve): whatever the input, no server error, no
answer outside the schema and no status code the operation does not declare.

CI runs a fixed seed with a few examples per operation; ``make fuzz-api`` runs the
same tests with ``API_FUZZ_EXAMPLES`` (default there: 100).
"""

from __future__ import annotations

import datetime
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))
STATEFUL_RUNS = int(os.environ.get("API_FUZZ_STATEFUL", "60"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# The coverage phase sends hundreds of boundary bodies per operation; in CI it would
# be most of the run, so it runs under `make fuzz-api` only.
schema.config.phases.coverage.enabled = bool(os.environ.get("API_FUZZ_COVERAGE"))


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
    # A version in review that dave did not write: approve and request-changes can pass.
    other = procedures.procedure_create(
        actor=alice,
        title="GPU quotas",
        slug="gpu-quotas",
        category=Category.objects.get(slug="dataset-versioning"),
        body="Ask before you take more than two GPUs.\n",
    )
    procedures.version_submit(actor=alice, version=other.versions.get())
    adr = knowledge.adr_create(
        actor=alice, title="Use MLflow", date=datetime.date(2025, 3, 1), procedures=[procedure]
    )
    keycloak = knowledge.adr_create(actor=alice, title="Keycloak", date=datetime.date(2025, 4, 1))
    knowledge.adr_link_add(actor=alice, source=keycloak, target=adr, kind="relates_to")
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


def browser_session(user, settings) -> dict:
    """A session as a browser holds it: the session cookie, and the CSRF secret both
    in its cookie and in the header, so that writes reach the services."""
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    client = Client()
    client.force_login(user)
    token = _get_new_csrf_string()
    return {
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: token,
        },
        "headers": {"X-CSRFToken": token},
    }


@pytest.fixture
def dave_browser(dave, some_of_everything, wsgi_shares_test_connection, settings):
    return browser_session(dave, settings)


@pytest.fixture
def bob_browser(bob, some_of_everything, wsgi_shares_test_connection, settings):
    return browser_session(bob, settings)


@pytest.mark.django_db
@schema.parametrize()
@seed(20261201)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("API_FUZZ_EXAMPLES"),
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
def test_every_operation_answers_as_documented(case, dave_browser):
    case.call_and_validate(**dave_browser, checks=CHECKS)


REVIEWS = ("/approve/", "/request-changes/", "/reject/")


# On SQLite the scenarios' answers differ between examples (Hypothesis reports
# inconsistent generation), so the chains run on PostgreSQL, which CI has.
@pytest.mark.postgres
@pytest.mark.django_db
def test_chains_of_operations_answer_as_documented(dave_browser, bob_browser):
    answered = []

    # The chains that carry the workflows: procedures and their versions, decisions.
    chains = schema.include(path_regex=r"^/api/v1/(procedures|procedure-versions|adrs)/")

    class Workflow(chains.as_state_machine()):
        # Each scenario starts from the same database: what one created is rolled back
        # (a savepoint on the connection the portal shares), so the next scenario's
        # answers, and with them the links Hypothesis can follow, are the same on replay.
        def setup(self):
            self._scenario = transaction.atomic()
            self._scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._scenario.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            # dave (admin) drafts and submits; bob, who wrote none of it, reviews.
            return bob_browser if case.operation.path.endswith(REVIEWS) else dave_browser

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answered.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_RUNS,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            # The scenarios change the database they read from, so a replay (reuse,
            # shrinking) would not see the same answers: generate only, store nothing.
            phases=[Phase.generate],
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The chains start from real creations and follow their links to the workflow
    # (with this seed: create → draft → a review decision).
    reached = {label for label, code in answered if code < 400}
    assert "POST /api/v1/procedures/" in reached, sorted(set(answered))
    assert any(label.startswith("POST /api/v1/procedure-versions/{id}/") for label in reached), (
        sorted(set(answered))
    )
