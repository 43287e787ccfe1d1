"""Findings: rules over the current inventory that point at something to fix.

Computed on demand in a constant number of queries (nodes, per-node GPU aggregates,
driver versions, idle GPUs, MIG devices of nodes with a MIG layout label, sources, the
GPU agents' last reports), so nothing has to be kept in sync with the inventory. Each
links to the procedure on infrastructure usage, by URL, since procedures are a
separate app.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.choices import MigMode, Severity, SourceKind, SyncStatus
from inventory.models import Gpu, InventorySource, Node, SyncRun
from inventory.selectors import idle_after, source_is_stale, sources_with_status

PROCEDURE_URL = "/procedures/infrastructure-usage/"
MIN_CPU_PER_GPU = 8

RULES = {
    "gpu_not_exposed": (
        Severity.CRITICAL,
        gettext_lazy("GPUs not exposed to Kubernetes (device plugin or GPU Operator missing)"),
    ),
    "gpu_labels_missing": (Severity.WARNING, gettext_lazy("GPU node without NVIDIA's labels")),
    "driver_drift": (Severity.WARNING, gettext_lazy("Different NVIDIA driver versions")),
    "node_not_ready": (Severity.CRITICAL, gettext_lazy("Node not ready")),
    "gpu_idle": (Severity.INFO, gettext_lazy("GPU idle for a long time")),
    "low_cpu_per_gpu": (Severity.WARNING, gettext_lazy("Fewer than 8 vCPU per GPU")),
    "mig_mismatch": (Severity.WARNING, gettext_lazy("MIG configured differently from its labels")),
    "stale_source": (Severity.WARNING, gettext_lazy("Stale inventory source")),
    "agent_silent": (Severity.WARNING, gettext_lazy("GPU agent not reporting")),
}
SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    cluster_id: int
    cluster_name: str
    object_label: str
    url: str
    procedure_url: str = PROCEDURE_URL

    @property
    def title(self) -> str:
        return str(RULES[self.code][1])


def _finding(code, message, cluster_id, cluster_name, label, url) -> Finding:
    return Finding(code, RULES[code][0], message, cluster_id, cluster_name, label, url)


def _node_url(node_id: int) -> str:
    return reverse("inventory:node-detail", args=[node_id])


def _mig_config_mismatch(labels: dict, stats: dict, profiles: Counter | None) -> str:
    """Why the node's MIG labels and its GPUs disagree, or ""."""
    state = labels.get("nvidia.com/mig.config.state", "")
    if state == "failed":
        return _("the MIG manager reports mig.config.state=failed")
    config = labels.get("nvidia.com/mig.config", "")
    if not stats["gpus"]:
        return ""
    if config == "all-disabled" and stats["mig_enabled"]:
        return _("mig.config is all-disabled but %(n)s GPU(s) have MIG enabled") % {
            "n": stats["mig_enabled"]
        }
    if config.startswith("all-") and config != "all-disabled":
        if stats["mig_disabled"]:
            return _("mig.config is %(config)s but %(n)s GPU(s) have MIG disabled") % {
                "config": config,
                "n": stats["mig_disabled"],
            }
        profile = config[len("all-") :]
        if profiles is not None and profile != "balanced":
            other = sorted(p for p in profiles if p != profile)
            if other:
                return _("mig.config is %(config)s but MIG devices %(other)s exist") % {
                    "config": config,
                    "other": ", ".join(other),
                }
    return ""


def _mig_label_mismatch(node: dict, stats: dict, profiles: Counter | None) -> str:
    reason = _mig_config_mismatch(node["labels"] or {}, stats, profiles)
    if reason:
        return reason
    strategy = node["mig_strategy_label"]
    if stats["gpus"] and strategy in ("single", "mixed") and not stats["mig_enabled"]:
        return _("mig.strategy is %(s)s but no GPU has MIG enabled") % {"s": strategy}
    claimed = node["mig_devices_label"] or {}
    if (
        claimed
        and profiles is not None
        and dict(profiles) != {k: int(v) for k, v in claimed.items()}
    ):
        return _("the labels announce MIG devices %(claimed)s, the GPUs have %(actual)s") % {
            "claimed": ", ".join(f"{k}×{v}" for k, v in sorted(claimed.items())),
            "actual": ", ".join(f"{k}×{v}" for k, v in sorted(profiles.items())) or "none",
        }
    return ""


