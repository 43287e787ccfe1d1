"""Where the datasets live and how the sites are connected.

Clusters are located at sites through :class:`ClusterPlacement`, kept here rather
than on ``inventory.Cluster``: the inventory reads the cluster and knows nothing of
data or networks, and this app sits above it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from data.choices import BandwidthBasis, SiteKind, StoreKind, Versioning
from inventory.models import SECRET_CONFIG_KEYS
from portal.validation import refuse_nul

# Query parameters of a pre-signed or tokenised URL (S3, Azure SAS, GCS) besides the
# words a source config refuses.
CREDENTIAL_WORDS = (*SECRET_CONFIG_KEYS, "credential", "signature", "access_key", "sig")


def validate_endpoint(value: str) -> None:
    """A URL or a path, never a credential: no user:password@, no token in the query."""
    refuse_nul(value)
    parts = urlsplit(value)
    if parts.password or (parts.username and "@" in parts.netloc):
        raise ValidationError(
            _("The endpoint must not carry credentials (user:password@); keep them in a secret.")
        )
    for key, _value in parse_qsl(parts.query, keep_blank_values=True):
        if any(word in key.lower() for word in CREDENTIAL_WORDS):
            raise ValidationError(
                _("The endpoint's parameter %(key)s looks like a credential; keep it in a secret.")
                % {"key": key}
            )


class Site(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SiteKind.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo"), default=False, help_text=_("Sample data."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("data:site-detail", args=[self.pk])


class ClusterPlacement(models.Model):
    """Which site a cluster's nodes are at (one site per cluster)."""

    cluster = models.OneToOneField(
        "inventory.Cluster",
        on_delete=models.CASCADE,
        related_name="placement",
        verbose_name=_("cluster"),
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="placements", verbose_name=_("site")
    )

    class Meta:
        verbose_name = _("cluster placement")
        verbose_name_plural = _("cluster placements")

    def __str__(self) -> str:
        return f"{self.cluster_id} @ {self.site_id}"


