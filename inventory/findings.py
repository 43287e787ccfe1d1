"""Findings: rules over the current inventory that point at something to fix.

A rule is registered once (``register_rule``) with four things:

- ``code`` and ``severity``, and ``title``, the one-line name shown above each finding;
- ``rows(scope)``: the rows that are findings, as a QuerySet whose SQL does the
  filtering (or, for rules over a handful of rows such as the sources, a list), in a
  stable order, so that a page of findings reads only the rows it shows;
- ``finding(row, scope)``: one row turned into a ``Finding`` (message, object, link).

``findings_page`` pages through the rules in severity order without reading more than
one page of rows; the counts per rule (``findings_counts``) are cached until a sync
records a run (``inventory_generation``) or for ``COUNTS_TTL`` seconds, whichever comes
first, because time alone can make a source stale or a GPU idle. Each finding links to
the procedure on infrastructure usage, by URL, since procedures are a separate app.

Another app or module adds a rule the same way, from its ``AppConfig.ready()``, e.g.
certificates about to expire::

    register_rule(Rule("certificate_expiring", Severity.WARNING,
                       gettext_lazy("Certificate about to expire"), rows, finding))
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.choices import MigMode, Severity, SourceKind, SyncStatus
from inventory.models import Gpu, InventorySource, Node, SyncRun
from inventory.selectors import (
    cached_until_sync,
    gpus_on_node,
    idle_after,
    source_is_stale,
    sources_with_status,
)

PROCEDURE_URL = "/procedures/infrastructure-usage/"
MIN_CPU_PER_GPU = 8
COUNTS_TTL = 300
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
        return str(RULES[self.code].title)


@dataclass
class Scope:
    """What every rule is asked about: one cluster or all, at one moment."""

    cluster_id: int | None = None
    now: datetime = field(default_factory=timezone.now)
    _sources: list[InventorySource] | None = None
    # Rows two rules share (the MIG candidates), read once per scope.
    memo: dict = field(default_factory=dict)

    @property
    def sources(self) -> list[InventorySource]:
        """The sources with their last runs (``sources_with_status``), read once."""
        if self._sources is None:
            self._sources = list(sources_with_status(self.cluster_id))
        return self._sources

    def nodes(self) -> QuerySet[Node]:
        qs = Node.objects.present()
        return qs.filter(cluster_id=self.cluster_id) if self.cluster_id else qs

    def gpus(self) -> QuerySet[Gpu]:
        qs = Gpu.objects.present()
        return qs.filter(cluster_id=self.cluster_id) if self.cluster_id else qs


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: Any  # a lazy translation
    rows: Callable[[Scope], QuerySet | list]
    finding: Callable[[Any, Scope], Finding]

    def count(self, scope: Scope) -> int:
        rows = self.rows(scope)
        return rows.count() if isinstance(rows, QuerySet) else len(rows)


RULES: dict[str, Rule] = {}


def register_rule(rule: Rule) -> Rule:
    if rule.code in RULES:
        raise ValueError(f"finding rule {rule.code!r} is registered twice")
    if rule.severity not in SEVERITY_ORDER:
        raise ValueError(f"finding rule {rule.code!r}: unknown severity {rule.severity!r}")
    RULES[rule.code] = rule
    return rule


def rules_in_order() -> list[Rule]:
    positions = {code: i for i, code in enumerate(RULES)}
    return sorted(RULES.values(), key=lambda r: (SEVERITY_ORDER[r.severity], positions[r.code]))


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


BUILT_IN = (
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
        "driver_drift",
        Severity.WARNING,
        gettext_lazy("Different NVIDIA driver versions"),
        _driver_drift_rows,
        _driver_drift_finding,
    ),
    Rule(
        "node_not_ready",
        Severity.CRITICAL,
        gettext_lazy("Node not ready"),
        _not_ready_rows,
        _not_ready_finding,
    ),
    Rule(
        "gpu_idle",
        Severity.INFO,
        gettext_lazy("GPU idle for a long time"),
        _idle_rows,
        _idle_finding,
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


def register() -> None:
    """The inventory's own rules (InventoryConfig.ready), in the order they are shown
    within a severity."""
    for rule in BUILT_IN:
        register_rule(rule)


# --- reading findings -----------------------------------------------------------------------


def _selected(code: str | None) -> list[Rule]:
    rules = rules_in_order()
    return [r for r in rules if r.code == code] if code else rules


def findings_counts(scope: Scope) -> dict[str, int]:
    """Findings per rule code, cached until the next sync run (``cached_until_sync``)
    or ``COUNTS_TTL``; a rule registered since counts as 0 until then."""
    counts = cached_until_sync(
        f"findings-counts:{scope.cluster_id or 'all'}",
        lambda: {rule.code: rule.count(scope) for rule in rules_in_order()},
        ttl=COUNTS_TTL,
    )
    return {code: counts.get(code, 0) for code in RULES}


def findings_summary(scope: Scope | None = None, counts: dict[str, int] | None = None):
    """Findings per severity (``{"critical": 1, "warning": 0, "info": 2}``)."""
    counts = counts if counts is not None else findings_counts(scope or Scope())
    summary = dict.fromkeys((str(s) for s in Severity), 0)
    for code, n in counts.items():
        if code in RULES:
            summary[str(RULES[code].severity)] += n
    return summary


class FindingList:
    """The findings of some rules as one sliceable sequence, for a Paginator: its
    length comes from the cached counts, a slice reads only the rows it covers."""

    def __init__(self, scope: Scope, rules: list[Rule], counts: dict[str, int]) -> None:
        self.scope, self.rules, self.counts = scope, rules, counts

    def count(self) -> int:
        return sum(self.counts.get(r.code, 0) for r in self.rules)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, wanted: slice) -> list[Finding]:
        if not isinstance(wanted, slice):
            raise TypeError("FindingList supports slices only")
        start, stop = wanted.start or 0, wanted.stop if wanted.stop is not None else len(self)
        found: list[Finding] = []
        offset = 0
        for rule in self.rules:
            n = self.counts.get(rule.code, 0)
            if n and offset + n > start and offset < stop:
                first = max(0, start - offset)
                last = stop - offset
                # The count may be a sync old: read up to the page's end, not exactly n.
                for row in rule.rows(self.scope)[first:last]:
                    found.append(rule.finding(row, self.scope))
            offset += n
            if offset >= stop:
                break
        return found


def findings_list(
    *, cluster_id: int | None = None, code: str | None = None, scope: Scope | None = None
) -> FindingList:
    scope = scope or Scope(cluster_id=cluster_id)
    return FindingList(scope, _selected(code), findings_counts(scope))


def findings_iter(*, cluster_id: int | None = None, now: datetime | None = None) -> Iterator:
    scope = Scope(cluster_id=cluster_id, now=now or timezone.now())
    for rule in rules_in_order():
        rows = rule.rows(scope)
        if isinstance(rows, QuerySet):
            rows = rows.iterator(chunk_size=500)
        for row in rows:
            yield rule.finding(row, scope)


def findings_compute(*, cluster_id: int | None = None, now: datetime | None = None) -> list:
    """Every finding, uncached: for the hourly notification check and tests."""
    return list(findings_iter(cluster_id=cluster_id, now=now))


__all__ = [
    "PROCEDURE_URL",
    "RULES",
    "Finding",
    "FindingList",
    "Rule",
    "Scope",
    "findings_compute",
    "findings_counts",
    "findings_iter",
    "findings_list",
    "findings_summary",
    "register_rule",
]