def findings_compute(
    *,
    cluster_id: int | None = None,
    now: datetime | None = None,
    sources: list[InventorySource] | None = None,
) -> list[Finding]:
    """``sources``: the rows of ``sources_with_status(cluster_id)`` when the caller
    already holds them (the overview page), so they are not read twice."""
    now = now or timezone.now()
    scope = {"cluster_id": cluster_id} if cluster_id else {}
    found: list[Finding] = []

    nodes = list(
        Node.objects.present()
        .filter(**scope)
        .values(
            "id",
            "name",
            "cluster_id",
            "cluster__name",
            "ready",
            "labels",
            "cpu_cores",
            "gpu_capacity",
            "gpu_allocatable",
            "gpu_labels_present",
            "gpu_count_label",
            "mig_strategy_label",
            "mig_devices_label",
        )
        .order_by("cluster__name", "name")
    )
    present_gpus = Gpu.objects.present().filter(**scope)
    stats = {
        (row["cluster_id"], row["node_name"]): row
        for row in present_gpus.values("cluster_id", "node_name").annotate(
            gpus=Count("id"),
            mig_enabled=Count("id", filter=Q(mig_mode=MigMode.ENABLED)),
            mig_disabled=Count("id", filter=Q(mig_mode=MigMode.DISABLED)),
        )
    }
    empty = {"gpus": 0, "mig_enabled": 0, "mig_disabled": 0}
    mig_nodes = {
        (n["cluster_id"], n["name"])
        for n in nodes
        if (n["labels"] or {}).get("nvidia.com/mig.config") or n["mig_devices_label"]
    }
    profiles: dict[tuple[int, str], Counter] = defaultdict(Counter)
    if mig_nodes:
        for cid, node_name, devices in present_gpus.filter(
            node_name__in=[name for _cid, name in mig_nodes]
        ).values_list("cluster_id", "node_name", "mig_devices"):
            profiles[(cid, node_name)].update(d.get("profile", "") for d in devices or [])

    for node in nodes:
        key = (node["cluster_id"], node["cluster__name"], node["name"], _node_url(node["id"]))
        st = stats.get((node["cluster_id"], node["name"]), empty)
        gpus_known = max(st["gpus"], node["gpu_capacity"], node["gpu_count_label"] or 0)
        is_gpu_node = gpus_known > 0 or node["gpu_labels_present"]
        if node["ready"] is False:
            found.append(
                _finding(
                    "node_not_ready",
                    _("Node %(node)s is NotReady.") % {"node": node["name"]},
                    *key,
                )
            )
        if is_gpu_node and node["gpu_allocatable"] == 0 and (st["gpus"] or node["gpu_count_label"]):
            found.append(
                _finding(
                    "gpu_not_exposed",
                    _(
                        "Node %(node)s has %(n)s GPU(s) but Kubernetes offers no "
                        "nvidia.com/gpu: install the device plugin or the GPU Operator."
                    )
                    % {"node": node["name"], "n": max(st["gpus"], node["gpu_count_label"] or 0)},
                    *key,
                )
            )
        if (st["gpus"] or node["gpu_capacity"]) and not node["gpu_labels_present"]:
            found.append(
                _finding(
                    "gpu_labels_missing",
                    _(
                        "Node %(node)s has GPUs but no nvidia.com/gpu.* labels: GPU feature "
                        "discovery is not running there."
                    )
                    % {"node": node["name"]},
                    *key,
                )
            )
        if gpus_known and node["cpu_cores"] is not None:
            per_gpu = node["cpu_cores"] / gpus_known
            if per_gpu < MIN_CPU_PER_GPU:
                found.append(
                    _finding(
                        "low_cpu_per_gpu",
                        _(
                            "Node %(node)s has %(cpu)s vCPU for %(n)s GPU(s) "
                            "(%(per).1f per GPU; data loading starves below 8)."
                        )
                        % {
                            "node": node["name"],
                            "cpu": f"{node['cpu_cores']:g}",
                            "n": gpus_known,
                            "per": per_gpu,
                        },
                        *key,
                    )
                )
        node_key = (node["cluster_id"], node["name"])
        reason = _mig_label_mismatch(
            node, st, profiles.get(node_key, Counter()) if node_key in mig_nodes else None
        )
        if reason:
            found.append(
                _finding(
                    "mig_mismatch",
                    _("Node %(node)s: %(reason)s.") % {"node": node["name"], "reason": reason},
                    *key,
                )
            )

    drivers: dict[tuple[int, str], list[str]] = defaultdict(list)
    for row in (
        present_gpus.exclude(driver_version="")
        .values("cluster_id", "cluster__name", "driver_version")
        .annotate(n=Count("id"))
        .order_by("cluster_id", "driver_version")
    ):
        drivers[(row["cluster_id"], row["cluster__name"])].append(
            f"{row['driver_version']} ({row['n']})"
        )
    for (cid, cname), versions in drivers.items():
        if len(versions) > 1:
            found.append(
                _finding(
                    "driver_drift",
                    _("Cluster %(cluster)s runs NVIDIA drivers %(versions)s.")
                    % {"cluster": cname, "versions": ", ".join(versions)},
                    cid,
                    cname,
                    cname,
                    reverse("inventory:gpu-list") + f"?cluster={cid}",
                )
            )

    for gpu in (
        present_gpus.filter(idle_since__lte=now - idle_after())
        .values(
            "node_id", "node_name", "index", "uuid", "idle_since", "cluster_id", "cluster__name"
        )
        .order_by("cluster__name", "node_name", "index")
    ):
        hours = int((now - gpu["idle_since"]).total_seconds() // 3600)
        found.append(
            _finding(
                "gpu_idle",
                _("GPU %(index)s on %(node)s has been idle for %(hours)s hours.")
                % {"index": gpu["index"], "node": gpu["node_name"], "hours": hours},
                gpu["cluster_id"],
                gpu["cluster__name"],
                f"{gpu['node_name']}/{gpu['index']}",
                _node_url(gpu["node_id"])
                if gpu["node_id"]
                else reverse("inventory:gpu-list") + f"?node={gpu['node_name']}",
            )
        )

    agent_clusters: dict[int, object] = {}
    if sources is None:
        sources = list(sources_with_status(cluster_id))
    for source in sources:
        if source.kind == SourceKind.GPU_AGENT:
            if source.enabled:
                agent_clusters[source.cluster_id] = source
            continue
        if source_is_stale(source, now):
            last = source.last_success_at
            message = _("Source %(source)s has not synced since %(when)s.") % {
                "source": source.name,
                "when": last.strftime("%Y-%m-%d %H:%M UTC") if last else _("it was added"),
            }
            if source.last_run_status == SyncStatus.FAILED and source.last_error:
                message += " " + _("Last error: %(error)s") % {"error": source.last_error[:300]}
            found.append(
                _finding(
                    "stale_source",
                    message,
                    source.cluster_id,
                    source.cluster.name,
                    source.name,
                    reverse("inventory:syncrun-list") + f"?source={source.pk}",
                )
            )

    if agent_clusters:
        last_reports = {
            (row["cluster_id"], row["scope"]): row["last"]
            for row in SyncRun.objects.filter(
                cluster_id__in=list(agent_clusters),
                source_kind=SourceKind.GPU_AGENT,
                status=SyncStatus.SUCCEEDED,
            )
            .values("cluster_id", "scope")
            .annotate(last=Max("started_at"))
        }
        for node in nodes:
            source = agent_clusters.get(node["cluster_id"])
            st = stats.get((node["cluster_id"], node["name"]), empty)
            if source is None or not (
                st["gpus"] or node["gpu_capacity"] or node["gpu_labels_present"]
            ):
                continue
            last = last_reports.get((node["cluster_id"], node["name"]))
            reference = last or source.created_at
            if now - reference > source.stale_after:
                found.append(
                    _finding(
                        "agent_silent",
                        _("The GPU agent on %(node)s last reported %(when)s.")
                        % {
                            "node": node["name"],
                            "when": last.strftime("%Y-%m-%d %H:%M UTC") if last else _("never"),
                        },
                        node["cluster_id"],
                        node["cluster__name"],
                        node["name"],
                        _node_url(node["id"]),
                    )
                )

    found.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.cluster_name, f.code))
    return found


def findings_summary(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {str(s): counts.get(s, 0) for s in Severity}


__all__ = ["PROCEDURE_URL", "RULES", "Finding", "findings_compute", "findings_summary"]
