"""The watcher (manage.py inventory_watch) against a real kube-apiserver: changes land
in the database within seconds, through the reconciler, with their history."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from inventory.choices import ChangeKind, SourceKind
from inventory.demo import k8s as builders
from inventory.locks import WatchLock
from inventory.models import InventoryChange, InventorySource, Node, SyncRun
from inventory.watcher import WATCH_SCOPE, watch_cluster
from tests.stand_ins.kubernetes import gpu_cluster_nodes

from .builders import make_cluster

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# What "within seconds" means for these tests: generous, as the machine running them
# may be busy; bench/kube_sync.py measures the latency itself.
LANDS_WITHIN_S = 10


def wait_for(predicate, timeout: float = LANDS_WITHIN_S) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


@pytest.fixture
def watched(kube, transactional_db):
    """A cluster whose Kubernetes source is the real API server, watched in a thread."""
    cluster = make_cluster(f"live-{uuid.uuid4().hex[:6]}")
    InventorySource.objects.create(
        cluster=cluster,
        name="api",
        kind=SourceKind.KUBERNETES,
        config={"kubeconfig": str(kube.kubeconfig), "request_timeout": 10},
    )
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    stop = threading.Event()
    watchers = []
    thread = threading.Thread(
        target=watch_cluster,
        args=(cluster.pk, stop),
        kwargs={"watch_timeout_s": 5, "retry_s": 1, "lock_ttl": 6, "on_watcher": watchers.append},
    )
    thread.start()
    try:
        wait_for(lambda: Node.objects.filter(cluster=cluster).count() == 2, timeout=30)
        yield cluster, watchers
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def node(cluster, name: str) -> Node:
    return Node.objects.get(cluster=cluster, name=name)


def test_a_node_going_not_ready_lands_within_seconds(watched, kube):
    cluster, _ = watched
    kube.core.patch_node_status(
        "gpu-00000",
        {"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Down"}]}},
    )
    wait_for(lambda: node(cluster, "gpu-00000").ready is False)
    change = InventoryChange.objects.get(cluster=cluster, object_key="gpu-00000", field="ready")
    assert (change.old_value, change.new_value) == (True, False)
    assert change.sync_run.scope == WATCH_SCOPE


def test_a_label_and_an_allocatable_change_land_as_one_change_each(watched, kube):
    cluster, _ = watched
    kube.core.patch_node("gpu-00001", {"metadata": {"labels": {"team": "vision"}}})
    kube.core.patch_node_status("gpu-00001", {"status": {"allocatable": {"nvidia.com/gpu": "7"}}})
    wait_for(lambda: node(cluster, "gpu-00001").gpu_allocatable == 7)
    wait_for(lambda: node(cluster, "gpu-00001").labels.get("team") == "vision")
    fields = set(
        InventoryChange.objects.filter(cluster=cluster, object_key="gpu-00001").values_list(
            "field", flat=True
        )
    )
    assert {"labels.team", "allocatable.nvidia.com/gpu", "gpu_allocatable"} <= fields


def test_a_gpu_pod_scheduled_and_finished_moves_the_requested_gpus(watched, kube):
    cluster, _ = watched
    namespace = f"ml-{uuid.uuid4().hex[:6]}"
    kube.put_pod(builders.pod(namespace, "train-0", "gpu-00000", gpus=4))
    wait_for(lambda: node(cluster, "gpu-00000").gpu_requested == 4)
    kube.core.patch_namespaced_pod_status(
        "train-0", namespace, {"status": {"phase": "Succeeded"}}
    )  # leaves the Running selector: the watch says DELETED
    wait_for(lambda: node(cluster, "gpu-00000").gpu_requested == 0)


def test_a_deleted_node_is_marked_gone_and_a_heartbeat_writes_nothing(watched, kube):
    cluster, _ = watched
    runs = SyncRun.objects.filter(cluster=cluster).count()
    # A heartbeat: the kubelet touches the condition's times, nothing the inventory keeps.
    kube.core.patch_node_status(
        "gpu-00001",
        {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                    "lastHeartbeatTime": "2026-12-01T00:00:00Z"}]}},
    )  # fmt: skip
    kube.delete_node("gpu-00000")
    wait_for(lambda: node(cluster, "gpu-00000").gone_at is not None)
    assert node(cluster, "gpu-00001").gone_at is None
    gone = InventoryChange.objects.get(
        cluster=cluster, object_key="gpu-00000", change=ChangeKind.GONE
    )
    assert gone.sync_run.scope == WATCH_SCOPE
    # The deletion's run, and none for the heartbeat.
    assert SyncRun.objects.filter(cluster=cluster).count() == runs + 1


def test_one_watcher_per_cluster_and_a_standby_takes_over(watched, kube):
    cluster, watchers = watched
    standby = WatchLock(cluster.pk, ttl=6)
    assert not standby.acquire()  # the running watcher holds the cluster
    [first] = watchers
    first.stop()  # as if it died: it lets go, and the loop starts a new watcher
    wait_for(lambda: len(watchers) == 2, timeout=20)
    kube.put_node(builders.node("after-takeover"))
    wait_for(lambda: Node.objects.filter(cluster=cluster, name="after-takeover").exists())
