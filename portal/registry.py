"""Registries the apps fill from ``AppConfig.ready()`` so that the portal's home page,
search and notifications never import an app (the NetBox search-registry pattern)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HomePanel:
    """A block on the platform map. ``build(request)`` returns the template context;
    it must use a constant number of queries."""

    key: str
    element: str
    template: str
    build: Callable
    order: int = 100


@dataclass(frozen=True)
class WorkPanel:
    """A card of "My work" at the top of the home page: what this person has to do
    now. ``build(request)`` returns the template context, or None when there is
    nothing for them (the card is then left out); constant queries, like HomePanel."""

    key: str
    template: str
    build: Callable
    order: int = 100


@dataclass(frozen=True)
class SearchProvider:
    """One kind of record in the portal's search index (``portal.SearchEntry``).

    ``documents(ids)`` yields ``portal.search.SearchDocument`` for the objects with
    those primary keys (``ids=None``: every object of the kind); an id it yields
    nothing for is dropped from the index. It must use a constant number of queries
    per call. The app keeps the index current by calling
    ``portal.search.search_refresh_on_commit(kind, ids)`` from its signal handlers.
    """

    kind: str
    label: str
    documents: Callable
    order: int = 100


@dataclass(frozen=True)
class BackupPart:
    """One app's share of ``manage.py export_portal`` / ``import_portal``.

    ``export(writer)`` writes the app's files through a ``portal.backup.BackupWriter``;
    ``restore(reader)`` loads them back inside the import's transaction. Parts run in
    ``order`` (an app after the apps it points to). ``must_be_empty`` names the
    models ("app.Model") that must hold no rows before an import.
    """

    order: int
    name: str
    export: Callable
    restore: Callable
    must_be_empty: tuple[str, ...] = ()


@dataclass
class Registry:
    home_panels: list[HomePanel] = field(default_factory=list)
    work_panels: list[WorkPanel] = field(default_factory=list)
    search_providers: dict[str, SearchProvider] = field(default_factory=dict)
    notification_kinds: dict[str, str] = field(default_factory=dict)
    # Audit verbs ("procedure.version_approve") and how the audit log names them.
    audit_verbs: dict[str, str] = field(default_factory=dict)
    # (search kind, status code) -> what a reader is shown for the status badge.
    status_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    nav_items: list[tuple[int, str, str, str]] = field(default_factory=list)
    # (order, name, callable(stdout, demo: bool)) run by `manage.py seed_portal`.
    seeders: list[tuple[int, str, Callable]] = field(default_factory=list)
    backup_parts: list[BackupPart] = field(default_factory=list)

    def add_backup_part(
        self,
        order: int,
        name: str,
        export_func: Callable,
        import_func: Callable,
        *,
        must_be_empty: tuple[str, ...] = (),
    ) -> None:
        if any(p.name == name for p in self.backup_parts):
            return
        self.backup_parts.append(
            BackupPart(order, name, export_func, import_func, tuple(must_be_empty))
        )
        self.backup_parts.sort(key=lambda p: (p.order, p.name))

    def add_seeder(self, order: int, name: str, func: Callable) -> None:
        if any(s[1] == name for s in self.seeders):
            return
        self.seeders.append((order, name, func))
        self.seeders.sort(key=lambda s: (s[0], s[1]))

    def add_home_panel(self, panel: HomePanel) -> None:
        if any(p.key == panel.key for p in self.home_panels):
            return
        self.home_panels.append(panel)
        self.home_panels.sort(key=lambda p: (p.order, p.key))

    def add_work_panel(self, panel: WorkPanel) -> None:
        """Registering the same panel again (a second ``ready()``) is a no-op; another
        panel under a key already taken is a mistake and raises."""
        for existing in self.work_panels:
            if existing.key == panel.key:
                if existing != panel:
                    raise ValueError(f"work panel {panel.key!r} registered twice")
                return
        self.work_panels.append(panel)
        self.work_panels.sort(key=lambda p: (p.order, p.key))

    def add_search_provider(self, provider: SearchProvider) -> None:
        self.search_providers[provider.kind] = provider

    def add_audit_verbs(self, labels: dict[str, str]) -> None:
        for verb, label in labels.items():
            if self.audit_verbs.get(verb, label) != label:
                raise ValueError(f"audit verb {verb!r} labelled twice")
            self.audit_verbs[verb] = label

    def add_status_labels(self, kind: str, labels: dict[str, str]) -> None:
        """The words for the statuses a search kind's documents carry."""
        for code, label in labels.items():
            self.status_labels[(kind, code)] = label

    def status_label(self, kind: str, code: str) -> str:
        label = self.status_labels.get((kind, code))
        return str(label) if label is not None else code

    def add_notification_kind(self, key: str, label: str) -> None:
        self.notification_kinds[key] = label

    def search_kinds(self) -> list[SearchProvider]:
        return sorted(self.search_providers.values(), key=lambda p: (p.order, p.kind))

    def add_nav_item(self, order: int, url_name: str, label: str, match_prefix: str) -> None:
        if any(item[1] == url_name for item in self.nav_items):
            return
        self.nav_items.append((order, url_name, label, match_prefix))
        self.nav_items.sort()


registry = Registry()
