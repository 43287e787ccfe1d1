"""Keeping ``SearchEntry`` in step with the apps' records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from django.db import transaction

from portal.elements import ELEMENT_ORDER
from portal.registry import registry
from portal.search import SearchDocument
from portal.search.models import SearchEntry, fold

log = logging.getLogger(__name__)

# A tsvector holds at most 1 MB; a body beyond this adds nothing a reader searches for.
BODY_LIMIT = 100_000
BATCH = 500


# PostgreSQL's text-search parser reads "<...>" as an HTML tag and drops everything
# between <script> and </script>: a procedure quoting `<script>` would lose the rest of
# its words. Look-alike brackets keep the words and still read as brackets.
_BRACKETS = str.maketrans("<>", "‹›")


def _entry(kind: str, doc: SearchDocument) -> SearchEntry:
    codes = [c for c in ELEMENT_ORDER if c in set(doc.elements or ())]
    title = (doc.title or "")[:300].translate(_BRACKETS)
    body = (doc.body or "")[:BODY_LIMIT].translate(_BRACKETS)
    return SearchEntry(
        kind=kind,
        object_id=str(doc.object_id),
        url=doc.url[:500],
        title=title,
        body=body,
        elements=f"|{'|'.join(codes)}|" if codes else "",
        status=(doc.status or "")[:40],
        updated_at=doc.updated_at,
        title_folded=fold(title),
        body_folded=fold(body),
    )


def _provider(kind: str):
    try:
        return registry.search_providers[kind]
    except KeyError as exc:
        raise LookupError(f"no search provider for kind {kind!r}") from exc


@transaction.atomic
def search_refresh(kind: str, ids: Iterable) -> int:
    """Replace the entries of these objects with what the provider says now; an
    object the provider no longer yields (deleted, withdrawn) leaves the index."""
    ids = sorted({str(i) for i in ids})
    if not ids:
        return 0
    provider = _provider(kind)
    docs = list(provider.documents(ids))
    SearchEntry.objects.filter(kind=kind, object_id__in=ids).delete()
    SearchEntry.objects.bulk_create([_entry(kind, d) for d in docs], batch_size=BATCH)
    return len(docs)


_pending = threading.local()


def _pending_ids() -> dict[str, set[str]]:
    if not hasattr(_pending, "ids"):
        _pending.ids = {}
    return _pending.ids


def _drain() -> None:
    pending = _pending_ids()
    while pending:
        kind, ids = pending.popitem()
        # The change itself is committed; a stale index entry must not turn it into an error.
        try:
            search_refresh(kind, ids)
        except Exception:
            log.exception("search index refresh failed for %s %s", kind, sorted(ids)[:10])


def search_refresh_on_commit(kind: str, ids: Iterable) -> None:
    """Queue a refresh for after the commit. Many saves of one object in a transaction
    cost one refresh: the first callback to run does the work for all of them (ids
    left over from a rolled-back transaction are merely re-read, which is harmless)."""
    _pending_ids().setdefault(kind, set()).update(str(i) for i in ids)
    transaction.on_commit(_drain)


@transaction.atomic
def search_reindex_kind(kind: str) -> int:
    provider = _provider(kind)
    SearchEntry.objects.filter(kind=kind).delete()
    count = 0
    batch: list[SearchEntry] = []
    for doc in provider.documents(None):
        batch.append(_entry(kind, doc))
        if len(batch) >= BATCH:
            SearchEntry.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    SearchEntry.objects.bulk_create(batch)
    return count + len(batch)


def search_reindex_all() -> dict[str, int]:
    counts = {p.kind: search_reindex_kind(p.kind) for p in registry.search_kinds()}
    # Kinds whose provider went away (an app removed) must not linger in results.
    SearchEntry.objects.exclude(kind__in=list(counts)).delete()
    return counts


def seed_search_index(stdout, demo: bool) -> None:
    """Run last by ``seed_portal``: whatever the seeders wrote is searchable."""
    counts = search_reindex_all()
    stdout.write(f"search index: {sum(counts.values())} entries")


def register() -> None:
    from celery.schedules import crontab

    from portal.celery import app
    from portal.search.tasks import search_reindex

    registry.add_seeder(900, "search index", seed_search_index)
    app.add_periodic_task(
        crontab(hour=3, minute=30), search_reindex.s(), name="search: nightly reindex"
    )
