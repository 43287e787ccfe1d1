"""The rules about GPUs and the sources that report them: driver drift, idle GPUs,
stale sources, silent agents, unreadable GPU reports."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    Subquery,
)
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.choices import Severity, SourceKind, SyncStatus
from inventory.findings.core import RULES, Finding, Rule, Scope
from inventory.findings.nodes import NODE_COLUMNS, _node_finding, _node_url
from inventory.models import Gpu, InventorySource, Node, SyncRun
from inventory.selectors import (
    idle_after,
    source_is_stale,
)

# --- drivers, idle GPUs -----------------------------------------------------------------


def _driver_drift_rows(scope: Scope) -> list[dict]:
    """One row per cluster running more than one driver version.

    A node's driver is what its GPUs report; a node with no GPU report counts with
    the driver its GPU feature discovery labels declare, so a cluster with only the
    Kubernetes source still shows drift."""
    versions: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for row in (
        scope.gpus()
        .exclude(driver_version="")
        .values("cluster_id", "cluster__name", "driver_version")
        .annotate(n=Count("id"))
        .order_by()
    ):
        versions[(row["cluster_id"], row["cluster__name"])][row["driver_version"]][0] += row["n"]
    reported = Gpu.objects.present().filter(node_id=OuterRef("pk"))
    for row in (
        scope.nodes()
        .exclude(driver_version_label="")
        .filter(~Exists(reported))
        .values("cluster_id", "cluster__name", "driver_version_label")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = (row["cluster_id"], row["cluster__name"])
        versions[key][row["driver_version_label"]][1] += row["n"]
    rows = []
    for (cluster_id, cluster_name), found in sorted(versions.items()):
        if len(found) < 2:
            continue
        parts = []
        for version, (gpus, label_nodes) in sorted(found.items()):
            counts = []
            if gpus:
                counts.append(str(gpus))
            if label_nodes:
                counts.append(_("%(n)s node(s) by their labels") % {"n": label_nodes})
            parts.append(f"{version} ({', '.join(counts)})")
        rows.append(
            {"cluster_id": cluster_id, "cluster_name": cluster_name, "versions": ", ".join(parts)}
        )
    return rows


def _driver_drift_finding(row, scope) -> Finding:
    return Finding(
        "driver_drift",
        RULES["driver_drift"].severity,
        _("Cluster %(cluster)s runs NVIDIA drivers %(versions)s.")
        % {"cluster": row["cluster_name"], "versions": row["versions"]},
        row["cluster_id"],
        row["cluster_name"],
        row["cluster_name"],
        reverse("inventory:gpu-list") + f"?cluster={row['cluster_id']}",
    )


def _idle_rows(scope: Scope):
    return (
        scope.gpus()
        .filter(idle_since__lte=scope.now - idle_after())
        .values("node_id", "node_name", "index", "idle_since", "cluster_id", "cluster__name")
        .order_by("cluster_id", "node_name", "index")
    )


def _idle_finding(row, scope) -> Finding:
    hours = int((scope.now - row["idle_since"]).total_seconds() // 3600)
    return Finding(
        "gpu_idle",
        RULES["gpu_idle"].severity,
        _("GPU %(index)s on %(node)s has been idle for %(hours)s hours.")
        % {"index": row["index"], "node": row["node_name"], "hours": hours},
        row["cluster_id"],
        row["cluster__name"],
        f"{row['node_name']}/{row['index']}",
        _node_url(row["node_id"])
        if row["node_id"]
        else reverse("inventory:gpu-list") + f"?node={row['node_name']}",
    )


# --- sources and agents -------------------------------------------------------------------


def _stale_rows(scope: Scope) -> list[InventorySource]:
    return [
        s for s in scope.sources if s.kind != SourceKind.GPU_AGENT and source_is_stale(s, scope.now)
    ]


def _stale_finding(source, scope) -> Finding:
    last = source.last_success_at
    message = _("Source %(source)s has not synced since %(when)s.") % {
        "source": source.name,
        "when": last.strftime("%Y-%m-%d %H:%M UTC") if last else _("it was added"),
    }
    if source.last_run_status == SyncStatus.FAILED and source.last_error:
        message += " " + _("Last error: %(error)s") % {"error": source.last_error[:300]}
    return Finding(
        "stale_source",
        RULES["stale_source"].severity,
        message,
        source.cluster_id,
        source.cluster.name,
        source.name,
        reverse("inventory:syncrun-list") + f"?source={source.pk}",
    )


def _agent_silent_rows(scope: Scope):
    """GPU nodes of clusters with a GPU agent source whose agent has not reported
    successfully within the source's stale interval."""
    agents = [s for s in scope.sources if s.kind == SourceKind.GPU_AGENT and s.enabled]
    if not agents:
        return []
    silent = Q(pk__in=[])
    for agent in agents:
        reports = SyncRun.objects.filter(
            source_id=agent.pk, scope=OuterRef("name"), status=SyncStatus.SUCCEEDED
        )
        quiet = Q(cluster_id=agent.cluster_id) & ~Exists(
            reports.filter(started_at__gte=scope.now - agent.stale_after)
        )
        if scope.now - agent.created_at <= agent.stale_after:
            # A new agent source: only a node that did report, long ago, is silent.
            quiet &= Exists(reports)
        silent |= quiet
    last = SyncRun.objects.filter(
        source_id__in=[a.pk for a in agents],
        scope=OuterRef("name"),
        status=SyncStatus.SUCCEEDED,
    ).order_by("-started_at")
    return (
        scope.nodes()
        .filter(silent)
        .filter(
            Q(gpu_capacity__gt=0)
            | Q(gpu_labels_present=True)
            | Exists(Gpu.objects.present().filter(node_id=OuterRef("pk")))
        )
        .annotate(last_report=Subquery(last.values("started_at")[:1]))
        .values(*NODE_COLUMNS, "last_report")
        .order_by("cluster_id", "name")
    )


