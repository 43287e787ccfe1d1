"""Findings, the demo sample, the home cards, search and backup."""

from django.core.management import call_command

from data import services
from data.choices import StoreKind
from data.findings import findings_compute
from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site


def _groups():
    return {g.code: g for g in findings_compute()}


def test_each_finding(net, settings):
    settings.DATA_DELIVERY_MAX_HOURS = 4
    groups = _groups()
    [slow] = groups["slow_delivery"].rows
    assert slow.subject == "speech → gpu"
    assert "5.0 h" in slow.message
    assert "cache" in slow.suggestion and "dedicated link" in slow.suggestion
    assert groups["personal_unversioned"].count == 1  # tabular
    assert groups["store_without_site"].count == 0
    assert groups["link_below_declared"].count == 0

    services.measurement_record(actor=None, link=net.fast, gbps=3, how="iperf3")
    services.store_create(actor=None, name="orphan", kind=StoreKind.OBJECT)
    groups = _groups()
    assert [r.subject for r in groups["link_below_declared"].rows] == [str(net.fast)]
    assert [r.subject for r in groups["store_without_site"].rows] == ["orphan"]


def test_a_longer_limit_clears_the_slow_delivery(net, settings):
    settings.DATA_DELIVERY_MAX_HOURS = 6
    assert _groups()["slow_delivery"].count == 0


def test_a_dataset_its_cluster_cannot_reach_is_a_finding(net):
    services.link_delete(actor=None, link=net.slow)
    [row] = _groups()["slow_delivery"].rows[:1]
    assert "no network path" in row.message


def test_demo_seed_is_labelled_and_shows_five_hours(db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    call_command("seed_portal", "--demo")
    call_command("seed_portal", "--demo")  # idempotent
    assert Site.objects.filter(is_demo=True).count() == 3
    assert NetworkLink.objects.count() == 2
    speech = Dataset.objects.select_related("store").get(name__startswith="speech-corpus")
    assert speech.is_demo and "(sample)" in speech.name
    assert speech.procedure.slug == "dataset-versioning"
    from data.selectors import network_load

    network = network_load()
    [cluster_id] = speech.clusters.values_list("pk", flat=True)
    d = network.delivery(speech, cluster_id)
    assert 4.5 < d.first_s / 3600 < 5.5
    assert d.later_s < d.first_s / 5


def test_home_cards_show_real_figures(net, carol, client_for, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    from django.utils import timezone

    from inventory.models import Node

    now = timezone.now()
    Node.objects.create(
        cluster=net.cluster, name="g", first_seen_at=now, changed_at=now, gpu_capacity=8
    )
    body = client_for(carol).get("/").content.decode()
    assert "datasets with findings" in body
    assert "Longest delivery to a GPU cluster" in body and "speech" in body
    assert "Slowest link" in body


def test_search_finds_datasets_and_links(net):
    from portal.search import search_reindex_kind
    from portal.search.models import SearchEntry

    for kind in ("dataset", "data_store", "site", "network_link"):
        search_reindex_kind(kind)
    assert SearchEntry.objects.filter(kind="dataset", title="speech").exists()
    assert SearchEntry.objects.filter(kind="network_link").count() == 2


def _state():
    return {
        "sites": sorted(Site.objects.values_list("name", "kind")),
        "stores": sorted(DataStore.objects.values_list("name", "kind", "site__name")),
        "datasets": sorted(
            Dataset.objects.values_list("name", "store__name", "size_bytes", "clusters__name")
        ),
        "links": sorted(
            NetworkLink.objects.values_list("site_a__name", "site_b__name", "measured_gbps")
        ),
        "placements": sorted(ClusterPlacement.objects.values_list("cluster__name", "site__name")),
        "measurements": LinkMeasurement.objects.count(),
    }


def test_backup_round_trip(net, tmp_path):
    from inventory.models import Cluster
    from portal.backup.run import portal_export, portal_import
    from portal.models import AuditEvent

    services.measurement_record(actor=None, link=net.slow, gbps=0.9, how="x")
    before = _state()
    portal_export(directory=tmp_path / "b")
    for model in (
        Dataset,
        LinkMeasurement,
        NetworkLink,
        DataStore,
        ClusterPlacement,
        Site,
        Cluster,
    ):
        model.objects.all().delete()
    AuditEvent.objects.all().delete()
    portal_import(directory=tmp_path / "b")
    assert _state() == before


def test_renaming_a_store_refreshes_its_datasets_in_search(
    net, alice, django_capture_on_commit_callbacks
):
    from portal.search.models import SearchEntry

    with django_capture_on_commit_callbacks(execute=True):
        services.store_update(actor=alice, store=net.nfs, name="nas-renamed")
    entry = SearchEntry.objects.get(kind="dataset", object_id=str(net.speech.pk))
    assert "nas-renamed" in entry.body


def test_admins_hear_of_each_finding_once(net, dave):
    from data.notifications import new_data_findings

    messages = list(new_data_findings())
    keys = {m.dedup_key for m in messages}
    assert "data-finding:slow_delivery:speech → gpu" in keys
    assert "data-finding:personal_unversioned:tabular" in keys
    assert all(m.recipients == [dave.pk] for m in messages)
