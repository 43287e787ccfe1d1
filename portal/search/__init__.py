"""The portal's one search index.

Apps describe their records as :class:`SearchDocument` through a provider registered
with ``registry.add_search_provider``; the portal stores them in ``SearchEntry`` and
answers queries without importing any app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SearchDocument:
    object_id: str | int
    url: str
    title: str
    body: str = ""
    elements: Iterable[str] = field(default_factory=tuple)
    updated_at: datetime | None = None
    # A short word shown beside the title, e.g. "current", "superseded", "proposed".
    status: str = ""


def plain_text(markdown_source: str | None) -> str:
    """What a reader sees of a Markdown body, without markup, for indexing."""
    from portal.markdown import markdown_plain_text

    return markdown_plain_text(markdown_source)


def search_refresh_on_commit(kind: str, ids: Iterable) -> None:
    """Re-read these objects into the index once the current transaction commits."""
    from portal.search.index import search_refresh_on_commit as impl

    impl(kind, ids)


def search_refresh(kind: str, ids: Iterable) -> int:
    from portal.search.index import search_refresh as impl

    return impl(kind, ids)


def search_reindex_kind(kind: str) -> int:
    """Rebuild one kind from scratch: for bulk writes, which send no signals."""
    from portal.search.index import search_reindex_kind as impl

    return impl(kind)


def search_reindex_all() -> dict[str, int]:
    from portal.search.index import search_reindex_all as impl

    return impl()
