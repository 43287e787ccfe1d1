"""The capacity advisor: which nodes can run a job of a given size, and why each
of the others is left out, in a constant number of queries whatever the size of the
cluster."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_lazy as _

from inventory.choices import MigMode
from inventory.models import Gpu, Node
from inventory.selectors import cached_until_sync

# Why a node is left out, in the order they are checked (the first that applies).
LEFT_OUT_REASONS = {
    "not_ready": _("not ready"),
    "no_gpu": _("no GPUs"),
    "not_exposed": _("GPUs not exposed to Kubernetes"),
    "ram": _("not enough RAM for the dataset"),
    "vcpu": _("too few vCPU per GPU"),
    "gpu_unknown": _("GPU memory unknown (no GPU report, no nvidia.com/gpu.memory label)"),
    "gpu_memory": _("not enough GPU memory"),
}
FITS_SHOWN = 100
LEFT_OUT_SAMPLES = 5


@dataclass
class CapacityFit:
    node: Node
    mode: str  # "replica": each device holds the model; "sharded": split over NVLink peers
    gpus_fitting: int  # devices able to hold it: whole GPUs and MIG instances
    gpu_memory_mib: int
    free_now: int
    gpu_count: int = 1
    mig_instances: int = 0  # of ``gpus_fitting``, how many are MIG instances

    @property
    def available_now(self) -> bool:
        return self.free_now >= self.gpu_count


@dataclass
class LeftOut:
    reason: str
    label: str
    count: int
    examples: list[str] = field(default_factory=list)


@dataclass
class CapacityAdvice:
    fits: list[CapacityFit]  # the first FITS_SHOWN, free ones first
    fits_total: int
    left_out: list[LeftOut]

    @property
    def left_out_total(self) -> int:
        return sum(item.count for item in self.left_out)


def _nvlink_groups(gpus: list[Gpu]) -> list[list[Gpu]]:
    by_bus = {g.pci_bus_id.lower(): g for g in gpus if g.pci_bus_id}
    parent = {g.pk: g.pk for g in gpus}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in gpus:
        for peer in g.nvlink_peers or []:
            other = by_bus.get(str(peer).lower())
            if other is not None:
                parent[find(g.pk)] = find(other.pk)
    groups = defaultdict(list)
    for g in gpus:
        groups[find(g.pk)].append(g)
    return list(groups.values())


def mig_instance_mib(device: dict) -> int | None:
    """A MIG instance's own memory: as reported, else from its profile ("3g.40gb")."""
    memory = device.get("memory_total_mib")
    if memory:
        return int(memory)
    profile = str(device.get("profile", ""))
    tail = profile.rsplit(".", 1)[-1]
    if tail.endswith("gb") and tail[:-2].isdigit():
        return int(tail[:-2]) * 1000  # "40gb" is rounded up from 40,448 MiB: stay below
    return None


def _devices(gpu: Gpu) -> list[tuple[int, bool]]:
    """The devices a job can be given on this GPU, (memory MiB, is a MIG instance):
    the whole GPU, or each MIG instance with its own memory when MIG is on."""
    if gpu.mig_mode == MigMode.ENABLED:
        return [(m, True) for d in gpu.mig_devices or [] if (m := mig_instance_mib(d))]
    return [(gpu.memory_total_mib, False)] if gpu.memory_total_mib else []


def _checked_fit(
    node: Node, gpus: list[Gpu], replica_need: float, sharded_need: float, gpu_count: int
) -> CapacityFit | None:
    free = max(0, node.gpu_allocatable - node.gpu_requested)
    devices = [d for g in gpus for d in _devices(g) if d[0] >= replica_need]
    if len(devices) >= gpu_count:
        return CapacityFit(
            node,
            "replica",
            len(devices),
            min(m for m, _mig in devices),
            free,
            gpu_count,
            mig_instances=sum(1 for _m, mig in devices if mig),
        )
    if gpu_count < 2:
        return None
    # MIG instances have no NVLink between them: only whole GPUs shard a model.
    whole = [g for g in gpus if g.mig_mode != MigMode.ENABLED]
    for group in _nvlink_groups(whole):
        able = [g for g in group if (g.memory_total_mib or 0) >= sharded_need]
        if len(able) >= gpu_count:
            memory = min(g.memory_total_mib for g in able)
            return CapacityFit(node, "sharded", len(able), memory, free, gpu_count)
    return None


