"""The four daily journeys walked in Chromium, in English and in Russian: carol
finishes a ten-step onboarding track, alice proposes a change, bob reviews it, dave
looks after the portal. Each journey counts its clicks, and every main page it
touches (and the portal's other main pages) must fit a 390 px phone without
scrolling sideways."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone, translation

from procedures.choices import VersionStatus
from tests.conftest import launch_chromium
from tests.portal.publishing import approve, publish, tasks_run_in_place  # noqa: F401 (autouse)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "ru"]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


class Walk:
    """A signed-in browser page that counts the clicks a person makes."""

    def __init__(self, page, base: str):
        self.page, self.base, self.clicks, self.seen = page, base, 0, []

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.seen.append(path)

    def click(self, selector: str) -> None:
        self.clicks += 1
        self.page.locator(selector).first.click()
        self.page.wait_for_load_state()
        self.seen.append(self.page.url.removeprefix(self.base))

    def overflowing(self, paths) -> dict[str, int]:
        """Each page wider than a 390 px phone, with its width."""
        self.page.set_viewport_size(PHONE)
        wide = {}
        try:
            for path in dict.fromkeys(paths):
                self.page.goto(self.base + path)
                width = self.page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    wide[path] = width
        finally:
            self.page.set_viewport_size(LAPTOP)
        return wide


@pytest.fixture
def walk_as(live_server):
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)

        def make(user, language: str) -> Walk:
            client = Client()
            client.force_login(user)
            context = browser.new_context(viewport=LAPTOP)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    },
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": live_server.url,
                    },
                ]
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            walk = Walk(page, live_server.url)
            walk.open("/")
            assert page.locator("html").get_attribute("lang") == language
            return walk

        try:
            yield make
        finally:
            browser.close()


@pytest.fixture
def portal(alice, bob, carol, dave):
    """Eight procedures in force, two accepted decisions, a ten-step track for carol
    with alice as her buddy, and alice's major change of one procedure in review."""
    from knowledge.choices import Phase, StepKind
    from knowledge.services import (
        adr_accept,
        adr_create,
        enrolment_create,
        role_create,
        track_create,
        track_step_create,
    )
    from procedures import services

    procedures = [
        publish(alice, bob, title=f"Rule {n}", slug=f"rule-{n}", body=f"Rule {n} says one thing.\n")
        for n in range(8)
    ]
    adrs = []
    for title in ("Track experiments in MLflow", "Version datasets with DVC"):
        adr = adr_create(actor=alice, title=title, context="Why we chose it.")
        adr_accept(actor=bob, adr=adr)
        adrs.append(adr)
    track = track_create(actor=alice, role=role_create(actor=alice, name="ML"), title="Start")
    steps = [
        track_step_create(
            actor=alice,
            track=track,
            phase=Phase.FIRST_WEEK,
            kind=StepKind.ACKNOWLEDGE,
            title=f"Read {p.title}",
            procedure=p,
        )
        for p in procedures[:6]
    ]
    steps += [
        track_step_create(
            actor=alice,
            track=track,
            phase=Phase.FIRST_WEEK,
            kind=StepKind.READ_ADR,
            title=f"Read {a.code}",
            adr=a,
        )
        for a in adrs
    ]
    steps += [
        track_step_create(
            actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title=title
        )
        for title in ("Get your laptop", "Meet your buddy")
    ]
    enrolment = enrolment_create(
        actor=dave, user=carol, track=track, start_date=timezone.localdate(), buddy=alice
    )
    change = services.version_create(
        actor=alice,
        procedure=procedures[7],
        body="Rule 7 says another thing.\n",
        change_kind="major",
        change_summary="Rule 7 now says another thing",
    )
    services.version_submit(actor=alice, version=change)
    return {"procedures": procedures, "adrs": adrs, "steps": steps, "enrolment": enrolment}


def _label(choice, language: str) -> str:
    with translation.override(language):
        return str(choice.label)


