from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        from knowledge import backup, notifications, rules, search
        from knowledge.selectors.adr import knowledge_panel, own_proposals_panel
        from knowledge.selectors.onboarding import onboarding_panel
        from knowledge.selectors.raci import people_panel
        from knowledge.starter import seed_knowledge
        from portal.elements import ElementCode
        from portal.registry import HomePanel, WorkPanel, registry

        rules.register()
        search.register()
        backup.register()
        notifications.register()
        registry.add_nav_item(30, "knowledge:index", _("Knowledge"), "/knowledge/")
        from knowledge import navigation

        registry.add_subnav("knowledge", navigation.LABEL, navigation.TABS)
        from knowledge.choices import BADGE_TONES

        registry.add_badge_tones(BADGE_TONES)
        registry.add_home_panel(
            HomePanel(
                key="knowledge",
                element=ElementCode.KNOWLEDGE,
                template="knowledge/_home_knowledge.html",
                build=knowledge_panel,
                order=10,
            )
        )
        registry.add_home_panel(
            HomePanel(
                key="people",
                element=ElementCode.PEOPLE,
                template="knowledge/_home_people.html",
                build=people_panel,
                order=10,
            )
        )
        registry.add_work_panel(
            WorkPanel("onboarding", "knowledge/_work_onboarding.html", onboarding_panel, 10)
        )
        registry.add_work_panel(
            WorkPanel("proposals", "knowledge/_work_proposals.html", own_proposals_panel, 50)
        )
        from knowledge.audit_verbs import VERBS

        registry.add_audit_verbs(VERBS)
        registry.add_seeder(30, "knowledge", seed_knowledge)
