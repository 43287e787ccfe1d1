"""With the UI in Russian the main pages show words, never codes: no audit verb or
status code, no True/False/None, no English status or Kubernetes word the catalogues
translate, and each app's sub-navigation marks the page's own tab."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.inventory.builders import make_cluster, sync_node_change
from tests.portal.test_browser_journeys import portal, walk_as  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the reader sees of a page: its main part without code, commands and the
# Markdown bodies people wrote (those may quote anything).
VISIBLE_TEXT = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("code, pre, kbd, .markdown, .search-snippet").forEach(e => e.remove());
  return main.innerText;
}"""
# Words of the Kubernetes and review vocabulary that were once shown untranslated.
ENGLISH_WORDS = {"Ready", "NotReady", "Taints", "Capacity", "Allocatable", "Namespace",
                 "Workload", "Container runtime", "bus factor", "starter", "system"}  # fmt: skip


def _codes() -> set[str]:
    from portal.registry import registry

    codes = set(registry.audit_verbs) | set(registry.badge_tones)
    codes |= {code for _kind, code in registry.status_labels}
    return {c for c in codes if len(c) > 3}


def _english_labels() -> set[str]:
    """The English names of the choices pages show, where Russian has its own."""
    from inventory.choices import ChangeKind, ObjectKind, SyncStatus
    from knowledge.choices import AdrStatus, Phase
    from procedures.choices import VersionPhase, VersionStatus

    labels = set()
    for choices in (
        ChangeKind,
        ObjectKind,
        SyncStatus,
        AdrStatus,
        Phase,
        VersionPhase,
        VersionStatus,
    ):
        for choice in choices:
            with translation.override("en"):
                english = str(choice.label)
            with translation.override("ru"):
                if str(choice.label) != english:
                    labels.add(english)
    return labels


def _raw(text: str) -> list[str]:
    words = _codes() | _english_labels() | ENGLISH_WORDS
    pattern = r"(?<![\w./-])(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    found = re.findall(pattern + r")(?![\w/-])", text)
    found += re.findall(r"\b[a-z]+[._][a-z_]+\b|\b(?:True|False|None)\b", text)
    return sorted(set(found))


@pytest.fixture
def russian_pages(portal):  # noqa: F811 (the fixture imported above)
    from inventory.models import Node

    cluster = make_cluster("prod")
    sync_node_change(cluster, ready=False, mig_mode="Disabled")
    sync_node_change(cluster, ready=True, mig_mode="Enabled")
    adr = portal["adrs"][0]
    # page -> the href of the sub-navigation tab it must mark as its own (None: no tabs)
    return {
        "/": None,
        "/procedures/": "/procedures/",
        "/procedures/rule-0/": None,
        "/knowledge/adr/": "/knowledge/adr/",
        f"/knowledge/adr/{adr.number}/": None,
        "/knowledge/matrix/": "/knowledge/matrix/",
        "/knowledge/onboarding/": "/knowledge/onboarding/",
        "/inventory/": "/inventory/",
        "/inventory/nodes/": "/inventory/nodes/",
        f"/inventory/nodes/{Node.objects.get().pk}/": f"/inventory/nodes/?cluster={cluster.pk}",
        "/inventory/changes/": "/inventory/changes/",
        "/data/": "/data/",
        "/skills/": "/skills/",
        "/search/?q=rule": None,
        "/audit/": None,
    }


def test_the_russian_ui_shows_words_not_codes(walk_as, russian_pages, dave):  # noqa: F811
    walk = walk_as(dave, "ru")
    raw, tabs = {}, {}
    for path, tab in russian_pages.items():
        walk.open(path)
        found = _raw(walk.page.evaluate(VISIBLE_TEXT))
        if found:
            raw[path] = found
        current = walk.page.locator('.subnav a[aria-current="page"]')
        hrefs = [current.nth(i).get_attribute("href") for i in range(current.count())]
        if hrefs != ([tab] if tab else hrefs):
            tabs[path] = hrefs
    assert not raw, raw
    assert not tabs, tabs


def test_the_check_finds_codes():
    assert _raw("ready False→True, mig_mode Disabled") == ["False", "True", "mig_mode", "ready"]
    assert _raw("Approved · adr.create · first_week") == ["Approved", "adr.create", "first_week"]
    assert _raw("готов: Нет → Да, режим MIG") == []
