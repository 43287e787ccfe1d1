"""carol, a new engineer, opens her onboarding, acknowledges a procedure from it and
sees the step done: in a real browser against the running portal."""

import os

import pytest
from django.utils import timezone

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_carol_acknowledges_a_procedure_from_her_onboarding(
    live_server, page_for, alice, bob, carol, publish
):
    from playwright.sync_api import expect

    from knowledge.choices import Phase, StepKind
    from knowledge.services import enrolment_create, role_create, track_create, track_step_create
    from procedures.models import Acknowledgement

    procedure = publish("dataset-versioning")
    role = role_create(actor=alice, name="ML engineer")
    track = track_create(actor=alice, role=role, title="ML engineer onboarding")
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.ACKNOWLEDGE,
        title="Read and acknowledge dataset versioning",
        procedure=procedure,
    )
    enrolment_create(
        actor=bob, user=carol, track=track, start_date=timezone.localdate(), buddy=alice
    )

    page = page_for(carol)
    page.goto(f"{live_server.url}/knowledge/onboarding/")
    item = page.locator(f"#step-{step.pk}")
    expect(item).to_have_attribute("data-state", "open")
    expect(page.locator(".enrolment progress")).to_have_attribute("value", "0")
    item.get_by_role("button", name="I have read it: acknowledge").click()
    page.wait_for_url(f"{live_server.url}/knowledge/onboarding/")
    item = page.locator(f"#step-{step.pk}")
    expect(item).to_have_attribute("data-state", "done")
    expect(item.locator(".badge")).to_have_text("Done")
    expect(page.locator(".enrolment progress")).to_have_attribute("value", "100")
    assert Acknowledgement.objects.filter(user=carol, procedure=procedure, major=1).exists()