class DataStore(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=StoreKind.choices)
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stores",
        verbose_name=_("site"),
    )
    capacity_bytes = models.BigIntegerField(_("capacity (bytes)"), null=True, blank=True)
    endpoint = models.CharField(
        _("endpoint"),
        max_length=500,
        blank=True,
        validators=[validate_endpoint],
        help_text=_("A URL or a path, never credentials."),
    )
    owner_role = models.CharField(_("owner role"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo"), default=False, help_text=_("Sample data."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("data store")
        verbose_name_plural = _("data stores")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_bytes__isnull=True) | Q(capacity_bytes__gte=0),
                name="datastore_capacity_not_negative",
            )
        ]
        indexes = [models.Index(fields=["kind", "site"], name="datastore_kind_site")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("data:store-detail", args=[self.pk])

    @property
    def is_cache(self) -> bool:
        return self.kind == StoreKind.CACHE


class Dataset(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    store = models.ForeignKey(
        DataStore, on_delete=models.PROTECT, related_name="datasets", verbose_name=_("store")
    )
    path = models.CharField(_("path or URI"), max_length=1000, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    file_count = models.BigIntegerField(_("files"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=100, blank=True)
    owner_role = models.CharField(_("owner role"), max_length=150, blank=True)
    personal_data = models.BooleanField(_("personal data"), default=False)
    versioning = models.CharField(
        _("versioning"), max_length=20, choices=Versioning.choices, default=Versioning.NONE
    )
    version_ref = models.CharField(_("current version"), max_length=200, blank=True)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("procedure it follows"),
    )
    used_by = models.JSONField(
        _("used by (models, projects)"), default=list, blank=True
    )  # free tags: ["asr-v3", "project:call-centre"]
    clusters = models.ManyToManyField(
        "inventory.Cluster",
        blank=True,
        related_name="+",
        verbose_name=_("trained on clusters"),
    )
    description = models.TextField(_("description"), blank=True)
    last_updated = models.DateTimeField(_("data last updated"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo"), default=False, help_text=_("Sample data."))
    updated_at = models.DateTimeField(_("record updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        constraints = [
            models.CheckConstraint(
                condition=Q(size_bytes__isnull=True) | Q(size_bytes__gte=0),
                name="dataset_size_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(file_count__isnull=True) | Q(file_count__gte=0),
                name="dataset_files_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["store", "name"], name="dataset_store_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("data:dataset-detail", args=[self.pk])

    def clean(self) -> None:
        if not isinstance(self.used_by, list) or not all(
            isinstance(t, str) and len(t) <= 100 for t in self.used_by
        ):
            raise ValidationError({"used_by": _("A list of names (each up to 100 characters).")})
        refuse_nul(self.path + self.version_ref + self.name)


class NetworkLink(models.Model):
    """A link between two sites, the same both ways. ``bandwidth_gbps`` is what was
    declared (the contract, the port speed); the latest measurement is kept beside
    it, and the history in :class:`LinkMeasurement`."""

    site_a = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="links_a", verbose_name=_("site A")
    )
    site_b = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="links_b", verbose_name=_("site B")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    bandwidth_gbps = models.FloatField(_("declared bandwidth (Gbit/s)"))
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    dedicated = models.BooleanField(_("dedicated"), default=False)
    measured_gbps = models.FloatField(_("measured bandwidth (Gbit/s)"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured at"), null=True, blank=True)
    measured_how = models.CharField(_("measured how"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo"), default=False, help_text=_("Sample data."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["site_a__name", "site_b__name"]
        verbose_name = _("network link")
        verbose_name_plural = _("network links")
        constraints = [
            models.CheckConstraint(condition=~Q(site_a=F("site_b")), name="link_two_sites"),
            models.CheckConstraint(condition=Q(bandwidth_gbps__gt=0), name="link_bandwidth_pos"),
            models.CheckConstraint(
                condition=Q(latency_ms__isnull=True) | Q(latency_ms__gte=0),
                name="link_latency_not_negative",
            ),
            models.UniqueConstraint(fields=["site_a", "site_b"], name="link_unique_pair"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.site_a} ↔ {self.site_b}"

    def get_absolute_url(self) -> str:
        return reverse("data:link-detail", args=[self.pk])

    @property
    def basis(self) -> str:
        return BandwidthBasis.MEASURED if self.measured_gbps else BandwidthBasis.DECLARED

    @property
    def effective_gbps(self) -> float:
        """What a copy will see: the latest measurement when there is one."""
        return self.measured_gbps or self.bandwidth_gbps

    def clean(self) -> None:
        if self.site_a_id and self.site_a_id == self.site_b_id:
            raise ValidationError(_("A link joins two different sites."))
        if (
            self.site_a_id
            and self.site_b_id
            and NetworkLink.objects.filter(site_a_id=self.site_b_id, site_b_id=self.site_a_id)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError(_("These two sites are already linked."))


class LinkMeasurement(models.Model):
    """One throughput test of a link (an ``iperf3 -J`` result or a typed figure)."""

    link = models.ForeignKey(
        NetworkLink, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("link")
    )
    measured_at = models.DateTimeField(_("measured at"))
    gbps = models.FloatField(_("received (Gbit/s)"))
    sent_gbps = models.FloatField(_("sent (Gbit/s)"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    protocol = models.CharField(_("protocol"), max_length=10, blank=True)
    streams = models.PositiveIntegerField(_("parallel streams"), null=True, blank=True)
    how = models.CharField(_("how"), max_length=300, blank=True)
    # Received Gbit/s per reporting interval, for the link's chart.
    intervals = models.JSONField(_("intervals (Gbit/s)"), default=list, blank=True)
    source_name = models.CharField(_("file"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        verbose_name = _("link measurement")
        verbose_name_plural = _("link measurements")
        constraints = [
            models.CheckConstraint(condition=Q(gbps__gte=0), name="measurement_gbps_not_negative"),
            models.UniqueConstraint(
                fields=["link", "measured_at", "source_name"], name="measurement_once"
            ),
        ]
        indexes = [models.Index(fields=["link", "-measured_at"], name="measurement_link_at")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.gbps:.2f} Gbit/s @ {self.measured_at:%Y-%m-%d %H:%M}"
