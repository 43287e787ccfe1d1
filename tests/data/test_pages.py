"""The data pages: who sees what, bad input answers 4xx, and query counts stay
the same as the catalogue grows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from data import services
from data.choices import StoreKind
from data.models import Dataset, DataStore


def _grow(net, n):
    for i in range(n):
        store = services.store_create(actor=None, name=f"extra-{i}", kind=StoreKind.OBJECT)
        services.dataset_create(
            actor=None,
            name=f"extra-{i}",
            store=store,
            size_bytes=10**12,
            personal_data=True,
            clusters=[net.cluster],
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


PAGES = [
    ("data:dataset-list", None),
    ("data:store-list", None),
    ("data:site-list", None),
    ("data:link-list", None),
    ("data:findings", None),
    ("data:map", None),
    ("data:dataset-detail", "speech"),
    ("home", None),
]


def _url(net, name, arg):
    return reverse(name, args=[getattr(net, arg).pk]) if arg else reverse(name)


@pytest.mark.parametrize("name, arg", PAGES)
def test_query_count_is_constant_as_data_grows(net, carol, client_for, name, arg, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client = client_for(carol)
    url = _url(net, name, arg)
    client.get(url)  # warm the session and content types
    before = _count(client, url)
    _grow(net, 12)
    assert _count(client, url) == before


def test_node_page_shows_the_datasets_used_there_in_constant_queries(net, carol, client_for):
    from django.utils import timezone

    from inventory.models import Node

    now = timezone.now()
    node = Node.objects.create(
        cluster=net.cluster, name="gpu-1", first_seen_at=now, changed_at=now, gpu_capacity=8
    )
    client = client_for(carol)
    url = reverse("inventory:node-detail", args=[node.pk])
    client.get(url)
    before = _count(client, url)
    body = client.get(url).content.decode()
    assert "Datasets used here" in body and "speech" in body
    _grow(net, 12)
    assert _count(client, url) == before


def test_dataset_page_shows_first_and_later_reads(net, carol, client_for):
    body = (
        client_for(carol).get(reverse("data:dataset-detail", args=[net.speech.pk])).content.decode()
    )
    assert "5.0 h" in body  # 2 TB over 1 Gbit/s at 90 %
    assert "later reads" in body and "cache" in body


def test_viewers_do_not_get_the_edit_pages(net, carol, client_for):
    client = client_for(carol)
    assert client.get(reverse("data:dataset-create")).status_code == 403
    assert client.post(reverse("data:dataset-delete", args=[net.tabular.pk])).status_code == 403
    assert Dataset.objects.filter(pk=net.tabular.pk).exists()


def test_editor_creates_a_store_and_a_bad_endpoint_comes_back_on_the_form(net, alice, client_for):
    client = client_for(alice)
    bad = client.post(
        reverse("data:store-create"),
        {"name": "leaky", "kind": "object", "endpoint": "s3://k:secret@bucket/"},
    )
    assert bad.status_code == 400
    assert not DataStore.objects.filter(name="leaky").exists()
    ok = client.post(
        reverse("data:store-create"),
        {"name": "clean", "kind": "object", "endpoint": "s3://bucket/", "capacity_tb": "2"},
    )
    assert ok.status_code == 302
    assert DataStore.objects.get(name="clean").capacity_bytes == 2 * 10**12


def test_editor_edits_a_dataset(net, alice, client_for):
    response = client_for(alice).post(
        reverse("data:dataset-edit", args=[net.tabular.pk]),
        {
            "name": "tabular",
            "store": net.lake.pk,
            "size_gb": "50",
            "versioning": "dvc",
            "used_by_text": "churn, ltv",
            "clusters": [net.cluster.pk],
        },
    )
    assert response.status_code == 302, response.content
    net.tabular.refresh_from_db()
    assert net.tabular.size_bytes == 50 * 10**9 and net.tabular.used_by == ["churn", "ltv"]


def test_iperf3_upload_on_the_link_page_draws_the_history(net, alice, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.data.conftest import fixture_bytes

    client = client_for(alice)
    upload = SimpleUploadedFile(
        "my_test.json", fixture_bytes("iperf3", "iperf3_plotter__my_test.json")
    )
    bad = SimpleUploadedFile("bad.json", b"{")
    response = client.post(
        reverse("data:link-measure", args=[net.fast.pk]), {"files": [upload, bad]}
    )
    assert response.status_code == 302
    body = client.get(reverse("data:link-detail", args=[net.fast.pk])).content.decode()
    assert "<polyline" in body and "17.536 Gbit/s" in body


def _gpu_node(cluster, name, memory_gib=512):
    from django.utils import timezone

    from inventory.models import Gpu, Node

    now = timezone.now()
    node = Node.objects.create(
        cluster=cluster,
        name=name,
        first_seen_at=now,
        changed_at=now,
        ready=True,
        cpu_cores=64,
        memory_bytes=memory_gib * 2**30,
        gpu_capacity=4,
        gpu_allocatable=4,
    )
    for i in range(4):
        Gpu.objects.create(
            cluster=cluster,
            node=node,
            node_name=name,
            uuid=f"GPU-{name}-{i}",
            index=i,
            product="NVIDIA A100-SXM4-80GB",
            memory_total_mib=81920,
            first_seen_at=now,
            changed_at=now,
        )
    return node


def test_advisor_with_a_dataset_sorts_by_ready_to_train(net, carol, client_for):
    from inventory.services import cluster_create

    near = cluster_create(actor=None, name="near")
    services.cluster_place(actor=None, cluster=near, site=net.house)
    _gpu_node(net.cluster, "far-1")
    _gpu_node(near, "near-1")
    _gpu_node(near, "small-ram", memory_gib=16)  # 40 GB do not fit in 16 GiB
    client = client_for(carol)
    assert (
        client.get(reverse("data:advisor"), {"dataset": "nope", "model_gb": "x"}).status_code == 400
    )
    response = client.get(
        reverse("data:advisor"),
        {"dataset": net.tabular.pk, "model_gb": 14, "batch_gb": 8, "gpu_count": 1},
    )
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.fit.node.name for r in rows] == ["near-1", "far-1"]
    assert rows[0].delivery.route.local and rows[0].ready_s < rows[1].ready_s
    assert rows[1].ready_s == pytest.approx(40e9 * 8 / 0.9e9 + 400 * 0.002)


def test_map_draws_sites_and_links(net, carol, client_for):
    body = client_for(carol).get(reverse("data:map")).content.decode()
    assert "<svg" in body and "1 Gbit/s" in body and "10 Gbit/s" in body and "provider" in body


def test_dvc_upload_page_reports_per_file(net, alice, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    Dataset.objects.filter(pk=net.speech.pk).update(path="data")
    good = SimpleUploadedFile(
        "data.dvc", b"outs:\n- md5: abc.dir\n  size: 5\n  nfiles: 2\n  path: data\n"
    )
    bad = SimpleUploadedFile("x.dvc", b"::")
    response = client_for(alice).post(reverse("data:dvc-upload"), {"files": [good, bad]})
    assert response.status_code == 200
    assert b"x.dvc" in response.content
    net.speech.refresh_from_db()
    assert net.speech.size_bytes == 5


def test_pages_speak_russian(net, carol, client_for):
    client = client_for(carol)
    body = client.get(
        reverse("data:dataset-detail", args=[net.speech.pk]), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Доставка до кластеров" in body and "5.0 ч" in body


def test_the_interval_chart_spans_its_box_with_headroom_above_the_fastest_interval():
    from data.drawing import interval_chart

    chart = interval_chart([10.0, 20.0, 5.0], width=640, height=120)
    points = [tuple(map(float, p.split(","))) for p in chart["polyline"].split()]
    assert [x for x, _y in points] == [24.0, 320.0, 616.0]  # 24 px inside either edge
    # 20 Gbit/s with 10 % headroom is the top: y runs from 96 (0) up to 24 (22 Gbit/s).
    assert points[1][1] == round(96 - 72 * 20 / 22, 1)
    assert chart["n"] == 3 and round(chart["top"], 1) == 22.0
    assert interval_chart([]) is None
