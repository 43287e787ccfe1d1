from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteKind(models.TextChoices):
    PROVIDER = "provider", _("Provider data centre")
    IN_HOUSE = "in_house", _("In-house server room")
    OFFICE = "office", _("Office")
    CLOUD = "cloud", _("Cloud region")


class StoreKind(models.TextChoices):
    OBJECT = "object", _("Object storage (S3)")
    SHARE = "share", _("NFS or SMB share")
    DWH = "dwh", _("Data warehouse")
    LAKE = "lake", _("Data lake")
    LAKEHOUSE = "lakehouse", _("Lakehouse")
    FEATURE_STORE = "feature_store", _("Feature store")
    CACHE = "cache", _("In-cluster cache")


class Versioning(models.TextChoices):
    DVC = "dvc", _("DVC")
    LAKEFS = "lakefs", _("lakeFS")
    DELTA_ICEBERG = "delta_iceberg", _("Delta / Iceberg")
    GIT_LFS = "git_lfs", _("git-LFS")
    NONE = "none", _("none")


class BandwidthBasis(models.TextChoices):
    DECLARED = "declared", _("declared")
    MEASURED = "measured", _("measured")
