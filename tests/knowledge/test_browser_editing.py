"""htmx in a real browser: the ADR editor previews as alice types, and a click on a
matrix cell changes its letter in place (and explains a refused second A)."""

import os

import pytest

from tests.knowledge.test_browser_onboarding import CHROMIUM_ARGS, _session_cookie

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_preview_and_matrix_cells_update_in_place(live_server, alice):
    from playwright.sync_api import expect, sync_playwright

    from knowledge.models import Assignment
    from knowledge.services import activity_create, assignment_set, role_create
    from tests.conftest import CHROMIUM

    activity = activity_create(actor=alice, name="Deploy models")
    lead = role_create(actor=alice, name="Team lead")
    mlops = role_create(actor=alice, name="MLOps engineer")
    assignment_set(actor=alice, activity=activity, role=lead, letter="A")

    # The CI machine is small and shared: wait longer than Playwright's 5 s default.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.add_cookies([_session_cookie(alice, live_server.url)])
            page = context.new_page()
            page.set_default_timeout(30_000)

            page.goto(f"{live_server.url}/knowledge/adr/new/")
            page.fill("input[name=title]", "Квоты GPU")
            page.fill("textarea[name=context]", "Use **Kueue** queues")
            expect(page.locator("#preview strong")).to_have_text("Kueue")

            page.goto(f"{live_server.url}/knowledge/matrix/")
            cell = page.locator(f"#cell-{activity.pk}-{mlops.pk}")
            cell.locator("button").click()
            expect(page.locator(f"#cell-{activity.pk}-{mlops.pk} button")).to_have_text("R")
            page.locator(f"#cell-{activity.pk}-{mlops.pk} button").click()
            expect(page.locator(f"#cell-{activity.pk}-{mlops.pk} [role=alert]")).to_contain_text(
                "already Accountable"
            )
            page.locator(f"#cell-{activity.pk}-{mlops.pk} button").click()
            expect(page.locator(f"#cell-{activity.pk}-{mlops.pk} button")).to_have_text("C")
        finally:
            browser.close()
    assert Assignment.objects.get(activity=activity, role=mlops).letter == "C"
    assert Assignment.objects.get(activity=activity, letter="A").role == lead
