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

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from inventory.choices import Severity
from inventory.findings import gpus, nodes
from inventory.findings.core import (
    COUNTS_TTL,
    PROCEDURE_URL,
    RULES,
    Finding,
    Rule,
    Scope,
    register_rule,
    rules_in_order,
)
from inventory.selectors import cached_until_sync

# The order in which the built-in rules are shown within a severity.
ORDER = (
    "gpu_not_exposed",
    "gpu_labels_missing",
    "driver_drift",
    "node_not_ready",
    "gpu_idle",
    "low_cpu_per_gpu",
    "mig_mismatch",
    "mig_unverified",
    "stale_source",
    "agent_silent",
    "gpu_report_unreadable",
)


def register() -> None:
    """The inventory's own rules (InventoryConfig.ready), in the order they are shown
    within a severity."""
    built_in = {rule.code: rule for rule in (*nodes.NODE_RULES, *gpus.GPU_RULES)}
    for code in ORDER:
        register_rule(built_in[code])


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
