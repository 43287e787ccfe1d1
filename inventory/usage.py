"""GPU usage history: per node and hour, what the syncs saw of its GPUs.

The inventory keeps only the current state; this table keeps a bounded past of it for
the sparklines. Each sync adds one sample to the hour's row of every node it read
(``inventory.reconcile.usage``), so a row holds sums and counts, and a mean is a sum
divided by its count: a second sync in the same hour moves the mean, not the row
count. Rows older than ``INVENTORY_USAGE_RETENTION_DAYS`` are pruned, so 5,000 nodes
keep at most 5,000 × 24 × 8 rows. The per-model series are summed from these rows
in SQL (``GpuUsageSampleQuerySet.by_product``), not stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import models
from django.db.models import ExpressionWrapper, F, FloatField, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

BUCKET = timedelta(hours=1)
# The sparklines' ranges: the ``usage`` query parameter of the pages that show them.
RANGES = {"day": 24, "week": 7 * 24}


def bucket_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def buckets(hours: int, now: datetime | None = None) -> list[datetime]:
    """The last ``hours`` hours, oldest first, the current one last."""
    last = bucket_of(now or timezone.now())
    return [last - BUCKET * (hours - 1 - i) for i in range(hours)]


class GpuUsageSampleQuerySet(models.QuerySet):
    def since(self, start):
        return self.filter(bucket_start__gte=start)

    def by_product(self):
        """One row per (product, hour): GPUs allocatable and requested summed over the
        nodes (each node's mean of the hour), utilisation as sums and counts."""
        per_node = {
            name: Sum(ExpressionWrapper(F(column) * 1.0 / F("samples"), output_field=FloatField()))
            for name, column in (
                ("allocatable", "gpu_allocatable_sum"),
                ("requested", "gpu_requested_sum"),
            )
        }
        return (
            self.exclude(product="")
            .values("product", "bucket_start")
            .annotate(
                **per_node,
                utilization=Sum("utilization_sum"),
                utilization_n=Sum("utilization_samples"),
            )
            .order_by("product", "bucket_start")
        )


class GpuUsageSample(models.Model):
    cluster = models.ForeignKey(
        "inventory.Cluster", on_delete=models.CASCADE, related_name="+", verbose_name=_("cluster")
    )
    node = models.ForeignKey(
        "inventory.Node",
        on_delete=models.CASCADE,
        related_name="usage_samples",
        verbose_name=_("node"),
    )
    # The node's GPU model when sampled, so the per-model series need no join.
    product = models.CharField(_("product"), max_length=200, blank=True)
    bucket_start = models.DateTimeField(_("hour"))
    samples = models.PositiveIntegerField(_("samples"), default=0)
    gpu_allocatable_sum = models.PositiveBigIntegerField(_("GPUs allocatable (sum)"), default=0)
    gpu_requested_sum = models.PositiveBigIntegerField(_("GPUs requested (sum)"), default=0)
    # Each sample adds the mean utilisation of the node's GPUs, when any was read.
    utilization_sum = models.FloatField(_("utilisation (sum of %)"), default=0)
    utilization_samples = models.PositiveIntegerField(_("utilisation samples"), default=0)
    memory_used_mib_sum = models.PositiveBigIntegerField(_("memory used (sum, MiB)"), default=0)
    memory_samples = models.PositiveIntegerField(_("memory samples"), default=0)

    objects = GpuUsageSampleQuerySet.as_manager()

    class Meta:
        ordering = ["node", "bucket_start"]
        verbose_name = _("GPU usage sample")
        verbose_name_plural = _("GPU usage samples")
        constraints = [
            models.UniqueConstraint(fields=["node", "bucket_start"], name="usage_node_bucket"),
            models.CheckConstraint(condition=Q(samples__gt=0), name="usage_samples_positive"),
        ]
        indexes = [
            # The per-model series of one cluster or of all, and the prune.
            models.Index(fields=["cluster", "bucket_start"], name="usage_cluster_bucket"),
            models.Index(fields=["bucket_start"], name="usage_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id} {self.bucket_start:%Y-%m-%d %H:00}"

    @property
    def gpu_requested(self) -> float:
        return self.gpu_requested_sum / self.samples

    @property
    def gpu_allocatable(self) -> float:
        return self.gpu_allocatable_sum / self.samples

    @property
    def utilization_pct(self) -> float | None:
        if not self.utilization_samples:
            return None
        return self.utilization_sum / self.utilization_samples

    @property
    def memory_used_mib(self) -> float | None:
        return self.memory_used_mib_sum / self.memory_samples if self.memory_samples else None


@dataclass(frozen=True)
class UsageSeries:
    """One value per hour, oldest first; None for an hour with no sample."""

    requested: list[float | None]
    allocatable: list[float | None]
    utilization: list[float | None]

    @property
    def allocatable_max(self) -> float:
        return max((v for v in self.allocatable if v is not None), default=0)

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.requested)


def _series(hours: list[datetime], rows: dict[datetime, tuple]) -> UsageSeries:
    picked = [rows.get(hour) for hour in hours]
    return UsageSeries(
        requested=[r and r[0] for r in picked],
        allocatable=[r and r[1] for r in picked],
        utilization=[r and r[2] for r in picked],
    )


def node_usage(node_id: int, *, hours: int, now: datetime | None = None) -> UsageSeries:
    """One query: the node's rows of the range (at most ``hours``)."""
    span = buckets(hours, now)
    rows = {
        s.bucket_start: (s.gpu_requested, s.gpu_allocatable, s.utilization_pct)
        for s in GpuUsageSample.objects.filter(node_id=node_id).since(span[0])
    }
    return _series(span, rows)


def model_usage(
    *, cluster_id: int | None = None, hours: int, now: datetime | None = None
) -> dict[str, UsageSeries]:
    """Per GPU model, summed over its nodes in SQL: one query of at most models × hours
    rows, whatever the number of nodes."""
    span = buckets(hours, now)
    qs = GpuUsageSample.objects.since(span[0])
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    by_product: dict[str, dict[datetime, tuple]] = {}
    for row in qs.by_product():
        n = row["utilization_n"]
        by_product.setdefault(row["product"], {})[row["bucket_start"]] = (
            row["requested"],
            row["allocatable"],
            row["utilization"] / n if n else None,
        )
    return {product: _series(span, rows) for product, rows in by_product.items()}
