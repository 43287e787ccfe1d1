"""What a finding is, what a rule is, and the rules' registry (``register_rule``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from inventory.choices import Severity
from inventory.models import Gpu, InventorySource, Node
from inventory.selectors import (
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
