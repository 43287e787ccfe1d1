"""htmx in a real browser: the ADR editor previews as alice types, and a click on a
matrix cell changes its letter in place (and explains a refused second A)."""

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_preview_and_matrix_cells_update_in_place(live_server, page_for, alice):
    from playwright.sync_api import expect

    from knowledge.models import Assignment
    from knowledge.services import activity_create, assignment_set, role_create

    activity = activity_create(actor=alice, name="Deploy models")
    lead = role_create(actor=alice, name="Team lead")
    mlops = role_create(actor=alice, name="MLOps engineer")
    assignment_set(actor=alice, activity=activity, role=lead, letter="A")

    page = page_for(alice)
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
    assert Assignment.objects.get(activity=activity, role=mlops).letter == "C"
    assert Assignment.objects.get(activity=activity, letter="A").role == lead
