"""The capacity advisor with a dataset from the catalogue: the inventory's advisor
says which nodes fit (GPU memory, RAM for the dataset, vCPU), this adds how long the
dataset takes to reach each of them, and sorts by "ready to train in"."""

from __future__ import annotations

from dataclasses import dataclass

from data.delivery import Delivery
from data.models import Dataset
from data.selectors import network_load


@dataclass
class AdvisorRow:
    fit: object  # inventory.capacity.CapacityFit (the first page of fits)
    delivery: Delivery
    ram_headroom_bytes: int | None

    @property
    def ready_s(self) -> float | None:
        return self.delivery.first_s


def advise(
    *, dataset: Dataset, model_gb: float, batch_gb: float, gpu_count: int
) -> list[AdvisorRow]:
    from inventory.capacity import capacity_advice

    fits = capacity_advice(
        dataset_bytes=dataset.size_bytes or 0,
        model_gb=model_gb,
        batch_gb=batch_gb,
        gpu_count=gpu_count,
    ).fits
    network = network_load()
    by_cluster: dict[int, Delivery] = {}
    rows = []
    for fit in fits:
        node = fit.node
        if node.cluster_id not in by_cluster:
            by_cluster[node.cluster_id] = network.delivery(dataset, node.cluster_id)
        headroom = (
            node.memory_bytes - (dataset.size_bytes or 0) if node.memory_bytes is not None else None
        )
        rows.append(AdvisorRow(fit, by_cluster[node.cluster_id], headroom))
    rows.sort(
        key=lambda r: (
            r.ready_s is None,
            r.ready_s or 0,
            not getattr(r.fit, "available_now", True),
            node_key(r.fit.node),
        )
    )
    return rows


def node_key(node) -> tuple:
    return (node.cluster.name, node.name)
