"""The page cache on a real server, in Chromium: a kept page still takes a person's
acknowledgement (htmx posts from the kept form, with this request's CSRF token), and
reloading shows it, because the service's audit event replaced the generation when
its transaction committed (a live server commits for real)."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from portal import page_cache
from tests.knowledge.conftest import page_for  # noqa: F401 - registers the fixture
from tests.portal.publishing import publish, tasks_run_in_place  # noqa: F401 (autouse)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # page_for: the ORM inside Playwright's loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_cache_on(settings, monkeypatch):
    settings.PAGE_CACHE_SECONDS = 60
    release = uuid.uuid4().hex
    monkeypatch.setattr(page_cache, "code_fingerprint", lambda: release)


def test_a_kept_page_takes_an_acknowledgement_and_shows_it_on_reload(
    live_server,
    page_for,  # noqa: F811
    page_cache_on,
    alice,
    bob,
    carol,
):
    from playwright.sync_api import expect

    publish(alice, bob, title="Dataset rules", body="Version datasets.", slug="dataset-rules")
    page = page_for(carol)
    url = f"{live_server.url}/procedures/dataset-rules/"
    page.goto(url)  # rendered and kept
    page.goto(url)  # from the cache
    page.get_by_role("button", name=re.compile("I have read it")).click()
    expect(page.locator("#acknowledge")).to_contain_text("You have acknowledged")
    page.reload()
    expect(page.locator("#acknowledge")).to_contain_text("You have acknowledged")
    expect(page.get_by_role("button", name=re.compile("I have read it"))).to_have_count(0)
