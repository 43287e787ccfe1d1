"""The delivery arithmetic: widest path, time, caches."""

import pytest

from data.delivery import Edge, Params, needed_gbps, transfer_seconds, widest_path
from data.selectors import network_load

P = Params(efficiency=0.9, per_file_s=0.002, local_gbps=10)


def test_widest_path_prefers_the_wider_bottleneck_over_fewer_hops():
    edges = [
        Edge(1, 1, 2, gbps=1),  # direct but narrow
        Edge(2, 1, 3, gbps=10),
        Edge(3, 3, 2, gbps=25),
    ]
    route = widest_path(edges, 1, 2)
    assert route.sites == (1, 3, 2)
    assert route.bottleneck_gbps == 10


def test_among_equally_wide_paths_the_lower_latency_wins():
    edges = [
        Edge(1, 1, 2, gbps=10, latency_ms=50),
        Edge(2, 2, 4, gbps=10, latency_ms=50),
        Edge(3, 1, 3, gbps=10, latency_ms=1),
        Edge(4, 3, 4, gbps=10, latency_ms=1),
    ]
    route = widest_path(edges, 1, 4)
    assert route.sites == (1, 3, 4)
    assert route.latency_ms == 2


def test_unreachable_site_has_no_route_and_own_site_is_local():
    edges = [Edge(1, 1, 2, gbps=1)]
    assert widest_path(edges, 1, 3) is None
    assert widest_path(edges, 1, 1).local


def test_two_terabytes_over_one_gigabit_take_about_five_hours():
    seconds = transfer_seconds(2 * 10**12, 120_000, 1, P)
    assert seconds == pytest.approx(2e12 * 8 / 0.9e9 + 240)
    assert 4.9 < seconds / 3600 < 5.1


def test_many_small_files_cost_time_of_their_own():
    few = transfer_seconds(10**9, 1, 10, P)
    many = transfer_seconds(10**9, 1_000_000, 10, P)
    assert many - few == pytest.approx(999_999 * 0.002)


def test_unknown_size_has_no_time():
    assert transfer_seconds(None, 10, 1, P) is None


def test_needed_bandwidth_brings_the_copy_under_the_limit():
    need = needed_gbps(2 * 10**12, 0, 4 * 3600, P)
    assert transfer_seconds(2 * 10**12, 0, need, P) == pytest.approx(4 * 3600)
    assert needed_gbps(10**9, 10**9, 3600, P) == float("inf")


def test_dataset_delivery_uses_the_path_and_the_cache_at_the_cluster_site(net, settings):
    settings.DATA_LINK_EFFICIENCY_PCT = 90
    settings.DATA_PER_FILE_MS = 2
    settings.DATA_LOCAL_GBPS = 10
    network = network_load()
    speech = type(net.speech).objects.select_related("store").get(pk=net.speech.pk)
    d = network.delivery(speech, net.cluster.pk)
    assert d.route.bottleneck_gbps == 1
    assert d.first_s / 3600 == pytest.approx(4.99, abs=0.02)
    assert d.cache_name == "cache" and d.cache_fits
    assert d.later_s == pytest.approx(2e12 * 8 / 9e9 + 240)


def test_measured_bandwidth_replaces_the_declared_one(net):
    from data.services import measurement_record

    measurement_record(actor=None, link=net.slow, gbps=0.5, how="test")
    network = network_load()
    speech = type(net.speech).objects.select_related("store").get(pk=net.speech.pk)
    assert network.delivery(speech, net.cluster.pk).route.bottleneck_gbps == 0.5


def test_a_cache_too_small_gives_no_later_read_time(net):
    from data.services import store_update

    store_update(actor=None, store=net.cache, capacity_bytes=10**12)
    network = network_load()
    speech = type(net.speech).objects.select_related("store").get(pk=net.speech.pk)
    d = network.delivery(speech, net.cluster.pk)
    assert not d.cache_fits and d.later_s is None


def test_database_and_python_agree_on_the_time(net):
    from data.selectors import dataset_uses_timed

    network = network_load()
    rows = {u.dataset_id: u.seconds for u in dataset_uses_timed(network)}
    speech = type(net.speech).objects.select_related("store").get(pk=net.speech.pk)
    assert rows[net.speech.pk] == pytest.approx(network.delivery(speech, net.cluster.pk).first_s)


def test_a_cache_no_faster_than_the_link_is_not_offered(net):
    from data.services import dataset_create

    images = dataset_create(
        actor=None,
        name="images",
        store=net.bucket,
        size_bytes=300 * 10**9,
        file_count=1_500_000,
        clusters=[net.cluster],
    )
    images = type(images).objects.select_related("store").get(pk=images.pk)
    d = network_load().delivery(images, net.cluster.pk)
    assert d.route.bottleneck_gbps == 10  # the same as the site's own network
    assert d.cache_name == "" and d.later_s is None
