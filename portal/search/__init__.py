"""The portal's one search index.

Apps describe their records as :class:`SearchDocument` through a provider registered
with ``registry.add_search_provider``; the portal stores them in ``SearchEntry`` and
answers queries without importing any app.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SearchDocument:
    object_id: str | int
    url: str
    title: str
    body: str | PlainText = ""
    elements: Iterable[str] = field(default_factory=tuple)
    updated_at: datetime | None = None
    # A short word shown beside the title, e.g. "current", "superseded", "proposed".
    status: str = ""


class PlainText:
    """What a reader sees of a Markdown body, worked out only when it is needed: the
    index compares a digest of the source first and renders only bodies it writes,
    so reading an unchanged corpus again renders nothing. ``str()`` (or an f-string)
    gives the text."""

    __slots__ = ("_text", "source")

    def __init__(self, source: str | None):
        self.source = source or ""
        self._text: str | None = None

    @property
    def key(self) -> str:
        return "markdown:" + hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest()

    def __str__(self) -> str:
        if self._text is None:
            from portal.markdown import markdown_plain_text

            self._text = markdown_plain_text(self.source)
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return bool(self.source.strip())

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def plain_text(markdown_source: str | None) -> PlainText:
    """What a reader sees of a Markdown body, without markup, for indexing."""
    return PlainText(markdown_source)


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