# Each present node with the figures of its present GPUs (one grouped pass over the
# GPUs) and the first reason, in LEFT_OUT_REASONS' order, it cannot run the job ("":
# it can). ``direct``: the answer needs no look at MIG layouts or NVLink peers.
_CLASSIFIED_NODES = """
WITH stats AS (
    SELECT node_id,
           COUNT(*) AS gpus_n,
           SUM(CASE WHEN mig_mode <> %(mig)s AND memory_total_mib >= %(replica)s
                    THEN 1 ELSE 0 END) AS whole_fit,
           MIN(CASE WHEN mig_mode <> %(mig)s AND memory_total_mib >= %(replica)s
                    THEN memory_total_mib END) AS fit_memory,
           SUM(CASE WHEN mig_mode = %(mig)s AND memory_total_mib >= %(replica)s
                    THEN 1 ELSE 0 END) AS mig_fit,
           SUM(CASE WHEN mig_mode <> %(mig)s AND memory_total_mib >= %(sharded)s
                         AND CAST(nvlink_peers AS TEXT) <> '[]'
                    THEN 1 ELSE 0 END) AS shard_fit
    FROM {gpu} WHERE gone_at IS NULL AND node_id IS NOT NULL {gpu_scope}
    GROUP BY node_id
), figures AS (
    SELECT n.id, n.cluster_id, n.name, n.ready, n.memory_bytes, n.cpu_cores,
           n.gpu_capacity, n.gpu_allocatable, n.gpu_memory_mib,
           COALESCE(n.gpu_count_label, n.gpu_capacity) AS labelled_gpus,
           COALESCE(n.gpu_count_label, 0) AS count_label,
           CASE WHEN n.gpu_allocatable > n.gpu_requested
                THEN n.gpu_allocatable - n.gpu_requested ELSE 0 END AS free,
           COALESCE(s.gpus_n, 0) AS gpus_n, COALESCE(s.whole_fit, 0) AS whole_fit,
           s.fit_memory, COALESCE(s.mig_fit, 0) AS mig_fit, COALESCE(s.shard_fit, 0) AS shard_fit
    FROM {node} n LEFT JOIN stats s ON s.node_id = n.id
    WHERE n.gone_at IS NULL {node_scope}
), classified AS (
    SELECT id, cluster_id, name, free, gpus_n, whole_fit, fit_memory, gpu_memory_mib,
           labelled_gpus,
           CASE
             WHEN ready IS NULL OR NOT ready THEN 'not_ready'
             WHEN gpus_n = 0 AND gpu_capacity = 0 AND count_label = 0 THEN 'no_gpu'
             WHEN gpu_allocatable = 0 THEN 'not_exposed'
             WHEN memory_bytes < %(dataset)s THEN 'ram'
             WHEN cpu_cores IS NULL OR cpu_cores < %(cpu)s * %(count)s
                  OR cpu_cores < %(cpu)s * gpus_n OR cpu_cores < %(cpu)s * gpu_capacity
                  THEN 'vcpu'
             WHEN gpus_n = 0 AND gpu_memory_mib IS NULL THEN 'gpu_unknown'
             WHEN gpus_n = 0 AND gpu_memory_mib >= %(replica)s AND labelled_gpus >= %(count)s
                  THEN ''
             WHEN gpus_n = 0 THEN 'gpu_memory'
             WHEN whole_fit >= %(count)s OR mig_fit > 0 OR shard_fit >= %(count)s THEN ''
             ELSE 'gpu_memory'
           END AS reason,
           CASE WHEN gpus_n = 0 OR whole_fit >= %(count)s THEN 1 ELSE 0 END AS direct,
           CASE WHEN free >= %(count)s THEN 0 ELSE 1 END AS busy
    FROM figures
)
"""