def _agent_silent_finding(row, scope) -> Finding:
    last = row["last_report"]
    message = _("The GPU agent on %(node)s last reported %(when)s.") % {
        "node": row["name"],
        "when": last.strftime("%Y-%m-%d %H:%M UTC") if last else _("never"),
    }
    return _node_finding("agent_silent", row, message)


def _unreadable_rows(scope: Scope) -> list[dict]:
    """Per node, the GPU report the last successful run of a source could not read."""
    run_ids = [
        s.last_success_id for s in scope.sources if s.enabled and s.last_success_id is not None
    ]
    if not run_ids:
        return []
    runs = list(
        SyncRun.objects.filter(pk__in=run_ids)
        .exclude(gpu_report_errors={})
        .values("cluster_id", "cluster__name", "source__name", "gpu_report_errors")
        .order_by("cluster_id", "source__name")
    )
    if not runs:
        return []
    wanted = Q(pk__in=[])
    for run in runs:
        wanted |= Q(cluster_id=run["cluster_id"], name__in=list(run["gpu_report_errors"]))
    ids = dict(
        (
            ((cid, name), pk)
            for pk, cid, name in Node.objects.filter(wanted).values_list("pk", "cluster_id", "name")
        )
    )
    rows = []
    for run in runs:
        for node_name, reason in sorted(run["gpu_report_errors"].items()):
            rows.append(
                {
                    "id": ids.get((run["cluster_id"], node_name)),
                    "name": node_name,
                    "cluster_id": run["cluster_id"],
                    "cluster__name": run["cluster__name"],
                    "source": run["source__name"],
                    "reason": reason,
                }
            )
    return rows


def _unreadable_finding(row, scope) -> Finding:
    message = _(
        "Source %(source)s could not read the GPU report of %(node)s (%(reason)s); its "
        "GPUs keep the facts last read."
    ) % {"source": row["source"], "node": row["name"], "reason": row["reason"]}
    return Finding(
        "gpu_report_unreadable",
        RULES["gpu_report_unreadable"].severity,
        message,
        row["cluster_id"],
        row["cluster__name"],
        row["name"],
        _node_url(row["id"]) if row["id"] else reverse("inventory:syncrun-list"),
    )


GPU_RULES = (
    Rule(
        "driver_drift",
        Severity.WARNING,
        gettext_lazy("Different NVIDIA driver versions"),
        _driver_drift_rows,
        _driver_drift_finding,
    ),
    Rule(
        "gpu_idle",
        Severity.INFO,
        gettext_lazy("GPU idle for a long time"),
        _idle_rows,
        _idle_finding,
    ),
    Rule(
        "stale_source",
        Severity.WARNING,
        gettext_lazy("Stale inventory source"),
        _stale_rows,
        _stale_finding,
    ),
    Rule(
        "agent_silent",
        Severity.WARNING,
        gettext_lazy("GPU agent not reporting"),
        _agent_silent_rows,
        _agent_silent_finding,
    ),
    Rule(
        "gpu_report_unreadable",
        Severity.WARNING,
        gettext_lazy("Unreadable GPU report"),
        _unreadable_rows,
        _unreadable_finding,
    ),
)
