"""Snapshot facts for inventory tests: plain dataclasses, as a source would produce."""

from __future__ import annotations

from django.utils import timezone

from inventory.choices import SourceKind, SyncStatus
from inventory.models import Cluster, InventorySource, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.facts import ComponentFacts, GpuFacts, NodeFacts, Snapshot

GFD_LABELS = {
    "nvidia.com/gpu.present": "true",
    "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB",
    "nvidia.com/gpu.count": "8",
}


def node(name: str, *, gpus: int = 8, cpu: float = 96, ready: bool = True, **extra) -> NodeFacts:
    labels = dict(GFD_LABELS) if gpus else {}
    if gpus:
        labels["nvidia.com/gpu.count"] = str(gpus)
    labels.update(extra.pop("labels", {}))
    values = {
        "labels": labels,
        "capacity": {"cpu": str(cpu), "memory": "1056Gi", "nvidia.com/gpu": str(gpus)},
        "allocatable": {"cpu": str(cpu), "nvidia.com/gpu": str(gpus)},
        "cpu_cores": cpu,
        "memory_bytes": 1056 * 2**30,
        "gpu_capacity": gpus,
        "gpu_allocatable": gpus,
        "os_image": "Ubuntu 22.04.4 LTS",
        "kernel_version": "5.15.0-105-generic",
        "kubelet_version": "v1.30.2",
        "container_runtime": "containerd://1.7.18",
        "architecture": "amd64",
        "ready": ready,
        "gpu_labels_present": bool(gpus),
        "gpu_product": "NVIDIA-A100-SXM4-80GB" if gpus else "",
        "gpu_count_label": gpus or None,
    }
    values.update(extra)
    return NodeFacts(name=name, **values)


def gpu(node_name: str, index: int, **extra) -> GpuFacts:
    values = {
        "uuid": f"GPU-{node_name}-{index:02d}",
        "index": index,
        "product": "NVIDIA A100-SXM4-80GB",
        "node_name": node_name,
        "memory_total_mib": 81920,
        "memory_used_mib": 0,
        "driver_version": "535.54.03",
        "cuda_version": "12.2",
        "compute_capability": "8.0",
        "pci_bus_id": f"00000000:{index + 7:02X}:00.0",
        "mig_mode": "Disabled",
        "utilization_gpu_pct": 50.0,
        "temperature_c": 40.0,
        "power_draw_w": 100.0,
    }
    values.update(extra)
    return GpuFacts(**values)


def component(name: str, category: str = "ml", **extra) -> ComponentFacts:
    values = {
        "namespace": extra.pop("namespace", "ml"),
        "kind": "Deployment",
        "workload_name": name.lower(),
        "name": name,
        "category": category,
        "version": "1.0.0",
        "images": (f"example.org/{name.lower()}:1.0.0",),
        "ready_replicas": 1,
        "desired_replicas": 1,
    }
    values.update(extra)
    return ComponentFacts(**values)


def cluster_snapshot(n_nodes: int, gpus_per_node: int = 8, components: int = 3) -> Snapshot:
    nodes = [node(f"gpu-{i:05d}", gpus=gpus_per_node) for i in range(n_nodes)]
    gpus = [gpu(n.name, i) for n in nodes for i in range(gpus_per_node)]
    return Snapshot(
        source="test",
        nodes=nodes,
        gpus=gpus,
        components=[component(f"App{i}") for i in range(components)],
        covers=frozenset({"nodes", "gpus", "components"}),
        gpu_nodes=frozenset(n.name for n in nodes),
    )


def make_cluster(name: str = "prod") -> Cluster:
    return Cluster.objects.create(name=name)


def grow(name: str, nodes: int, gpus_per_node: int = 2) -> Cluster:
    """A cluster with a Kubernetes source and one successful sync of ``nodes`` nodes."""
    cluster = make_cluster(name)
    InventorySource.objects.create(
        cluster=cluster, name="api", kind=SourceKind.KUBERNETES, config={"in_cluster": True}
    )
    run = SyncRun(
        cluster=cluster, source_kind="kubernetes", status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )  # fmt: skip
    reconcile(cluster=cluster, snapshot=cluster_snapshot(nodes, gpus_per_node), run=run)
    return cluster


def sync_node_change(cluster, *, ready: bool, mig_mode: str) -> None:
    """One node "gpu-a" with one GPU reconciled as ``ready`` in zone a (else b) with
    ``mig_mode``: run twice with other values, it records a change of each field."""
    from django.utils import timezone

    from inventory.choices import SyncStatus
    from inventory.models import SyncRun
    from inventory.reconcile import reconcile
    from inventory.sources.facts import Snapshot

    run = SyncRun(
        cluster=cluster, source_kind="files", status=SyncStatus.SUCCEEDED, started_at=timezone.now()
    )
    snapshot = Snapshot(
        source="test",
        nodes=[node("gpu-a", gpus=1, ready=ready, labels={"zone": "a" if ready else "b"})],
        gpus=[gpu("gpu-a", 0, mig_mode=mig_mode)],
        components=[],
        covers=frozenset({"nodes", "gpus"}),
        gpu_nodes=frozenset({"gpu-a"}),
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)
