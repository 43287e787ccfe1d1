"""The rules about nodes: readiness, GPUs exposed and labelled, CPU per GPU, and MIG
layouts against what the GPUs report."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import (
    F,
    IntegerField,
    Q,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.choices import MigMode, Severity
from inventory.findings.core import MIN_CPU_PER_GPU, RULES, Finding, Rule, Scope
from inventory.selectors import (
    gpus_on_node,
)

# --- helpers shared by the node rules ------------------------------------------------

NODE_COLUMNS = ("id", "name", "cluster_id", "cluster__name")


def _node_url(node_id: int) -> str:
    return reverse("inventory:node-detail", args=[node_id])


def _node_finding(code: str, row: dict, message: str) -> Finding:
    return Finding(
        code,
        RULES[code].severity,
        message,
        row["cluster_id"],
        row["cluster__name"],
        row["name"],
        _node_url(row["id"]),
    )


# --- node rules ------------------------------------------------------------------------


def _not_ready_rows(scope: Scope):
    return scope.nodes().filter(ready=False).values(*NODE_COLUMNS).order_by("cluster_id", "name")


def _not_ready_finding(row, scope) -> Finding:
    return _node_finding(
        "node_not_ready", row, _("Node %(node)s is NotReady.") % {"node": row["name"]}
    )


def _not_exposed_rows(scope: Scope):
    return (
        scope.nodes()
        .filter(gpu_allocatable=0)
        .annotate(gpus_n=gpus_on_node())
        .filter(Q(gpus_n__gt=0) | Q(gpu_count_label__gt=0))
        .values(*NODE_COLUMNS, "gpus_n", "gpu_count_label")
        .order_by("cluster_id", "name")
    )


def _not_exposed_finding(row, scope) -> Finding:
    message = _(
        "Node %(node)s has %(n)s GPU(s) but Kubernetes offers no "
        "nvidia.com/gpu: install the device plugin or the GPU Operator."
    ) % {"node": row["name"], "n": max(row["gpus_n"], row["gpu_count_label"] or 0)}
    return _node_finding("gpu_not_exposed", row, message)


def _labels_missing_rows(scope: Scope):
    return (
        scope.nodes()
        .filter(gpu_labels_present=False)
        .annotate(gpus_n=gpus_on_node())
        .filter(Q(gpus_n__gt=0) | Q(gpu_capacity__gt=0))
        .values(*NODE_COLUMNS)
        .order_by("cluster_id", "name")
    )


def _labels_missing_finding(row, scope) -> Finding:
    message = _(
        "Node %(node)s has GPUs but no nvidia.com/gpu.* labels: GPU feature "
        "discovery is not running there."
    ) % {"node": row["name"]}
    return _node_finding("gpu_labels_missing", row, message)


def _low_cpu_rows(scope: Scope):
    return (
        scope.nodes()
        .filter(cpu_cores__isnull=False)
        .annotate(
            gpus_known=Greatest(
                gpus_on_node(),
                F("gpu_capacity"),
                Coalesce(F("gpu_count_label"), Value(0)),
                output_field=IntegerField(),
            )
        )
        .filter(gpus_known__gt=0, cpu_cores__lt=F("gpus_known") * MIN_CPU_PER_GPU)
        .values(*NODE_COLUMNS, "cpu_cores", "gpus_known")
        .order_by("cluster_id", "name")
    )


def _low_cpu_finding(row, scope) -> Finding:
    message = _(
        "Node %(node)s has %(cpu)s vCPU for %(n)s GPU(s) "
        "(%(per).1f per GPU; data loading starves below 8)."
    ) % {
        "node": row["name"],
        "cpu": f"{row['cpu_cores']:g}",
        "n": row["gpus_known"],
        "per": row["cpu_cores"] / row["gpus_known"],
    }
    return _node_finding("low_cpu_per_gpu", row, message)


# --- MIG: the labels' claims against what the GPUs report -----------------------------

MIG_CONFIG = "nvidia.com/mig.config"
MIG_STATE = "nvidia.com/mig.config.state"


def _mig_candidates(scope: Scope) -> list[dict]:
    """Nodes whose labels say anything about MIG, with their GPUs' MIG figures.

    SQL picks the nodes; the profiles of their MIG devices are read for those nodes
    only and compared in Python (a JSON list per GPU). Read once per scope: the
    mismatch and the unverified rules both use them."""
    if "mig" not in scope.memo:
        scope.memo["mig"] = _read_mig_candidates(scope)
    return scope.memo["mig"]


def _read_mig_candidates(scope: Scope) -> list[dict]:
    nodes = list(
        scope.nodes()
        .filter(
            Q(labels__has_key=MIG_CONFIG)
            | Q(labels__has_key=MIG_STATE)
            | Q(mig_strategy_label__in=["single", "mixed"])
            | ~Q(mig_devices_label={})
        )
        .annotate(
            mig_config=KeyTextTransform(MIG_CONFIG, "labels"),
            mig_state=KeyTextTransform(MIG_STATE, "labels"),
            gpus_n=gpus_on_node(),
            mig_enabled=gpus_on_node(Q(mig_mode=MigMode.ENABLED)),
            mig_disabled=gpus_on_node(Q(mig_mode=MigMode.DISABLED)),
        )
        .values(
            *NODE_COLUMNS,
            "mig_config",
            "mig_state",
            "mig_strategy_label",
            "mig_devices_label",
            "gpus_n",
            "mig_enabled",
            "mig_disabled",
        )
        .order_by("cluster_id", "name")
    )
    profiles: dict[int, Counter] = defaultdict(Counter)
    if nodes:
        for node_id, devices in (
            scope.gpus()
            .filter(node_id__in=[n["id"] for n in nodes])
            .values_list("node_id", "mig_devices")
        ):
            profiles[node_id].update(d.get("profile", "") for d in devices or [])
    for node in nodes:
        node["profiles"] = profiles[node["id"]]
    return nodes


def _mig_config_mismatch(node: dict) -> str:
    """Why the node's mig.config labels and its GPUs disagree, or ""."""
    if (node["mig_state"] or "") == "failed":
        return _("the MIG manager reports mig.config.state=failed")
    config = node["mig_config"] or ""
    if not node["gpus_n"]:
        return ""
    if config == "all-disabled" and node["mig_enabled"]:
        return _("mig.config is all-disabled but %(n)s GPU(s) have MIG enabled") % {
            "n": node["mig_enabled"]
        }
    if config.startswith("all-") and config != "all-disabled":
        if node["mig_disabled"]:
            return _("mig.config is %(config)s but %(n)s GPU(s) have MIG disabled") % {
                "config": config,
                "n": node["mig_disabled"],
            }
        profile = config[len("all-") :]
        if profile != "balanced":
            other = sorted(p for p in node["profiles"] if p != profile)
            if other:
                return _("mig.config is %(config)s but MIG devices %(other)s exist") % {
                    "config": config,
                    "other": ", ".join(other),
                }
    return ""


