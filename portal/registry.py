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

    ``rows(ids)``, if given, returns the same documents as a QuerySet annotated with
    ``object_id``, ``url``, ``title``, ``body``, ``elements``, ``status`` and
    ``updated_at`` (text, except the last). On PostgreSQL the index then writes a
    kind of many small records (nodes, GPUs) with one INSERT … SELECT: no Python
    object per entry, the digest and the vectors computed in the database.

    ``titles(object_ids)``, if given, returns ``{object_id: title}`` in the reader's
    language for the hits shown (one query per page): a record named in two languages
    stores both in its searchable title and shows only the reader's.
    """

    kind: str
    label: str
    documents: Callable
    order: int = 100
    rows: Callable | None = None
    titles: Callable | None = None


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


class DuplicateRegistration(Exception):
    """Two registrations under one name: one of them would silently win, so neither
    does. A name is registered once, from its app's ``AppConfig.ready()``."""


# The badge variants portal.css styles.
BADGE_TONES = frozenset({"ok", "warn", "bad", "muted", "info"})


def _once(taken, name: str, what: str) -> None:
    if name in taken:
        raise DuplicateRegistration(f"{what} {name!r} is registered twice")


@dataclass(frozen=True)
class PageSection:
    """A block an app adds to another app's page, so that page never imports it.
    ``page`` names the page ("knowledge.person", "inventory.components"); the page
    renders ``{% page_sections "<page>" obj %}`` and each section's ``build(request,
    obj)`` returns its template context, or None to show nothing. It must use a
    constant number of queries."""

    page: str
    key: str
    template: str
    build: Callable
    order: int = 100


@dataclass(frozen=True)
class SubnavItem:
    """One tab of an app's sub-navigation (``registry.add_subnav``), rendered by
    ``{% subnav "<key>" %}``. The tab is the page's (``aria-current="page"``) on
    ``url_name`` and on the url names matching ``current_on`` (fnmatch patterns,
    "data:dataset-*"); ``action`` shows it only to people the policy allows it;
    ``keeps_filters`` carries the page's filters (``{% subnav "inventory"
    cluster=… %}``) into its link."""

    url_name: str
    label: str
    current_on: tuple[str, ...] = ()
    action: str = ""
    keeps_filters: bool = True


@dataclass
class Registry:
    home_panels: list[HomePanel] = field(default_factory=list)
    work_panels: list[WorkPanel] = field(default_factory=list)
    search_providers: dict[str, SearchProvider] = field(default_factory=dict)
    notification_kinds: dict[str, str] = field(default_factory=dict)
    # Sentences by text key (lazy translations with %(name)s parameters).
    notification_texts: dict[str, str] = field(default_factory=dict)
    # Audit verbs ("procedure.version_approve") and how the audit log names them.
    audit_verbs: dict[str, str] = field(default_factory=dict)
    # (search kind, status code) -> what a reader is shown for the status badge.
    status_labels: dict[tuple[str, str], str] = field(default_factory=dict)
    nav_items: list[tuple[int, str, str, str]] = field(default_factory=list)
    # (order, name, callable(stdout, demo: bool)) run by `manage.py seed_portal`.
    seeders: list[tuple[int, str, Callable]] = field(default_factory=list)
    backup_parts: list[BackupPart] = field(default_factory=list)
    page_sections: list[PageSection] = field(default_factory=list)
    # Status code -> the tone of its badge ("ok", "warn", "bad", "muted", "info").
    badge_tones: dict[str, str] = field(default_factory=dict)
    # key -> (the navigation's accessible name, its tabs in order)
    subnavs: dict[str, tuple[str, tuple[SubnavItem, ...]]] = field(default_factory=dict)

    def add_badge_tones(self, tones: dict[str, str]) -> None:
        """The one label style is ``.badge`` with a tone; an app names the tone of
        each status code it shows. A code given two tones is a mistake and raises."""
        for code, tone in tones.items():
            if tone not in BADGE_TONES:
                raise ValueError(f"badge tone {tone!r} is not one of {sorted(BADGE_TONES)}")
            code = str(code)
            if self.badge_tones.get(code, tone) != tone:
                raise DuplicateRegistration(f"status {code!r} given two badge tones")
            self.badge_tones[code] = tone

    def add_subnav(self, key: str, label: str, items: list[SubnavItem]) -> None:
        _once(self.subnavs, key, "sub-navigation")
        self.subnavs[key] = (label, tuple(items))

    def add_page_section(self, section: PageSection) -> None:
        taken = {f"{s.page}/{s.key}" for s in self.page_sections}
        _once(taken, f"{section.page}/{section.key}", "page section")
        self.page_sections.append(section)
        self.page_sections.sort(key=lambda s: (s.page, s.order, s.key))

    def sections_of(self, page: str) -> list[PageSection]:
        return [s for s in self.page_sections if s.page == page]

    def add_backup_part(
        self,
        order: int,
        name: str,
        export_func: Callable,
        import_func: Callable,
        *,
        must_be_empty: tuple[str, ...] = (),
    ) -> None:
        _once({p.name for p in self.backup_parts}, name, "backup part")
        self.backup_parts.append(
            BackupPart(order, name, export_func, import_func, tuple(must_be_empty))
        )
        self.backup_parts.sort(key=lambda p: (p.order, p.name))

    def add_seeder(self, order: int, name: str, func: Callable) -> None:
        _once({s[1] for s in self.seeders}, name, "seeder")
        self.seeders.append((order, name, func))
        self.seeders.sort(key=lambda s: (s[0], s[1]))

    def add_home_panel(self, panel: HomePanel) -> None:
        _once({p.key for p in self.home_panels}, panel.key, "home panel")
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
        _once(self.search_providers, provider.kind, "search kind")
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
        _once(self.notification_kinds, key, "notification kind")
        self.notification_kinds[key] = label

    def add_notification_text(self, key: str, text: str) -> None:
        _once(self.notification_texts, key, "notification text")
        self.notification_texts[key] = text

    def search_kinds(self) -> list[SearchProvider]:
        return sorted(self.search_providers.values(), key=lambda p: (p.order, p.kind))

    def add_nav_item(self, order: int, url_name: str, label: str, match_prefix: str) -> None:
        _once({item[1] for item in self.nav_items}, url_name, "navigation item")
        self.nav_items.append((order, url_name, label, match_prefix))
        self.nav_items.sort()


registry = Registry()
