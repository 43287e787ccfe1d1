"""A change reads in the reader's language: the field's name and its values in words
("готов: Нет → Да"), not the column and the JSON the sync stored ("ready False→True")."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from inventory.models import Node

from .builders import make_cluster, sync_node_change

pytestmark = pytest.mark.django_db


@pytest.fixture
def node_that_became_ready():
    cluster = make_cluster()
    sync_node_change(cluster, ready=False, mig_mode="Disabled")
    sync_node_change(cluster, ready=True, mig_mode="Enabled")
    return Node.objects.get()


def _rows(html: str) -> dict[str, list[str]]:
    """The change table's rows by the stored field name (the cell's title): the field,
    from and to cells as the reader sees them."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        stored = re.search(r'<span title="([^"]+)">', row)
        if stored:
            rows[stored.group(1)] = cells[-3:]
    return rows


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", {"ready": ["готов", "Нет", "Да"], "mig_mode": ["режим MIG", "Выключен", "Включён"], "labels.zone": ["метки: zone", "b", "a"]}),
        ("en", {"ready": ["ready", "No", "Yes"], "mig_mode": ["MIG mode", "Disabled", "Enabled"], "labels.zone": ["labels: zone", "b", "a"]}),
    ],
)  # fmt: skip
def test_changes_name_the_field_and_its_values_in_words(
    client_for, carol, node_that_became_ready, language, expected
):
    client = client_for(carol)
    for url in (
        reverse("inventory:change-list"),
        reverse("inventory:node-detail", args=[node_that_became_ready.pk]),
    ):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        rows = _rows(html)
        for field, cells in expected.items():
            assert rows.get(field) == cells, (url, field, rows.get(field))
        assert not re.search(
            r"\b(True|False|None)\b", " ".join(c for cells in rows.values() for c in cells)
        )