def main_pages(portal) -> list[str]:
    adr = portal["adrs"][0]
    return [
        "/",
        "/procedures/",
        "/procedures/rule-0/",
        "/procedures/rule-0/history/",
        "/procedures/rule-7/v2.0/",
        "/procedures/rule-7/diff/?mode=side",
        "/procedures/review-queue/",
        "/procedures/overdue/",
        "/knowledge/",
        "/knowledge/adr/",
        f"/knowledge/adr/{adr.number}/",
        "/knowledge/matrix/",
        "/knowledge/onboarding/",
        "/knowledge/tracks/",
        "/inventory/",
        "/search/?q=rule",
        "/notifications/",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_carol_finishes_ten_steps_in_at_most_twelve_clicks(walk_as, portal, carol, language):
    from portal.models import Notification

    walk = walk_as(carol, language)
    walk.click('#work-onboarding a[href="/knowledge/onboarding/"]')
    for step in portal["steps"]:
        walk.click(f"#step-{step.pk} form button")
    assert walk.page.locator("#track-complete").is_visible()
    assert walk.page.locator(".enrolment progress").get_attribute("value") == "100"
    assert walk.clicks <= 12, walk.clicks
    assert Notification.objects.filter(kind="onboarding_completed").count() == 1
    assert "first_week" not in walk.page.inner_text("main")  # phases by name, not code
    assert walk.overflowing(walk.seen + main_pages(portal)) == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_alice_proposes_and_submits_a_change_in_four_clicks(walk_as, portal, alice, language):
    walk = walk_as(alice, language)
    walk.click('.site-nav a[href="/procedures/"]')
    walk.click('main a[href="/procedures/rule-6/"]')
    walk.click('a[href="/procedures/rule-6/new-version/"]')
    page = walk.page
    page.fill("textarea[name=body]", "Rule 6 says a better thing.\n")
    page.select_option("select[name=change_kind]", "major")
    page.fill("input[name=change_summary]", "Better words")
    walk.click('#editor button[name="then"][value="submit"]')
    assert page.url.endswith("/procedures/rule-6/v2.0/")
    assert "better" in page.locator("#changes ins").first.inner_text()
    assert page.locator(".badge", has_text=_label(VersionStatus.IN_REVIEW, language)).is_visible()
    assert walk.clicks <= 4, walk.clicks
    assert walk.overflowing(walk.seen + main_pages(portal)) == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_bob_reviews_from_home_in_two_clicks_with_the_diff_first(walk_as, portal, bob, language):
    walk = walk_as(bob, language)
    walk.click('#work-reviews a[href="/procedures/rule-7/v2.0/"]')
    page = walk.page
    assert page.locator("#summary").inner_text().count("Rule 7 now says another thing") == 1
    assert "another" in page.locator("#changes ins").first.inner_text()
    # The decision form is in view without scrolling, beside the diff.
    box = page.locator("#review").bounding_box()
    assert box is not None and box["y"] < LAPTOP["height"]
    walk.click("#review button[value=approve]")
    assert page.locator(".badge", has_text=_label(VersionStatus.APPROVED, language)).is_visible()
    assert walk.clicks <= 2, walk.clicks
    assert walk.overflowing(walk.seen + main_pages(portal)) == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_dave_reads_the_audit_log_and_team_onboarding_in_three_clicks(
    walk_as, portal, dave, language
):
    walk = walk_as(dave, language)
    assert walk.page.locator("#my-work").is_visible()
    walk.click('.site-nav a[href="/audit/"]')
    assert walk.page.locator("main table tbody tr").count() > 0
    walk.click('.site-nav a[href="/knowledge/"]')
    walk.click('.subnav a[href="/knowledge/onboarding/team/"]')
    assert walk.page.locator(f"#enrolment-{portal['enrolment'].pk}").is_visible()
    assert walk.clicks <= 3, walk.clicks
    admin_pages = ["/audit/", "/knowledge/onboarding/team/", "/inventory/findings/"]
    assert walk.overflowing(walk.seen + main_pages(portal) + admin_pages) == {}