def _classified(sql: str, params: dict, cluster_id: int | None) -> list[tuple]:
    query = _CLASSIFIED_NODES.format(
        gpu=connection.ops.quote_name(Gpu._meta.db_table),
        node=connection.ops.quote_name(Node._meta.db_table),
        gpu_scope="AND cluster_id = %(cluster)s" if cluster_id else "",
        node_scope="AND n.cluster_id = %(cluster)s" if cluster_id else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(query + sql, {**params, "cluster": cluster_id})
        return cursor.fetchall()


def _classification(params: dict, cluster_id: int | None) -> dict:
    """The SQL half of the advice, cached until the next sync run: the inventory, and
    so the answer, changes only when a sync records one."""
    key = "capacity:" + ":".join(
        [str(cluster_id or "all"), *(f"{k}={v}" for k, v in sorted(params.items()))]
    )
    return cached_until_sync(key, lambda: _classify(params, cluster_id))


def _classify(params: dict, cluster_id: int | None) -> dict:
    counts = {
        (reason, bool(direct)): n
        for reason, direct, n in _classified(
            "SELECT reason, direct, COUNT(*) FROM classified GROUP BY reason, direct",
            params,
            cluster_id,
        )
    }
    shown = [
        tuple(row)
        for row in _classified(
            "SELECT id, free, gpus_n, whole_fit, fit_memory, gpu_memory_mib, labelled_gpus"
            " FROM classified WHERE reason = '' AND direct = 1"
            " ORDER BY busy, cluster_id, name LIMIT %(shown)s",
            params,
            cluster_id,
        )
    ]
    checked = []
    if counts.get(("", False)):
        checked = [
            row[0]
            for row in _classified(
                "SELECT id FROM classified WHERE reason = '' AND direct = 0", params, cluster_id
            )
        ]
    examples: dict[str, list[str]] = defaultdict(list)
    if any(n for (reason, _direct), n in counts.items() if reason):
        for reason, name in _classified(
            "SELECT reason, name FROM (SELECT reason, name, ROW_NUMBER() OVER"
            " (PARTITION BY reason ORDER BY name) AS position FROM classified"
            " WHERE reason <> '') ranked WHERE position <= %(samples)s"
            " ORDER BY reason, name",
            params,
            cluster_id,
        ):
            examples[reason].append(name)
    return {"counts": counts, "shown": shown, "checked": checked, "examples": dict(examples)}


def _checked_fits(
    checked_ids: list[int], by_id: dict[int, Node], params: dict, gpu_count: int
) -> tuple[list[CapacityFit], list[str]]:
    """The nodes whose answer depends on MIG layouts and NVLink groups, judged on
    their GPUs (read for these nodes only): the fits, and the names of the others."""
    if not checked_ids:
        return [], []
    gpus_by_node: dict[int, list[Gpu]] = defaultdict(list)
    for gpu in (
        Gpu.objects.present()
        .filter(node_id__in=checked_ids)
        .only("id", "node_id", "memory_total_mib", "pci_bus_id", "nvlink_peers", "mig_mode",
              "mig_devices")
    ):  # fmt: skip
        gpus_by_node[gpu.node_id].append(gpu)
    fits, failed = [], []
    for node_id in checked_ids:
        node = by_id[node_id]
        fit = _checked_fit(
            node, gpus_by_node.get(node_id, []), params["replica"], params["sharded"], gpu_count
        )
        if fit is None:
            failed.append(node.name)
        else:
            fits.append(fit)
    return fits, failed


def _left_out(counts: dict, examples: dict, checked_failed: list[str]) -> list[LeftOut]:
    """The nodes left out, by reason, with a few names each."""
    left_counts: dict[str, int] = defaultdict(int)
    for (reason, _direct), n in counts.items():
        if reason:
            left_counts[reason] += n
    if checked_failed:
        left_counts["gpu_memory"] += len(checked_failed)
        merged = sorted(examples["gpu_memory"] + checked_failed)
        examples["gpu_memory"] = merged[:LEFT_OUT_SAMPLES]
    return [
        LeftOut(reason, str(label), left_counts[reason], examples.get(reason, []))
        for reason, label in LEFT_OUT_REASONS.items()
        if left_counts.get(reason)
    ]


def capacity_advice(
    *,
    model_gb: float,
    batch_gb: float,
    dataset_bytes: int,
    gpu_count: int,
    cluster_id: int | None = None,
    min_cpu_per_gpu: float = 8,
) -> CapacityAdvice:
    """Nodes that can run a job, and the others with the reason each is left out.

    A job needs ``gpu_count`` devices that each hold the model and a batch (a whole
    GPU, or a MIG instance, which has its own memory), or ``gpu_count`` NVLink-connected
    whole GPUs holding a shard each; RAM for ``dataset_bytes`` (a plain number of
    bytes, whatever the dataset's source); and ``min_cpu_per_gpu`` vCPU per GPU of the
    node (its CPUs serve all its GPUs' jobs). A node no GPU report covers is judged by
    its ``nvidia.com/gpu.memory`` and ``gpu.count`` labels.

    SQL classifies every node in one grouped pass over the GPUs (``_CLASSIFIED_NODES``);
    three reads of it give the counts by reason, the first page of fits and a few
    names per reason, cached until the next sync run. Only nodes whose answer depends
    on MIG layouts or NVLink peers (a GPU with no peer never shards) have their GPUs
    read.
    """
    params = {
        "mig": MigMode.ENABLED.value,
        "replica": (model_gb + batch_gb) * 1024,
        "sharded": (model_gb / gpu_count + batch_gb) * 1024,
        "dataset": dataset_bytes,
        "cpu": min_cpu_per_gpu,
        "count": gpu_count,
        "shown": FITS_SHOWN,
        "samples": LEFT_OUT_SAMPLES,
    }
    sql = _classification(params, cluster_id)
    counts, shown, checked_ids, examples = (
        sql["counts"],
        sql["shown"],
        sql["checked"],
        defaultdict(list, sql["examples"]),
    )
    nodes = Node.objects.select_related("cluster").only(
        "id", "name", "cpu_cores", "gpu_allocatable", "gpu_requested", "cluster__name",
        "cluster__id",
    )  # fmt: skip
    by_id = nodes.in_bulk([row[0] for row in shown] + checked_ids)
    fits = [
        CapacityFit(
            by_id[node_id],
            "replica",
            whole_fit if gpus_n else labelled,
            (fit_memory if gpus_n else label_memory) or 0,
            free,
            gpu_count,
        )
        for node_id, free, gpus_n, whole_fit, fit_memory, label_memory, labelled in shown
    ]
    checked_fits, checked_failed = _checked_fits(checked_ids, by_id, params, gpu_count)
    fits += checked_fits
    fits_total = counts.get(("", True), 0) + len(checked_fits)
    fits.sort(key=lambda f: (not f.available_now, f.node.cluster_id, f.node.name))
    left_out = _left_out(counts, examples, checked_failed)
    return CapacityAdvice(fits=fits[:FITS_SHOWN], fits_total=fits_total, left_out=left_out)
