"""carol, a new engineer, opens her onboarding, acknowledges a procedure from it and
sees the step done: in a real browser against the running portal."""

import os

import pytest
from django.utils import timezone

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _session_cookie(user, url: str) -> dict:
    """Sign carol in the way the sign-in page would, without depending on its form
    (local or Keycloak, depending on the deployment)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_carol_acknowledges_a_procedure_from_her_onboarding(
    live_server, alice, bob, carol, publish
):
    from playwright.sync_api import expect, sync_playwright

    from knowledge.choices import Phase, StepKind
    from knowledge.services import enrolment_create, role_create, track_create, track_step_create
    from procedures.models import Acknowledgement
    from tests.conftest import CHROMIUM

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

    # The CI machine is small and shared: wait longer than Playwright's 5 s default.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([_session_cookie(carol, live_server.url)])
            page = context.new_page()
            page.set_default_timeout(30_000)
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
        finally:
            browser.close()
    assert Acknowledgement.objects.filter(user=carol, procedure=procedure, major=1).exists()
