"""How the audit log names the data app's verbs (``registry.add_audit_verbs``)."""

from django.utils.translation import gettext_lazy as _

VERBS = {
    "data.site_create": _("Site added"),
    "data.site_update": _("Site changed"),
    "data.site_delete": _("Site removed"),
    "data.cluster_place": _("Cluster placed at a site"),
    "data.store_create": _("Data store added"),
    "data.store_update": _("Data store changed"),
    "data.store_delete": _("Data store removed"),
    "data.dataset_create": _("Dataset added"),
    "data.dataset_update": _("Dataset changed"),
    "data.dataset_delete": _("Dataset removed"),
    "data.dataset_clusters": _("Dataset's clusters changed"),
    "data.link_create": _("Network link added"),
    "data.link_update": _("Network link changed"),
    "data.link_delete": _("Network link removed"),
    "data.link_measure": _("Link throughput measured"),
    "data.link_measurement_delete": _("Link measurement removed"),
}
