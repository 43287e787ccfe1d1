from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = _("Skills")

    def ready(self) -> None:
        from portal.elements import ElementCode
        from portal.registry import HomePanel, PageSection, registry
        from skills import backup, rules, search, sections
        from skills.starter import seed_skills

        rules.register()
        search.register()
        backup.register()
        registry.add_nav_item(35, "skills:catalogue", _("Skills"), "/skills/")
        from skills import navigation

        registry.add_subnav("skills", navigation.LABEL, navigation.TABS)
        registry.add_home_panel(
            HomePanel(
                key="skills",
                element=ElementCode.PEOPLE,
                template="skills/_home_skills.html",
                build=sections.home_panel,
                order=20,
            )
        )
        for page, key, template, build in (
            ("knowledge.person", "skills", "skills/_person_section.html", sections.person),
            ("knowledge.matrix", "skills", "skills/_matrix_section.html", sections.matrix),
            (
                "inventory.components",
                "skills",
                "skills/_component_section.html",
                sections.components,
            ),
        ):
            registry.add_page_section(PageSection(page, key, template, build))
        registry.add_seeder(40, "skills", seed_skills)
        from skills.audit_verbs import VERBS

        registry.add_audit_verbs(VERBS)
