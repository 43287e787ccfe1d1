"""A cluster sync end to end against the Kubernetes API stand-in (real HTTP), and
what a failed or partial read does: nothing, except a failed SyncRun with the error."""

from __future__ import annotations

import pytest

from inventory.choices import SourceKind, SyncStatus
from inventory.demo import k8s as builders
from inventory.locks import ClusterBusy, cluster_lock
from inventory.models import Component, InventoryChange, InventorySource, Node, SyncRun
from inventory.services import cluster_sync
from tests.stand_ins.kubernetes import gpu_cluster_nodes

from .builders import make_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster(k8s_stand_in):
    cluster = make_cluster()
    InventorySource.objects.create(
        cluster=cluster,
        name="api",
        kind=SourceKind.KUBERNETES,
        config={
            "kubeconfig": str(k8s_stand_in.kubeconfig),
            "page_size": 2,
            "request_timeout": 0.5,
        },
    )
    k8s_stand_in.load("nodes", gpu_cluster_nodes(5))
    k8s_stand_in.load(
        "deployments",
        [
            builders.workload(
                "Deployment",
                "mlflow",
                "mlflow",
                images=("ghcr.io/mlflow/mlflow:v2.14.1",),
                labels={"app.kubernetes.io/name": "mlflow", "app.kubernetes.io/version": "2.14.1"},
            )
        ],
    )
    return cluster


def state():
    return (
        sorted(Node.objects.values_list("name", "gone_at", "ready")),
        sorted(Component.objects.values_list("workload_name", "gone_at")),
        InventoryChange.objects.count(),
    )


def test_it_reads_nodes_and_components_through_the_api(cluster):
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Node.objects.filter(cluster=cluster).count() == 5
    node = Node.objects.get(name="gpu-00000")
    assert node.gpu_allocatable == 8 and node.gpu_labels_present
    assert Component.objects.get().name.lower() == "mlflow"
    assert run.added == 6


def test_a_node_deleted_from_the_api_is_marked_gone(cluster, k8s_stand_in):
    cluster_sync(cluster_id=cluster.pk)
    k8s_stand_in.delete("nodes", "gpu-00003")
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.gone == 1
    assert Node.objects.get(name="gpu-00003").gone_at is not None


@pytest.mark.parametrize(
    "fault",
    ["timeout", "http_500", "expired_mid_list", "malformed_node", "unauthorised"],
)
def test_a_failed_read_changes_nothing_and_is_recorded(cluster, k8s_stand_in, fault):
    cluster_sync(cluster_id=cluster.pk)
    k8s_stand_in.delete("nodes", "gpu-00004")  # would be marked gone by a good read
    before = state()
    if fault == "timeout":
        k8s_stand_in.delay = 1.5
    elif fault == "http_500":
        k8s_stand_in.fail_next(500)
    elif fault == "expired_mid_list":
        k8s_stand_in.expire_next_continue(times=10)
    elif fault == "malformed_node":
        k8s_stand_in.add_raw("nodes", {"kind": "Node", "metadata": "not an object"})
    elif fault == "unauthorised":
        source = InventorySource.objects.get()
        source.config["kubeconfig"] = str(
            k8s_stand_in.write_kubeconfig(
                k8s_stand_in.kubeconfig.parent / "wrong", token="wrong-token"
            )
        )
        source.save()
    [run] = cluster_sync(cluster_id=cluster.pk)
    k8s_stand_in.delay = 0
    assert run.status == SyncStatus.FAILED
    assert run.error
    assert state() == before
    assert SyncRun.objects.filter(status=SyncStatus.FAILED).count() == 1


def test_a_410_once_mid_list_is_survived_by_listing_again(cluster, k8s_stand_in):
    k8s_stand_in.expire_next_continue(times=1)
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Node.objects.count() == 5


def test_a_cluster_never_syncs_twice_at_once(cluster):
    with cluster_lock(cluster.pk), pytest.raises(ClusterBusy):
        cluster_sync(cluster_id=cluster.pk)
    assert not SyncRun.objects.exists()
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.status == SyncStatus.SUCCEEDED


def test_one_broken_source_does_not_stop_the_others(cluster, tmp_path):
    InventorySource.objects.create(
        cluster=cluster, name="files", kind=SourceKind.FILES, config={"path": str(tmp_path)}
    )
    runs = cluster_sync(cluster_id=cluster.pk)
    assert sorted(r.status for r in runs) == [SyncStatus.FAILED, SyncStatus.SUCCEEDED]
    failed = next(r for r in runs if r.status == SyncStatus.FAILED)
    assert "nodes.json" in failed.error
    assert Node.objects.count() == 5
