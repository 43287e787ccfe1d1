"""How the audit log names the skills app's verbs (``registry.add_audit_verbs``)."""

from django.utils.translation import gettext_lazy as _

VERBS = {
    "skills.skill_create": _("Skill added"),
    "skills.skill_update": _("Skill changed"),
    "skills.level_set": _("Skill level set"),
    "skills.level_confirm": _("Skill level confirmed"),
    "skills.role_need_set": _("Role's skill need set"),
    "skills.role_need_remove": _("Role's skill need removed"),
}
