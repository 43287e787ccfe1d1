from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedures")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from portal.elements import ElementCode
        from portal.registry import HomePanel, WorkPanel, registry
        from procedures import backup, notifications, rules, search
        from procedures.reference import ensure_categories
        from procedures.seed import seed_procedures
        from procedures.selectors import (
            acknowledge_panel,
            home_panel,
            own_drafts_panel,
            reviews_panel,
        )

        rules.register()
        search.register()
        backup.register()
        notifications.register()
        registry.add_nav_item(20, "procedures:list", _("Procedures"), "/procedures/")
        from procedures import navigation

        registry.add_subnav("procedures", navigation.LABEL, navigation.TABS)
        from procedures.choices import BADGE_TONES

        registry.add_badge_tones(BADGE_TONES)
        registry.add_home_panel(
            HomePanel(
                key="procedures",
                element=ElementCode.PROCEDURES,
                template="procedures/_home_panel.html",
                build=home_panel,
                order=10,
            )
        )
        for key, template, build, order in (
            ("acknowledge", "procedures/_work_acknowledge.html", acknowledge_panel, 20),
            ("reviews", "procedures/_work_reviews.html", reviews_panel, 30),
            ("drafts", "procedures/_work_drafts.html", own_drafts_panel, 40),
        ):
            registry.add_work_panel(WorkPanel(key, template, build, order))
        from procedures.audit_verbs import VERBS

        registry.add_audit_verbs(VERBS)
        registry.add_seeder(20, "procedures", seed_procedures)
        # Categories come back after a flush (transactional tests, `manage.py flush`).
        post_migrate.connect(ensure_categories, sender=self, dispatch_uid="procedure-categories")
