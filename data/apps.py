from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataConfig(AppConfig):
    name = "data"
    verbose_name = _("Data and networks")

    def ready(self) -> None:
        from data import backup, notifications, rules, search
        from data.demo import demo_data_seed
        from data.panels import data_panel, networks_panel, node_section
        from portal.elements import ElementCode
        from portal.registry import HomePanel, PageSection, registry

        rules.register()
        search.register()
        backup.register()
        notifications.register()
        registry.add_nav_item(45, "data:dataset-list", _("Data"), "/data/")
        from data import navigation

        registry.add_subnav("data", navigation.LABEL, navigation.TABS)
        registry.add_home_panel(
            HomePanel(
                key="data-datasets",
                element=ElementCode.DATA,
                template="data/_home_data.html",
                build=data_panel,
                order=10,
            )
        )
        registry.add_home_panel(
            HomePanel(
                key="data-networks",
                element=ElementCode.NETWORKS,
                template="data/_home_networks.html",
                build=networks_panel,
                order=10,
            )
        )
        registry.add_page_section(
            PageSection(
                page="inventory.node",
                key="data-node-datasets",
                template="data/_node_datasets.html",
                build=node_section,
            )
        )
        registry.add_seeder(50, "data demo", demo_data_seed)
        from data.audit_verbs import VERBS

        registry.add_audit_verbs(VERBS)
