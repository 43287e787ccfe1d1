"""Names of the kinds of record the apps index, kept with the portal's catalogue so
that the search filter reads the same in every language whatever app registered
the kind. An app may use a label of its own for a kind not listed here."""

from django.utils.translation import gettext_lazy as _

KIND_LABELS = {
    "procedure": _("Procedures"),
    "procedure_version": _("Procedure versions"),
    "adr": _("Decision records"),
    "activity": _("Activities"),
    "role": _("Roles"),
    "onboarding_step": _("Onboarding steps"),
    "node": _("Nodes"),
    "gpu": _("GPUs"),
    "component": _("Software components"),
}
