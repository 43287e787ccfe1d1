"""Search as you type, in a real browser: results replace themselves while the
words are typed, without a page load, and the address follows the query."""

from __future__ import annotations

import os

import pytest

from tests.conftest import launch_chromium
from tests.portal.publishing import publish

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(locale="en-US")
        yield context
        browser.close()


def test_results_appear_while_typing(live_server, browser_page, alice, bob, carol):
    from django.test import Client
    from playwright.sync_api import expect

    publish(
        alice,
        bob,
        title="Версионирование датасетов",
        slug="datasets",
        body="Датасеты хранятся в DVC.",
        elements=["data"],
    )
    publish(alice, bob, title="GPU usage", slug="gpu", body="Queue.", elements=["hardware"])
    client = Client()
    client.force_login(carol)
    browser_page.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = browser_page.new_page()
    page.goto(f"{live_server.url}/search/")
    page.evaluate("window.__loadedOnce = true")
    page.locator("#search-q").press_sequentially("ДАТАС", delay=60)
    hit = page.locator("#search-results .search-hit a.search-title")
    hit.first.wait_for(timeout=10_000)
    assert hit.all_inner_texts() == ["Версионирование датасетов"]
    assert page.evaluate("window.__loadedOnce") is True  # swapped in place, not reloaded
    assert "q=%D0%94%D0%90%D0%A2%D0%90%D0%A1" in page.url

    page.locator("#search-q").fill("")
    page.locator("#search-q").press_sequentially("gpu", delay=60)
    expect(hit).to_have_text(["GPU usage"], timeout=10_000)
    # A filter applies at once too: there is no past version of "GPU usage".
    page.locator("select[name=kind]").select_option("procedure_version")
    expect(page.locator("#search-results")).to_contain_text("Nothing found", timeout=10_000)
    assert "kind=procedure_version" in page.url
