from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from portal import checks, home, metrics, page_cache, policy
        from portal.api_tokens import rules as api_token_rules
        from portal.audit_verbs import VERBS
        from portal.backup import core as backup_core
        from portal.notifications import setup as notifications_setup
        from portal.reference import ensure_reference_rows
        from portal.registry import registry
        from portal.search import index as search_index

        policy.register()
        api_token_rules.register()
        checks.register()
        metrics.register()
        backup_core.register()
        registry.add_audit_verbs(VERBS)
        registry.add_badge_tones({"pending": "warn", "delivered": "ok", "failed": "bad"})
        notifications_setup.connect()
        home.register()
        page_cache.register()
        search_index.register()
        post_migrate.connect(
            ensure_reference_rows, sender=self, dispatch_uid="portal-reference-rows"
        )
