"""The data API: roles, filters, uploads and bad input."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from data.models import Dataset, NetworkLink
from tests.data.conftest import fixture_bytes

BASE = "/api/v1/data"


def test_viewers_read_and_cannot_write(net, carol, api_for):
    api = api_for(carol)
    assert api.get(f"{BASE}/datasets/").status_code == 200
    assert api.post(f"{BASE}/sites/", {"name": "x", "kind": "office"}).status_code == 403


def test_editors_write_admins_delete(net, alice, dave, api_for):
    created = api_for(alice).post(
        f"{BASE}/datasets/",
        {"name": "new", "store": net.nfs.pk, "size_bytes": 10**9, "clusters": [net.cluster.pk]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api_for(alice).delete(f"{BASE}/datasets/{pk}/").status_code == 403
    assert api_for(dave).delete(f"{BASE}/datasets/{pk}/").status_code == 204
    assert not Dataset.objects.filter(pk=pk).exists()


def test_filters(net, carol, api_for):
    api = api_for(carol)
    names = lambda r: sorted(d["name"] for d in r.json()["results"])  # noqa: E731
    assert names(api.get(f"{BASE}/datasets/", {"kind": "lake"})) == ["tabular"]
    assert names(api.get(f"{BASE}/datasets/", {"personal_data": "true"})) == ["tabular"]
    assert names(api.get(f"{BASE}/datasets/", {"min_size": 10**12})) == ["speech"]
    assert names(api.get(f"{BASE}/datasets/", {"cluster": net.cluster.pk})) == ["speech", "tabular"]
    links = api.get(f"{BASE}/links/", {"site": net.cloud.pk}).json()["results"]
    assert [link["id"] for link in links] == [net.fast.pk]
    assert api.get(f"{BASE}/datasets/", {"kind": "nonsense"}).status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "s", "kind": "object", "endpoint": "https://u:p@host/"},
        {"name": "s", "kind": "nope"},
        {"name": "s", "kind": "object", "capacity_bytes": -1},
        {"name": "s\x00", "kind": "object"},
    ],
)
def test_bad_stores_are_400(net, alice, api_for, payload):
    response = api_for(alice).post(f"{BASE}/stores/", payload, format="json")
    assert response.status_code == 400, response.content


def test_bad_links_are_400(net, alice, api_for):
    api = api_for(alice)
    same = {"site_a": net.house.pk, "site_b": net.house.pk, "bandwidth_gbps": 1}
    reverse_pair = {"site_a": net.provider.pk, "site_b": net.house.pk, "bandwidth_gbps": 1}
    zero = {"site_a": net.house.pk, "site_b": net.cloud.pk, "bandwidth_gbps": 0}
    for payload in (same, reverse_pair, zero):
        assert api.post(f"{BASE}/links/", payload, format="json").status_code == 400
    assert NetworkLink.objects.count() == 2


def test_delivery_endpoint(net, carol, api_for):
    rows = api_for(carol).get(f"{BASE}/datasets/{net.speech.pk}/delivery/").json()
    [row] = rows
    assert row["bottleneck_gbps"] == 1 and row["cache"] == "cache"
    assert 4.9 < row["first_read_seconds"] / 3600 < 5.1


def test_iperf3_upload(net, alice, api_for):
    api = api_for(alice)
    good = SimpleUploadedFile("a.json", fixture_bytes("iperf3", "iperf3_plotter__my_test.json"))
    response = api.post(
        f"{BASE}/links/{net.fast.pk}/import-iperf3/", {"files": [good]}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["created"] == 1
    bad = SimpleUploadedFile("b.json", b"not json")
    response = api.post(
        f"{BASE}/links/{net.fast.pk}/import-iperf3/", {"files": [bad]}, format="multipart"
    )
    assert response.status_code == 400 and not response.json()["files"][0]["ok"]
    assert (
        api.post(f"{BASE}/links/{net.fast.pk}/import-iperf3/", {}, format="multipart").status_code
        == 400
    )
    history = api.get(f"{BASE}/measurements/", {"link": net.fast.pk}).json()["results"]
    assert len(history) == 1 and len(history[0]["intervals"]) == 60


def test_dvc_upload(net, alice, api_for):
    Dataset.objects.filter(pk=net.speech.pk).update(path="data")
    f = SimpleUploadedFile("data.dvc", fixture_bytes("dvc", "aii4.0-pipeline__data.dvc"))
    response = api_for(alice).post(
        f"{BASE}/datasets/import-dvc/", {"files": [f]}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    net.speech.refresh_from_db()
    assert (net.speech.size_bytes, net.speech.file_count) == (817982796, 1077)
    f = SimpleUploadedFile("data.dvc", b"x")
    bad_store = api_for(alice).post(
        f"{BASE}/datasets/import-dvc/", {"files": [f], "store": "abc"}, format="multipart"
    )
    assert bad_store.status_code == 400


def test_placements_move_a_cluster(net, alice, api_for):
    response = api_for(alice).post(
        f"{BASE}/placements/", {"cluster": net.cluster.pk, "site": net.house.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    net.cluster.refresh_from_db()
    from data.models import ClusterPlacement

    assert ClusterPlacement.objects.get(cluster=net.cluster).site_id == net.house.pk


def test_findings_endpoint(net, carol, api_for):
    groups = {g["code"]: g for g in api_for(carol).get(f"{BASE}/findings/").json()}
    assert groups["slow_delivery"]["count"] == 1
    assert groups["personal_unversioned"]["count"] == 1


def test_schema_documents_the_data_api(db, carol, api_for):
    schema = api_for(carol).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/data/datasets/{id}/delivery/" in schema["paths"]
    op = schema["paths"]["/api/v1/data/datasets/"]["get"]
    assert op["summary"] == "List datasets"
