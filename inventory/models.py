"""The inventory of a cluster: what the sources last saw, and what changed.

Items that disappear are marked gone (``gone_at``), never deleted, so the history of a
GPU or a node survives it being unplugged. Only ``inventory.reconcile`` writes nodes,
GPUs, components and changes.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.choices import (
    ChangeKind,
    ComponentCategory,
    MigMode,
    ObjectKind,
    SourceKind,
    SyncStatus,
)

# Keys that would mean a credential is being stored in plain text in a source's config.
SECRET_CONFIG_KEYS = ("token", "password", "secret", "client_key", "key_data", "bearer")


class Cluster(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(
        _("demo"), default=False, help_text=_("Sample data, not a real cluster.")
    )
    sync_interval_seconds = models.PositiveIntegerField(_("sync interval (seconds)"), default=300)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")
        constraints = [
            models.CheckConstraint(
                condition=Q(sync_interval_seconds__gte=30), name="cluster_sync_interval_min"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:overview") + f"?cluster={self.pk}"


class InventorySource(models.Model):
    """Where a cluster's facts come from. ``config`` holds paths and URLs only.

    kubernetes: {"in_cluster": true} or {"kubeconfig": "/path", "context": "name"},
    optionally "page_size" and "request_timeout" (seconds);
    files: {"path": "/folder"}; dcgm: {"urls": ["http://node:9400/metrics"]};
    gpu_agent: {} (agents push their reports).
    Last success and last error are read from the SyncRuns, so that a sync where
    nothing changed writes nothing but its SyncRun.
    """

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="sources", verbose_name=_("cluster")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    sync_interval_seconds = models.PositiveIntegerField(_("sync interval (seconds)"), default=300)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["cluster__name", "name"]
        verbose_name = _("inventory source")
        verbose_name_plural = _("inventory sources")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="source_unique_name"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in SourceKind]), name="source_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(sync_interval_seconds__gte=30), name="source_sync_interval_min"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cluster} / {self.name}"

    @property
    def stale_after(self) -> timedelta:
        # Three missed intervals: one slow or failed run is not yet a finding.
        return timedelta(seconds=3 * self.sync_interval_seconds)

    def clean(self) -> None:
        errors = validate_source_config(self.kind, self.config)
        if errors:
            raise ValidationError({"config": errors})


def validate_source_config(kind: str, config) -> list[str]:
    if not isinstance(config, dict):
        return [_("The configuration must be a JSON object.")]
    errors: list[str] = []
    if "\\u0000" in json.dumps(config):
        return [_("The configuration contains a NUL character.")]
    for key in config:
        if any(word in str(key).lower() for word in SECRET_CONFIG_KEYS):
            errors.append(
                _("%(key)s looks like a secret; give a path to a file instead.") % {"key": key}
            )
    if kind == SourceKind.KUBERNETES:
        if not config.get("in_cluster") and not config.get("kubeconfig"):
            errors.append(_("Give a kubeconfig path, or in_cluster: true."))
        for key in ("kubeconfig", "context"):
            if key in config and not isinstance(config[key], str):
                errors.append(_("%(key)s must be text.") % {"key": key})
        for key in ("page_size", "request_timeout"):
            value = config.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                errors.append(_("%(key)s must be a positive number.") % {"key": key})
    elif kind == SourceKind.FILES:
        if not isinstance(config.get("path"), str) or not config.get("path"):
            errors.append(_("Give the folder path."))
    elif kind == SourceKind.DCGM:
        urls = config.get("urls")
        if (
            not isinstance(urls, list)
            or not urls
            or not all(isinstance(u, str) and u.startswith(("http://", "https://")) for u in urls)
        ):
            errors.append(_("Give urls: a list of http(s) metrics URLs."))
    return errors


class PresentQuerySet(models.QuerySet):
    def present(self):
        return self.filter(gone_at__isnull=True)


class InventoryItem(models.Model):
    """Fields every inventoried thing shares."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, verbose_name=_("cluster"))
    first_seen_at = models.DateTimeField(_("first seen"))
    changed_at = models.DateTimeField(_("last changed"))
    gone_at = models.DateTimeField(_("gone since"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_gone(self) -> bool:
        return self.gone_at is not None


class Node(InventoryItem):
    name = models.CharField(_("name"), max_length=253)
    labels = models.JSONField(_("labels"), default=dict)
    taints = models.JSONField(_("taints"), default=list)
    roles = models.JSONField(_("roles"), default=list)
    capacity = models.JSONField(_("capacity"), default=dict)
    allocatable = models.JSONField(_("allocatable"), default=dict)
    cpu_cores = models.FloatField(_("CPU cores"), null=True, blank=True)
    memory_bytes = models.BigIntegerField(_("memory (bytes)"), null=True, blank=True)
    gpu_capacity = models.PositiveIntegerField(_("GPU capacity"), default=0)
    gpu_allocatable = models.PositiveIntegerField(_("GPU allocatable"), default=0)
    gpu_requested = models.PositiveIntegerField(_("GPU requested"), default=0)
    os_image = models.CharField(_("OS"), max_length=200, blank=True)
    kernel_version = models.CharField(_("kernel"), max_length=100, blank=True)
    kubelet_version = models.CharField(_("kubelet"), max_length=50, blank=True)
    container_runtime = models.CharField(_("container runtime"), max_length=100, blank=True)
    architecture = models.CharField(_("architecture"), max_length=30, blank=True)
    ready = models.BooleanField(_("ready"), null=True)
    unschedulable = models.BooleanField(_("unschedulable"), default=False)
    # What NVIDIA's GPU feature discovery labels claim, parsed by the source from
    # ``labels`` and kept as columns so findings can compare them with the GPU agents.
    gpu_labels_present = models.BooleanField(_("NVIDIA labels present"), default=False)
    gpu_product = models.CharField(_("GPU product (label)"), max_length=200, blank=True)
    gpu_memory_mib = models.PositiveIntegerField(_("GPU memory (label, MiB)"), null=True)
    gpu_count_label = models.PositiveIntegerField(_("GPU count (label)"), null=True)
    driver_version_label = models.CharField(_("driver (label)"), max_length=50, blank=True)
    cuda_runtime_label = models.CharField(_("CUDA runtime (label)"), max_length=20, blank=True)
    compute_capability_label = models.CharField(
        _("compute capability (label)"), max_length=10, blank=True
    )
    mig_strategy_label = models.CharField(_("MIG strategy (label)"), max_length=20, blank=True)
    mig_devices_label = models.JSONField(_("MIG devices (label)"), default=dict, blank=True)

    objects = PresentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "name"]
        verbose_name = _("node")
        verbose_name_plural = _("nodes")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="node_unique_name"),
        ]
        # Lists and findings read present nodes in this order; the partial index lets a
        # page of 50 stop after 50 rows instead of sorting every node.
        indexes = [
            models.Index(
                fields=["cluster", "name"],
                name="node_present_order",
                condition=Q(gone_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inventory:node-detail", args=[self.pk])

    @property
    def memory_gib(self) -> float | None:
        return None if self.memory_bytes is None else round(self.memory_bytes / 2**30, 1)


class Gpu(InventoryItem):
    node = models.ForeignKey(
        Node,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gpus",
        verbose_name=_("node"),
    )
    # Kept as text too: an agent may report a node before Kubernetes lists it.
    node_name = models.CharField(_("node name"), max_length=253)
    uuid = models.CharField(_("UUID"), max_length=100)
    index = models.PositiveIntegerField(_("index"), default=0)
    product = models.CharField(_("product"), max_length=200)
    memory_total_mib = models.PositiveIntegerField(_("memory (MiB)"), null=True, blank=True)
    driver_version = models.CharField(_("driver"), max_length=50, blank=True)
    cuda_version = models.CharField(_("CUDA"), max_length=20, blank=True)
    compute_capability = models.CharField(_("compute capability"), max_length=10, blank=True)
    pci_bus_id = models.CharField(_("PCI bus id"), max_length=50, blank=True)
    serial = models.CharField(_("serial"), max_length=100, blank=True)
    mig_mode = models.CharField(
        _("MIG mode"), max_length=10, blank=True, choices=MigMode.choices, default=""
    )
    mig_devices = models.JSONField(_("MIG devices"), default=list, blank=True)
    nvlink_peers = models.JSONField(_("NVLink peers"), default=list, blank=True)
    power_limit_w = models.FloatField(_("power limit (W)"), null=True, blank=True)
    # Metrics: current values only, no InventoryChange (they move on every scrape).
    utilization_gpu_pct = models.FloatField(_("utilisation (%)"), null=True, blank=True)
    memory_used_mib = models.PositiveIntegerField(_("memory used (MiB)"), null=True, blank=True)
    temperature_c = models.FloatField(_("temperature (°C)"), null=True, blank=True)
    power_draw_w = models.FloatField(_("power draw (W)"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("metrics at"), null=True, blank=True)
    idle_since = models.DateTimeField(_("idle since"), null=True, blank=True)

    objects = PresentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "node_name", "index"]
        verbose_name = _("GPU")
        verbose_name_plural = _("GPUs")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "uuid"], name="gpu_unique_uuid"),
        ]
        indexes = [
            models.Index(fields=["cluster", "node_name"], name="gpu_cluster_node"),
            # The GPU list's order and the per-node counts, over present GPUs only.
            models.Index(
                fields=["cluster", "node_name", "index"],
                name="gpu_present_order",
                condition=Q(gone_at__isnull=True),
            ),
            models.Index(
                fields=["node", "memory_total_mib"],
                name="gpu_present_node",
                condition=Q(gone_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node_name}/{self.index} {self.product}"

    @property
    def memory_total_gib(self) -> float | None:
        return None if self.memory_total_mib is None else round(self.memory_total_mib / 1024, 1)


class Component(InventoryItem):
    namespace = models.CharField(_("namespace"), max_length=253)
    kind = models.CharField(_("kind"), max_length=30)
    workload_name = models.CharField(_("workload"), max_length=253)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=ComponentCategory.choices)
    version = models.CharField(_("version"), max_length=100, blank=True)
    images = models.JSONField(_("images"), default=list, blank=True)
    ready_replicas = models.PositiveIntegerField(_("ready replicas"), default=0)
    desired_replicas = models.PositiveIntegerField(_("desired replicas"), default=0)

    objects = PresentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "category", "name", "namespace"]
        verbose_name = _("software component")
        verbose_name_plural = _("software components")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "kind", "workload_name"],
                name="component_unique_workload",
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in ComponentCategory]),
                name="component_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.namespace}/{self.workload_name})"


