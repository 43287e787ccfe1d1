"""The GPU-agent path: a broadcast asks every GPU node's agent for its GPUs, each agent
reads them (here from real nvidia-smi XML captures, as there is no GPU in CI) and sends
a report to the "inventory" queue, whose ingest reconciles that node's GPUs only."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from inventory.agent import collect_and_report, read_report
from inventory.choices import SourceKind, SyncStatus
from inventory.models import Gpu, InventoryChange, InventorySource, SyncRun
from inventory.services import gpu_report_ingest, syncs_dispatch_due
from inventory.sources.facts import SourceError
from tests.conftest import real_celery_worker

from .builders import make_cluster

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nvidia-smi"
DUAL_A5000 = FIXTURES / "telegraf__dual_a5000-v13.xml"
A100_MIG = FIXTURES / "netdata__a100-sxm4-mig.xml"


def report_of(path: Path, node_name: str, monkeypatch) -> list[dict]:
    monkeypatch.setenv("GPU_AGENT_NVIDIA_SMI_XML", str(path))
    return [g.to_dict() for g in read_report(node_name).gpus]


@pytest.mark.django_db
def test_the_agent_reads_an_nvidia_smi_file_when_told_to(monkeypatch):
    monkeypatch.setenv("GPU_AGENT_NVIDIA_SMI_XML", str(DUAL_A5000))
    snapshot = read_report("gpu-a")
    assert [g.product for g in snapshot.gpus] == ["NVIDIA RTX A5000"] * 2
    assert snapshot.covers == frozenset({"gpus"}) and snapshot.gpu_nodes == {"gpu-a"}
    monkeypatch.setenv("GPU_AGENT_NVIDIA_SMI_XML", "/nonexistent.xml")
    with pytest.raises(SourceError):
        read_report("gpu-a")


@pytest.mark.django_db
def test_the_agent_of_another_cluster_stays_silent(monkeypatch):
    monkeypatch.setenv("GPU_AGENT_CLUSTER_ID", "999999")
    assert collect_and_report(cluster_id=1) is False


@pytest.mark.django_db
def test_ingest_adds_the_gpus_of_the_node_and_is_idempotent(monkeypatch):
    cluster = make_cluster()
    facts = report_of(DUAL_A5000, "gpu-a", monkeypatch)
    now = timezone.now()
    run = gpu_report_ingest(
        cluster_id=cluster.pk, node_name="gpu-a", facts=facts, collected_at=now.isoformat()
    )
    assert run.status == SyncStatus.SUCCEEDED and run.scope == "gpu-a" and run.added == 2
    changes = InventoryChange.objects.count()
    later = (now + timedelta(seconds=30)).isoformat()
    again = gpu_report_ingest(
        cluster_id=cluster.pk, node_name="gpu-a", facts=facts, collected_at=later
    )
    assert (again.added, again.changed, again.gone) == (0, 0, 0)
    assert InventoryChange.objects.count() == changes


@pytest.mark.django_db
def test_a_report_older_than_the_last_one_is_dropped(monkeypatch):
    cluster = make_cluster()
    facts = report_of(DUAL_A5000, "gpu-a", monkeypatch)
    now = timezone.now()
    gpu_report_ingest(cluster_id=cluster.pk, node_name="gpu-a", facts=facts, collected_at=now)
    late = gpu_report_ingest(
        cluster_id=cluster.pk, node_name="gpu-a", facts=[], collected_at=now - timedelta(minutes=5)
    )
    assert late is None
    assert Gpu.objects.present().count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "facts,error",
    [
        (None, "NVML: driver not loaded; fallback failed: nvidia-smi not found"),
        ([{"index": 0}], ""),
        ([{"uuid": "GPU-x", "index": 0, "product": "X", "node_name": "other"}], ""),
    ],
    ids=["agent_error", "malformed", "other_node"],
)
def test_a_failed_or_malformed_report_changes_nothing(monkeypatch, facts, error):
    cluster = make_cluster()
    good = report_of(DUAL_A5000, "gpu-a", monkeypatch)
    gpu_report_ingest(
        cluster_id=cluster.pk, node_name="gpu-a", facts=good, collected_at=timezone.now()
    )
    before = sorted(Gpu.objects.values_list("uuid", "gone_at"))
    run = gpu_report_ingest(
        cluster_id=cluster.pk, node_name="gpu-a", facts=facts, collected_at=None, error=error
    )
    assert run.status == SyncStatus.FAILED and run.error
    assert sorted(Gpu.objects.values_list("uuid", "gone_at")) == before


@pytest.mark.django_db
def test_a_report_covers_only_its_own_node(monkeypatch):
    cluster = make_cluster()
    gpu_report_ingest(
        cluster_id=cluster.pk,
        node_name="gpu-a",
        facts=report_of(DUAL_A5000, "gpu-a", monkeypatch),
        collected_at=None,
    )
    gpu_report_ingest(
        cluster_id=cluster.pk,
        node_name="gpu-b",
        facts=report_of(A100_MIG, "gpu-b", monkeypatch),
        collected_at=None,
    )
    assert Gpu.objects.present().filter(node_name="gpu-a").count() == 2
    b = Gpu.objects.get(node_name="gpu-b")
    assert b.mig_mode == "Enabled" and len(b.mig_devices) == 2


# --- through a real Celery worker on real Redis -----------------------------------


@pytest.fixture
def agent_worker(transactional_db):
    """One worker consuming the app's queues and the "gpu-agents" broadcast, i.e. both
    the portal's inventory worker and a GPU node's agent."""
    with real_celery_worker(("default", "inventory", "gpu-agents")) as worker:
        yield worker


def wait_for(condition, timeout: float = 20.0, every: float = 0.2, nudge=None):
    deadline = time.monotonic() + timeout
    next_nudge = 0.0
    while time.monotonic() < deadline:
        if nudge and time.monotonic() >= next_nudge:
            nudge()  # broadcasts reach only subscribed agents: ask again until one hears
            next_nudge = time.monotonic() + 2
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.mark.celery_worker
def test_broadcast_agent_report_ingest_reconcile(agent_worker, monkeypatch):
    from inventory.tasks import agent_broadcast

    cluster = make_cluster()
    InventorySource.objects.create(cluster=cluster, name="agents", kind=SourceKind.GPU_AGENT)
    monkeypatch.setenv("NODE_NAME", "gpu-a")
    monkeypatch.setenv("GPU_AGENT_NVIDIA_SMI_XML", str(DUAL_A5000))

    assert wait_for(
        lambda: Gpu.objects.filter(cluster=cluster, node_name="gpu-a").count() == 2,
        nudge=lambda: agent_broadcast(cluster.pk),
    ), list(SyncRun.objects.values("status", "error"))
    run = SyncRun.objects.filter(scope="gpu-a", status=SyncStatus.SUCCEEDED).earliest("started_at")
    assert run.source.kind == SourceKind.GPU_AGENT and run.added == 2

    # The beat path: a due agent source makes dispatch broadcast again; the same GPUs
    # are reported and nothing changes.
    from django.core.cache import cache

    source = InventorySource.objects.get(kind=SourceKind.GPU_AGENT)
    cache.delete(f"inventory:agent-broadcast:{source.pk}")
    runs_before = SyncRun.objects.count()
    assert syncs_dispatch_due()["agent_clusters"] == [cluster.pk]
    assert wait_for(lambda: SyncRun.objects.count() > runs_before)
    assert Gpu.objects.present().filter(cluster=cluster).count() == 2
    assert InventoryChange.objects.filter(cluster=cluster).count() == 2


@pytest.mark.celery_worker
def test_a_silent_agent_removes_nothing(agent_worker, monkeypatch):
    from inventory.tasks import agent_broadcast

    cluster = make_cluster()
    InventorySource.objects.create(cluster=cluster, name="agents", kind=SourceKind.GPU_AGENT)
    gpu_report_ingest(
        cluster_id=cluster.pk,
        node_name="gpu-a",
        facts=report_of(DUAL_A5000, "gpu-a", monkeypatch),
        collected_at=None,
    )
    # This process's agent belongs to another cluster: nobody answers the broadcast.
    monkeypatch.setenv("GPU_AGENT_CLUSTER_ID", "0")
    runs = SyncRun.objects.count()
    agent_broadcast(cluster.pk)
    time.sleep(1.5)
    assert SyncRun.objects.count() == runs
    assert Gpu.objects.present().filter(cluster=cluster).count() == 2
