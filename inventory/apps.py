from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from inventory import backup, findings, notifications, rules, search
        from inventory.certificates import register_certificate_rule
        from inventory.services import demo_inventory_seed
        from portal.elements import ElementCode
        from portal.metrics import on_scrape
        from portal.registry import HomePanel, WorkPanel, registry

        rules.register()
        search.register()
        _pages_follow_syncs()
        backup.register()
        notifications.register()
        findings.register()
        register_certificate_rule()
        _queues_routes_and_schedules()
        registry.add_nav_item(40, "inventory:overview", _("Inventory"), "/inventory/")
        from inventory import navigation

        registry.add_subnav("inventory", navigation.LABEL, navigation.TABS)
        registry.add_home_panel(
            HomePanel(
                key="inventory-hardware",
                element=ElementCode.HARDWARE,
                template="inventory/_home_hardware.html",
                build=_hardware_panel,
                order=10,
            )
        )
        registry.add_home_panel(
            HomePanel(
                key="inventory-software",
                element=ElementCode.SOFTWARE,
                template="inventory/_home_software.html",
                build=_software_panel,
                order=10,
            )
        )
        registry.add_work_panel(
            WorkPanel("critical-findings", "inventory/_work_findings.html", _findings_work, 60)
        )
        from inventory.audit_verbs import VERBS

        registry.add_audit_verbs(VERBS)
        registry.add_seeder(40, "inventory demo", demo_inventory_seed)
        on_scrape(_publish_findings)

        from inventory import scheduler

        if scheduler.should_start():
            scheduler.start()


def _queues_routes_and_schedules() -> None:
    from kombu import Exchange, Queue
    from kombu.common import Broadcast

    from portal.celery import app, queue_add, route_add

    queue_add(Queue("inventory", Exchange("inventory"), routing_key="inventory"))
    queue_add(Broadcast("gpu-agents"))
    # Exact names win over patterns: every GPU node's agent gets this one.
    route_add("inventory.agent_collect", "gpu-agents")
    route_add("inventory.*", "inventory")
    # Cheap when nothing is due: one query over the sources; syncs run on "inventory".
    app.add_periodic_task(
        30.0,
        app.signature("inventory.dispatch_due_syncs"),
        name="inventory: dispatch due syncs",
        queue="inventory",
        expires=25,
    )
    app.add_periodic_task(
        6 * 3600.0,
        app.signature("inventory.prune_sync_runs"),
        name="inventory: prune sync runs",
        queue="inventory",
    )


INVENTORY_PAGES = "inventory"  # the page-cache scope every recorded sync run changes


def _pages_follow_syncs() -> None:
    """A sync or GPU report leaves a SyncRun, not an audit event: each one recorded
    makes the cached pages that show the inventory render again."""
    from django.db.models.signals import post_save

    from inventory.models import SyncRun
    from portal.page_cache import changed

    def recorded(sender, **kwargs):
        changed(INVENTORY_PAGES)

    post_save.connect(recorded, sender=SyncRun, weak=False, dispatch_uid="inventory-page-cache")


def _hardware_panel(request) -> dict:
    from inventory.selectors import hardware_panel, inventory_generation
    from portal.home import PANEL_TTL, cached_panel

    # Keyed on the last sync run too: a sync shows on the home page at once.
    key = f"inventory-hardware-{inventory_generation()}"
    return cached_panel(key, PANEL_TTL, hardware_panel, request=request)


def _software_panel(request) -> dict:
    from inventory.selectors import inventory_generation, software_panel
    from portal.home import PANEL_TTL, cached_panel

    key = f"inventory-software-{inventory_generation()}"
    return cached_panel(key, PANEL_TTL, software_panel, request=request)


def _findings_work(request) -> dict | None:
    """ "My work" for administrators: the critical findings, computed at most once a
    minute for everybody (the rules read the whole inventory)."""
    from portal.home import PANEL_TTL, cached_panel
    from portal.policy import can

    if not can(request.user, "portal.admin"):
        return None

    def build() -> dict:
        from inventory.choices import Severity
        from inventory.findings import findings_compute

        critical = [f for f in findings_compute() if f.severity == Severity.CRITICAL]
        return {
            "count": len(critical),
            "findings": [
                {"title": str(f.title), "object": f.object_label, "url": f.url}
                for f in critical[:5]
            ],
        }

    panel = cached_panel("critical-findings", PANEL_TTL, build, request=request)
    return panel if panel["count"] else None


def _publish_findings() -> None:
    """The findings gauge at each /metrics scrape: the counts cached per sync run."""
    from inventory.findings import findings_summary
    from inventory.metrics import set_findings

    set_findings(findings_summary())