class Certificate(InventoryItem):
    """A TLS certificate: a cert-manager Certificate or an Ingress TLS entry."""

    namespace = models.CharField(_("namespace"), max_length=253)
    kind = models.CharField(_("kind"), max_length=30)
    name = models.CharField(_("name"), max_length=507)
    hosts = models.JSONField(_("hosts"), default=list, blank=True)
    secret_name = models.CharField(_("secret"), max_length=253, blank=True)
    issuer = models.CharField(_("issuer"), max_length=300, blank=True)
    not_after = models.DateTimeField(_("expires"), null=True, blank=True)
    ready = models.BooleanField(_("ready"), null=True)

    objects = PresentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "namespace", "kind", "name"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "kind", "name"], name="certificate_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["not_after"], name="certificate_not_after")]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class Volume(InventoryItem):
    """Storage: a StorageClass (no namespace) or a PersistentVolumeClaim."""

    namespace = models.CharField(_("namespace"), max_length=253, blank=True)
    kind = models.CharField(_("kind"), max_length=30)
    name = models.CharField(_("name"), max_length=253)
    storage_class = models.CharField(_("storage class"), max_length=253, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    access_modes = models.JSONField(_("access modes"), default=list, blank=True)
    phase = models.CharField(_("phase"), max_length=30, blank=True)
    detail = models.CharField(_("provisioner or volume"), max_length=300, blank=True)

    objects = PresentQuerySet.as_manager()

    class Meta:
        ordering = ["cluster__name", "kind", "namespace", "name"]
        verbose_name = _("storage item")
        verbose_name_plural = _("storage")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "namespace", "kind", "name"], name="volume_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def size_gib(self) -> float | None:
        return None if self.size_bytes is None else round(self.size_bytes / 2**30, 1)


