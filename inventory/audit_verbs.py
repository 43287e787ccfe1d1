from django.utils.translation import gettext_lazy as _

VERBS = {
    "inventory.cluster_create": _("Cluster added"),
    "inventory.cluster_update": _("Cluster changed"),
    "inventory.source_create": _("Source added"),
    "inventory.source_update": _("Source changed"),
    "inventory.source_delete": _("Source removed"),
    "inventory.sync_request": _("Sync requested"),
}
