from django.utils.translation import gettext_lazy as _

VERBS = {
    "procedure.create": _("Procedure created"),
    "procedure.update": _("Procedure changed"),
    "procedure.withdraw": _("Procedure withdrawn"),
    "procedure.acknowledge": _("Procedure acknowledged"),
    "procedure.version_create": _("Version drafted"),
    "procedure.version_update": _("Draft saved"),
    "procedure.version_submit": _("Version submitted for review"),
    "procedure.version_approve": _("Version approved"),
    "procedure.version_reject": _("Version rejected"),
    "procedure.version_request_changes": _("Changes requested"),
    "procedure.version_withdraw": _("Version withdrawn"),
    "procedure.version_approvals_raise": _("Approvals required raised"),
}
