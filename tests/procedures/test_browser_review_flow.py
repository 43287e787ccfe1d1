"""End to end in Chromium: alice drafts and submits, bob approves, carol
acknowledges with one click (htmx). Each signs in through the login form."""

from __future__ import annotations

import os
import re

import pytest

from procedures.models import Acknowledgement, ProcedureVersion
from tests.conftest import launch_chromium

# Playwright's sync API runs an event loop in this thread; Django's ORM must allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def sign_in(browser, base: str, username: str):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/accounts/login/?next=/procedures/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"{username}-password")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/procedures/$"))
    return context, page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_draft_submit_approve_acknowledge(live_server, alice, bob, carol):
    from playwright.sync_api import sync_playwright

    base = live_server.url
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            # alice writes a new procedure and submits it.
            context, page = sign_in(browser, base, "alice")
            page.click("text=New procedure")
            page.fill("input[name=title]", "GPU reservations")
            page.fill("input[name=slug]", "gpu-reservations")
            page.select_option("select[name=category]", label="Infrastructure usage")
            page.fill("textarea[name=body]", "## Rule\n\nBook GPUs a day ahead.")
            page.wait_for_selector("#preview h2")  # the live preview rendered it
            page.click("text=Create draft")
            page.wait_for_url(re.compile(r".*/gpu-reservations/v1\.0/edit/$"))
            page.click("text=Save and submit for review")
            page.wait_for_url(re.compile(r".*/gpu-reservations/v1\.0/$"))
            assert page.locator(".badge", has_text="In review").first.is_visible()
            context.close()

            # bob finds it in his queue and approves it.
            context, page = sign_in(browser, base, "bob")
            page.goto(f"{base}/procedures/review-queue/")
            page.click("text=GPU reservations")
            page.click("#review button[value=approve]")
            page.locator(".badge", has_text="Approved").first.wait_for()
            assert "Bob" in page.inner_text("#signatures")
            context.close()

            # carol reads it and acknowledges with one click.
            context, page = sign_in(browser, base, "carol")
            page.goto(f"{base}/procedures/gpu-reservations/")
            assert "Book GPUs a day ahead." in page.inner_text("article")
            page.click("text=I have read it")
            page.wait_for_selector("text=You have acknowledged version 1.0")
            # htmx swapped the block in place: still the same page, no reload.
            assert page.url.endswith("/procedures/gpu-reservations/")
            context.close()
        finally:
            browser.close()

    version = ProcedureVersion.objects.get(procedure__slug="gpu-reservations")
    assert (version.status, version.author.username) == ("approved", "alice")
    assert version.reviews.get().reviewer.username == "bob"
    assert Acknowledgement.objects.get().user.username == "carol"
