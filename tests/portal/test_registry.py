"""A name is registered once: a second registration raises instead of one of the two
silently winning."""

import pytest

from portal.registry import DuplicateRegistration, HomePanel, Registry, SearchProvider


def _panel(key):
    return HomePanel(key=key, element="data", template="x.html", build=dict)


@pytest.mark.parametrize(
    "first, second",
    [
        (lambda r: r.add_home_panel(_panel("a")), lambda r: r.add_home_panel(_panel("a"))),
        (
            lambda r: r.add_search_provider(SearchProvider("adr", "ADR", list)),
            lambda r: r.add_search_provider(SearchProvider("adr", "Other", list)),
        ),
        (lambda r: r.add_seeder(1, "s", print), lambda r: r.add_seeder(2, "s", print)),
        (
            lambda r: r.add_backup_part(1, "b", print, print),
            lambda r: r.add_backup_part(2, "b", print, print),
        ),
        (
            lambda r: r.add_notification_kind("k", "K"),
            lambda r: r.add_notification_kind("k", "K2"),
        ),
        (
            lambda r: r.add_nav_item(1, "x:y", "X", "/x/"),
            lambda r: r.add_nav_item(2, "x:y", "X", "/x/"),
        ),
    ],
)
def test_a_second_registration_under_one_name_raises(first, second):
    registry = Registry()
    first(registry)
    with pytest.raises(DuplicateRegistration):
        second(registry)


def test_distinct_names_are_kept_in_order():
    registry = Registry()
    registry.add_home_panel(HomePanel("b", "data", "x.html", dict, order=2))
    registry.add_home_panel(HomePanel("a", "data", "x.html", dict, order=1))
    assert [p.key for p in registry.home_panels] == ["a", "b"]