def _claimed(node: dict) -> dict[str, int]:
    return {k: int(v) for k, v in (node["mig_devices_label"] or {}).items()}


def _mig_mismatch(node: dict) -> str:
    reason = _mig_config_mismatch(node)
    if reason:
        return reason
    strategy = node["mig_strategy_label"]
    if node["gpus_n"] and strategy in ("single", "mixed") and not node["mig_enabled"]:
        return _("mig.strategy is %(s)s but no GPU has MIG enabled") % {"s": strategy}
    claimed = _claimed(node)
    if claimed and node["gpus_n"] and dict(node["profiles"]) != claimed:
        return _("the labels announce MIG devices %(claimed)s, the GPUs have %(actual)s") % {
            "claimed": ", ".join(f"{k}×{v}" for k, v in sorted(claimed.items())),
            "actual": ", ".join(f"{k}×{v}" for k, v in sorted(node["profiles"].items()))
            or _("none"),
        }
    return ""


def _mig_mismatch_rows(scope: Scope) -> list[dict]:
    rows = []
    for node in _mig_candidates(scope):
        reason = _mig_mismatch(node)
        if reason:
            rows.append({**node, "reason": reason})
    return rows


def _mig_mismatch_finding(row, scope) -> Finding:
    message = _("Node %(node)s: %(reason)s.") % {"node": row["name"], "reason": row["reason"]}
    return _node_finding("mig_mismatch", row, message)


def _mig_unverified_rows(scope: Scope) -> list[dict]:
    # Without a GPU report, "the GPUs have none" would be a false claim: say what is known.
    return [n for n in _mig_candidates(scope) if _claimed(n) and not n["gpus_n"]]


def _mig_unverified_finding(row, scope) -> Finding:
    message = _(
        "Node %(node)s: the labels announce MIG devices %(claimed)s, but no GPU report "
        "exists for this node to check them against (no GPU agent, nvidia-smi file or "
        "NVML report)."
    ) % {
        "node": row["name"],
        "claimed": ", ".join(f"{k}×{v}" for k, v in sorted(_claimed(row).items())),
    }
    return _node_finding("mig_unverified", row, message)


NODE_RULES = (
    Rule(
        "gpu_not_exposed",
        Severity.CRITICAL,
        gettext_lazy("GPUs not exposed to Kubernetes (device plugin or GPU Operator missing)"),
        _not_exposed_rows,
        _not_exposed_finding,
    ),
    Rule(
        "gpu_labels_missing",
        Severity.WARNING,
        gettext_lazy("GPU node without NVIDIA's labels"),
        _labels_missing_rows,
        _labels_missing_finding,
    ),
    Rule(
        "node_not_ready",
        Severity.CRITICAL,
        gettext_lazy("Node not ready"),
        _not_ready_rows,
        _not_ready_finding,
    ),
    Rule(
        "low_cpu_per_gpu",
        Severity.WARNING,
        gettext_lazy("Fewer than 8 vCPU per GPU"),
        _low_cpu_rows,
        _low_cpu_finding,
    ),
    Rule(
        "mig_mismatch",
        Severity.WARNING,
        gettext_lazy("MIG configured differently from its labels"),
        _mig_mismatch_rows,
        _mig_mismatch_finding,
    ),
    Rule(
        "mig_unverified",
        Severity.INFO,
        gettext_lazy("MIG layout announced by labels, no GPU report to check it"),
        _mig_unverified_rows,
        _mig_unverified_finding,
    ),
)
