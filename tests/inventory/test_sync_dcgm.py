"""A DCGM source end to end: dcgm-exporter's real /metrics text served over HTTP
updates the metrics of GPUs already known, adds and removes none, and an exporter that
fails fails the read."""

from __future__ import annotations

import dataclasses
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from inventory.choices import SourceKind, SyncStatus
from inventory.models import Gpu, InventoryChange, InventorySource, SyncRun
from inventory.reconcile import reconcile
from inventory.services import cluster_sync
from inventory.sources.dcgm import parse_dcgm_metrics
from inventory.sources.facts import Snapshot

from .builders import make_cluster

pytestmark = pytest.mark.django_db

METRICS = (
    Path(__file__).resolve().parent.parent / "fixtures" / "dcgm" / "datadog__dcgm_serve_metrics.txt"
).read_bytes()


@pytest.fixture
def exporter():
    state = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(state["status"])
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            if state["status"] == 200:
                self.wfile.write(METRICS)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    yield state
    server.shutdown()
    server.server_close()


def test_dcgm_updates_metrics_of_known_gpus_only(exporter):
    cluster = make_cluster()
    known = parse_dcgm_metrics(METRICS.decode())
    # The GPUs as an agent reported them, with other metric values.
    agent = [dataclasses.replace(g, utilization_gpu_pct=99.0, temperature_c=90.0) for g in known]
    nodes = frozenset(g.node_name for g in agent)
    reconcile(
        cluster=cluster,
        snapshot=Snapshot(source="agent", gpus=agent[:1], covers=frozenset({"gpus"}), gpu_nodes=nodes),
        run=SyncRun(cluster=cluster, source_kind="gpu_agent", status="succeeded", started_at=timezone.now()),
    )  # fmt: skip
    changes = InventoryChange.objects.count()
    InventorySource.objects.create(
        cluster=cluster, name="dcgm", kind=SourceKind.DCGM, config={"urls": [exporter["url"]]}
    )
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert run.metrics_updated == 1 and run.added == 0 and run.gone == 0
    assert Gpu.objects.count() == 1 < len(known)  # the unknown one is not added
    gpu = Gpu.objects.get()
    assert (gpu.temperature_c, gpu.utilization_gpu_pct) == (25.0, 0.0)
    assert gpu.idle_since is not None
    assert InventoryChange.objects.count() == changes
    assert any("unknown GPU" in w for w in run.warnings)


def test_an_exporter_answering_500_changes_nothing(exporter):
    cluster = make_cluster()
    exporter["status"] = 500
    InventorySource.objects.create(
        cluster=cluster, name="dcgm", kind=SourceKind.DCGM, config={"urls": [exporter["url"]]}
    )
    [run] = cluster_sync(cluster_id=cluster.pk)
    assert run.status == SyncStatus.FAILED and "500" in run.error