class SyncRun(models.Model):
    """One read of one source. ``scope`` is the node name for a GPU agent's report."""

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="sync_runs", verbose_name=_("cluster")
    )
    source = models.ForeignKey(
        InventorySource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_runs",
        verbose_name=_("source"),
    )
    source_kind = models.CharField(_("source kind"), max_length=20, choices=SourceKind.choices)
    scope = models.CharField(_("scope"), max_length=253, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SyncStatus.choices)
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    nodes_seen = models.PositiveIntegerField(_("nodes seen"), default=0)
    gpus_seen = models.PositiveIntegerField(_("GPUs seen"), default=0)
    components_seen = models.PositiveIntegerField(_("components seen"), default=0)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    gone = models.PositiveIntegerField(_("gone"), default=0)
    metrics_updated = models.PositiveIntegerField(_("metrics updated"), default=0)
    error = models.TextField(_("error"), blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # Nodes whose GPU report this run could not read: {node name: "file: reason"}.
    # Their GPUs keep their last good facts; a finding names the file and the reason.
    gpu_report_errors = models.JSONField(
        _("unreadable GPU reports"), default=dict, blank=True, db_default={}
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        indexes = [
            models.Index(fields=["source", "status", "-started_at"], name="syncrun_source_status"),
            models.Index(fields=["cluster", "-started_at"], name="syncrun_cluster_started"),
            # The GPU agents' last report per node (the agent_silent finding).
            models.Index(fields=["source", "scope", "-started_at"], name="syncrun_source_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.source_kind} {self.scope} {self.started_at:%Y-%m-%d %H:%M:%S}"

    @property
    def finished_at(self):
        return self.started_at + timedelta(milliseconds=self.duration_ms)


class InventoryChange(models.Model):
    """One difference: an item added, returned or gone, or one field changed."""

    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, related_name="changes", verbose_name=_("cluster")
    )
    sync_run = models.ForeignKey(
        SyncRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("sync run"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    object_kind = models.CharField(_("object kind"), max_length=20, choices=ObjectKind.choices)
    object_id = models.BigIntegerField(_("object id"))
    object_key = models.CharField(_("object"), max_length=300)
    change = models.CharField(_("change"), max_length=20, choices=ChangeKind.choices)
    field = models.CharField(_("field"), max_length=300, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("inventory change")
        verbose_name_plural = _("inventory changes")
        indexes = [
            models.Index(fields=["cluster", "-at"], name="change_cluster_at"),
            models.Index(fields=["object_kind", "object_id", "-at"], name="change_object_at"),
            # The change feed of all clusters, newest first.
            models.Index(fields=["-at", "-id"], name="change_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(change__in=[c.value for c in ChangeKind]), name="change_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_kind} {self.object_key} {self.change} {self.field}"


# Its own module, to keep this one readable; imported here so Django registers it.
from inventory.usage import GpuUsageSample  # noqa: E402, F401
