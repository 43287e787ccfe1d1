"""Sources configured in the portal: a form per kind with help per field, and *Test
connection*, which reads once and stores nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.choices import SourceKind
from inventory.models import InventorySource, Node, SyncRun
from portal.models import AuditEvent
from tests.stand_ins.kubernetes import gpu_cluster_nodes

from .builders import make_cluster

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [k.value for k in SourceKind])
def test_each_kind_has_its_form_with_help(client_for, dave, kind):
    cluster = make_cluster()
    response = client_for(dave).get(reverse("inventory:source-new", args=[cluster.pk, kind]))
    assert response.status_code == 200
    form = response.context["form"]
    assert all(f.help_text for f in form if f.name not in ("name",)), kind
    assert "Test connection" in response.content.decode()


def test_an_unknown_kind_is_404_and_viewers_are_refused(client_for, carol, dave):
    cluster = make_cluster()
    assert client_for(dave).get(reverse("inventory:source-new", args=[cluster.pk, "ftp"])).status_code == 404  # fmt: skip
    assert client_for(carol).get(reverse("inventory:source-list")).status_code == 403
    url = reverse("inventory:source-new", args=[cluster.pk, "files"])
    assert client_for(carol).post(url, {"name": "x", "path": "/x"}).status_code == 403


def test_a_kubernetes_source_is_created_with_its_config_and_audited(client_for, dave):
    cluster = make_cluster()
    url = reverse("inventory:source-new", args=[cluster.pk, "kubernetes"])
    response = client_for(dave).post(
        url,
        {"name": "api", "enabled": "on", "sync_interval_seconds": "120",
         "kubeconfig": "/etc/portal/kubeconfig", "context": "prod", "page_size": "200"},
    )  # fmt: skip
    assert response.status_code == 302
    source = InventorySource.objects.get()
    assert source.config == {
        "kubeconfig": "/etc/portal/kubeconfig", "context": "prod", "page_size": 200,
    }  # fmt: skip
    assert source.sync_interval_seconds == 120
    assert AuditEvent.objects.filter(verb="inventory.source_create").exists()
    edit = client_for(dave).get(reverse("inventory:source-edit", args=[source.pk]))
    assert edit.context["form"].initial["context"] == "prod"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("kubernetes", {}),  # neither kubeconfig nor in-cluster
        ("dcgm", {"urls": "ftp://node/metrics"}),
        ("files", {"path": ""}),
        ("kubernetes", {"kubeconfig": "/k", "page_size": "many"}),
    ],
)
def test_bad_input_is_a_400_form_not_a_500(client_for, dave, kind, data):
    cluster = make_cluster()
    url = reverse("inventory:source-new", args=[cluster.pk, kind])
    response = client_for(dave).post(url, {"name": "x", "sync_interval_seconds": "300", **data})
    assert response.status_code == 400
    assert not InventorySource.objects.exists()


def test_test_connection_reads_once_and_writes_nothing(client_for, dave, k8s_stand_in):
    cluster = make_cluster()
    k8s_stand_in.load("nodes", gpu_cluster_nodes(3))
    url = reverse("inventory:source-test", args=[cluster.pk, "kubernetes"])
    response = client_for(dave).post(url, {"kubeconfig": str(k8s_stand_in.kubeconfig)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "3 nodes, 24 GPUs" in body
    assert not (
        SyncRun.objects.exists() or Node.objects.exists() or InventorySource.objects.exists()
    )
    assert not AuditEvent.objects.filter(verb__startswith="inventory.").exists()


def test_test_connection_shows_the_error(client_for, dave, k8s_stand_in):
    cluster = make_cluster()
    k8s_stand_in.fail_next(500, times=10)
    url = reverse("inventory:source-test", args=[cluster.pk, "kubernetes"])
    body = client_for(dave).post(url, {"kubeconfig": str(k8s_stand_in.kubeconfig)}).content.decode()
    assert "Failed" in body and "HTTP 500" in body
    missing = client_for(dave).post(
        reverse("inventory:source-test", args=[cluster.pk, "files"]), {"path": "/no/such/folder"}
    )
    assert "Failed" in missing.content.decode()


def test_test_connection_against_a_real_api_server(client_for, dave, kube):
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    cluster = make_cluster()
    url = reverse("inventory:source-test", args=[cluster.pk, "kubernetes"])
    body = client_for(dave).post(url, {"kubeconfig": str(kube.kubeconfig)}).content.decode()
    assert "Connected" in body and "2 nodes, 16 GPUs" in body
    assert not SyncRun.objects.exists()
