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

from django.db import models
from django.db.models import ExpressionWrapper, F, FloatField, Q, Sum
from django.utils.translation import gettext_lazy as _


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
