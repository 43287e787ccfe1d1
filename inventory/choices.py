from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SourceKind(models.TextChoices):
    KUBERNETES = "kubernetes", _("Kubernetes API")
    FILES = "files", _("Files (kubectl JSON, nvidia-smi XML)")
    DCGM = "dcgm", _("DCGM exporter metrics")
    GPU_AGENT = "gpu_agent", _("GPU agent")


# Sources the portal pulls from on a schedule; GPU agents push their reports instead.
PULL_KINDS = (SourceKind.KUBERNETES, SourceKind.FILES, SourceKind.DCGM)


class ComponentCategory(models.TextChoices):
    ML = "ml", _("ML")
    AUXILIARY = "auxiliary", _("Auxiliary")
    UNCLASSIFIED = "unclassified", _("Unclassified")


class ObjectKind(models.TextChoices):
    NODE = "node", _("Node")
    GPU = "gpu", _("GPU")
    COMPONENT = "component", _("Component")
    CERTIFICATE = "certificate", _("Certificate")
    VOLUME = "volume", _("Storage")


class ChangeKind(models.TextChoices):
    ADDED = "added", _("Added")
    CHANGED = "changed", _("Changed")
    GONE = "gone", _("Gone")
    RETURNED = "returned", _("Returned")


class SyncStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Info")


class MigMode(models.TextChoices):
    # A context of their own: another catalogue's "Enabled" (a permission) would win.
    ENABLED = "Enabled", pgettext_lazy("MIG mode", "Enabled")
    DISABLED = "Disabled", pgettext_lazy("MIG mode", "Disabled")
    UNKNOWN = "", pgettext_lazy("MIG mode", "Unknown")
