"""The sparklines in Chromium: drawn on the node page and the overview, in both
languages, and a 390 px phone still needs no sideways scrolling."""

from __future__ import annotations

import pytest

from tests.portal.test_browser_journeys import LANGUAGES, walk_as  # noqa: F401 (the fixture)

from .test_usage_pages import two_hours_of_a_node

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sparklines_fit_a_phone(walk_as, carol, language):  # noqa: F811
    _cluster, node = two_hours_of_a_node()
    walk = walk_as(carol, language)
    walk.open(node.get_absolute_url())
    pictures = walk.page.locator('svg[role="img"]')
    assert pictures.count() == 2 and pictures.first.is_visible()
    walk.click('.usage-switch a[href="?usage=week"]')
    assert walk.page.locator('.usage-switch [aria-current="true"]').count() == 1
    assert walk.page.locator('svg[role="img"]').count() == 2
    walk.open("/inventory/")
    assert walk.page.locator('td svg[role="img"]').count() == 2
    pages = [node.get_absolute_url(), f"{node.get_absolute_url()}?usage=week", "/inventory/"]
    assert walk.overflowing(pages) == {}
