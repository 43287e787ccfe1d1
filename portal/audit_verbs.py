"""How the audit log names the portal's own verbs; apps register theirs the same way
(``registry.add_audit_verbs``) from ``AppConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

VERBS = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.logout": _("Signed out"),
    "auth.roles_changed": _("Roles changed"),
    "auth.user_created": _("Account created"),
    "user.create": _("Account created"),
    "user.group_add": _("Added to a group"),
    "permission.denied": _("Access refused"),
    "portal.backup_export": _("Backup exported"),
    "portal.backup_import": _("Backup imported"),
    "notification.preferences_set": _("Notification settings changed"),
    "webhook.create": _("Webhook added"),
    "webhook.update": _("Webhook changed"),
    "webhook.delete": _("Webhook removed"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    "api_token.refused": _("API token refused"),
    "webhook.test": _("Webhook tested"),
}
