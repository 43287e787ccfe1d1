"""The usage sparklines on the node page and per GPU model on the overview: a day or a
week, words for screen readers, a plain "no history" text, and a number of queries
that does not grow with nodes or hours."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.choices import SyncStatus
from inventory.models import GpuUsageSample, Node, SyncRun
from inventory.reconcile import reconcile
from inventory.usage import buckets

from .builders import cluster_snapshot, grow, make_cluster

pytestmark = pytest.mark.django_db


def labels(response) -> list[str]:
    assert response.status_code == 200
    body = response.content.decode()
    return [html.unescape(m) for m in re.findall(r'role="img" aria-label="([^"]+)"', body)]


def sync(cluster, snapshot, at):
    run = SyncRun(
        cluster=cluster, source_kind="kubernetes", status=SyncStatus.SUCCEEDED, started_at=at
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)


def two_hours_of_a_node():
    """One node of 4 GPUs: 1 requested at 20 % an hour ago, 3 at 60 % now."""
    cluster = make_cluster()
    snapshot = cluster_snapshot(1, gpus_per_node=4)
    now = timezone.now()

    def at(requested, util):
        return dataclasses.replace(
            snapshot,
            nodes=[dataclasses.replace(n, gpu_requested=requested) for n in snapshot.nodes],
            gpus=[dataclasses.replace(g, utilization_gpu_pct=util) for g in snapshot.gpus],
        )

    sync(cluster, at(1, 20.0), now - timedelta(hours=1))
    sync(cluster, at(3, 60.0), now)
    return cluster, Node.objects.get(cluster=cluster)


def test_the_node_page_draws_allocation_and_utilisation_of_the_day(client_for, carol):
    _cluster, node = two_hours_of_a_node()
    url = reverse("inventory:node-detail", args=[node.pk])
    assert labels(client_for(carol).get(url)) == [
        "GPU allocation over the last day: min 1, max 3, now 3",
        "GPU utilisation over the last day: min 20 %, max 60 %, now 60 %",
    ]


def test_the_week_is_a_link_away_and_an_unknown_range_is_refused(client_for, carol):
    _cluster, node = two_hours_of_a_node()
    url = reverse("inventory:node-detail", args=[node.pk])
    client = client_for(carol)
    body = client.get(url).content.decode()
    assert "?usage=week" in body  # the switch is a plain link, no script
    week = labels(client.get(url, {"usage": "week"}))
    assert week[0].startswith("GPU allocation over the last week: min 1")
    response = client.get(url, {"usage": "year"})
    assert response.status_code == 400 and "day" in response.content.decode()


def test_the_node_page_speaks_russian(client_for, carol):
    _cluster, node = two_hours_of_a_node()
    client = client_for(carol)
    response = client.get(
        reverse("inventory:node-detail", args=[node.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert labels(response)[0] == "Выделение GPU за последние сутки: мин 1, макс 3, сейчас 3"


def test_a_node_without_history_says_so(client_for, carol):
    grow("prod", 1)
    node = Node.objects.get()
    GpuUsageSample.objects.all().delete()
    response = client_for(carol).get(reverse("inventory:node-detail", args=[node.pk]))
    assert labels(response) == []
    assert "No history yet." in response.content.decode()


def test_the_overview_sums_each_gpu_model_over_its_nodes(client_for, carol):
    cluster = make_cluster()
    snapshot = cluster_snapshot(3, gpus_per_node=2)
    busy = dataclasses.replace(
        snapshot, nodes=[dataclasses.replace(n, gpu_requested=2) for n in snapshot.nodes]
    )
    sync(cluster, snapshot, timezone.now() - timedelta(hours=2))
    sync(cluster, busy, timezone.now())
    found = labels(client_for(carol).get(reverse("inventory:overview")))
    # Three nodes of two A100s each: none requested two hours ago, all six now.
    assert found == [
        "GPU allocation over the last day: min 0, max 6, now 6",
        "GPU utilisation over the last day: min 50 %, max 50 %, now 50 %",
    ]


def fill_history(cluster, hours: int):
    """``hours`` hours of samples for every node of ``cluster``, as a week of syncs
    would have left them."""
    rows = [
        GpuUsageSample(
            cluster=cluster, node=node, product="NVIDIA A100-SXM4-80GB", bucket_start=hour,
            samples=12, gpu_allocatable_sum=12 * 2, gpu_requested_sum=i % 24,
            utilization_sum=12 * 40.0, utilization_samples=12,
        )
        for node in Node.objects.filter(cluster=cluster)
        for i, hour in enumerate(buckets(hours)[:-1])
    ]  # fmt: skip
    GpuUsageSample.objects.bulk_create(rows)


@pytest.mark.parametrize("usage", ["day", "week"])
@pytest.mark.parametrize("page", ["overview", "node"])
def test_queries_do_not_grow_with_nodes_or_hours(client_for, carol, page, usage):
    client = client_for(carol)
    first = grow("first", 1)
    node = Node.objects.get(cluster=first)
    url = reverse("inventory:overview") if page == "overview" else node.get_absolute_url()
    client.get(url)  # sessions, roles and caches filled once
    counts = []
    for size, hours in ((5, 3), (60, 7 * 24)):
        GpuUsageSample.objects.filter(cluster=first).delete()
        fill_history(first, hours)
        fill_history(grow(f"c{size}", size), hours)
        with CaptureQueriesContext(connection) as ctx:
            found = labels(client.get(url, {"usage": usage}))
        assert found  # the sparklines are drawn, not skipped
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
