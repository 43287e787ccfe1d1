"""Every app's sub-navigation is one portal include: the same markup everywhere, the
page's own tab marked ``aria-current="page"`` (on its detail pages too), tabs the
policy keeps from a person left out, the page's filters carried along."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.registry import registry

pytestmark = pytest.mark.django_db

TABS = [(key, item) for key, (_label, items) in registry.subnavs.items() for item in items]


def _current(html: str) -> list[str]:
    navs = re.findall(r'<nav class="subnav"[^>]*>(.*?)</nav>', html, re.S)
    assert len(navs) == 1, f"{len(navs)} sub-navigations"
    return re.findall(r'<a href="([^"]+)" aria-current="page">', navs[0])


def test_every_app_registers_its_tabs():
    assert {"procedures", "knowledge", "inventory", "data", "skills"} <= set(registry.subnavs)


@pytest.mark.parametrize(("key", "item"), TABS, ids=[i.url_name for _k, i in TABS])
def test_each_tab_is_marked_on_its_own_page(client_for, dave, key, item):
    url = reverse(item.url_name)
    response = client_for(dave).get(url)
    assert response.status_code == 200
    assert _current(response.content.decode()) == [url]


def test_a_detail_page_marks_the_tab_of_its_list(client_for, dave):
    from tests.inventory.builders import grow

    cluster = grow("prod", 1)
    node = cluster.node_set.get()
    html = client_for(dave).get(reverse("inventory:node-detail", args=[node.pk])).content.decode()
    assert _current(html) == [f"{reverse('inventory:node-list')}?cluster={cluster.pk}"]


def test_tabs_the_policy_keeps_from_a_person_are_left_out(client_for, carol, dave):
    def links(user):
        html = client_for(user).get(reverse("inventory:overview")).content.decode()
        nav = re.search(r'<nav class="subnav".*?</nav>', html, re.S).group(0)
        return re.findall(r'href="([^"?]+)', nav)

    assert reverse("inventory:source-list") in links(dave)
    assert reverse("inventory:source-list") not in links(carol)
    assert reverse("inventory:node-list") in links(carol)
