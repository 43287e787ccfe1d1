"""Keeping ``SearchEntry`` in step with the apps' records."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable

from django.db import connection, transaction

from portal.elements import ELEMENT_ORDER
from portal.registry import registry
from portal.search import PlainText, SearchDocument
from portal.search.models import SearchEntry, fold

log = logging.getLogger(__name__)

# A tsvector holds at most 1 MB; a body beyond this adds nothing a reader searches for.
BODY_LIMIT = 100_000
BATCH = 500


# PostgreSQL's text-search parser reads "<...>" as an HTML tag and drops everything
# between <script> and </script>: a procedure quoting `<script>` would lose the rest of
# its words. Look-alike brackets keep the words and still read as brackets.
_BRACKETS = str.maketrans("<>", "‹›")


# What an upsert rewrites when an entry's content changed.
CONTENT_FIELDS = (
    "url",
    "title",
    "body",
    "elements",
    "status",
    "updated_at",
    "title_folded",
    "body_folded",
    "digest",
    "indexed_at",
)


def _entry(kind: str, doc: SearchDocument, *, folded: bool) -> SearchEntry:
    """The entry for a document, with its digest; a Markdown body (``PlainText``) is
    digested by its source and rendered by ``_render`` only if the entry is written."""
    codes = [c for c in ELEMENT_ORDER if c in set(doc.elements or ())]
    title = (doc.title or "")[:300].translate(_BRACKETS)
    url = doc.url[:500]
    elements = f"|{'|'.join(codes)}|" if codes else ""
    status = (doc.status or "")[:40]
    stamp = doc.updated_at.isoformat() if doc.updated_at else ""
    if isinstance(doc.body, PlainText):
        body, body_key = doc.body, doc.body.key
    else:
        body = (doc.body or "")[:BODY_LIMIT].translate(_BRACKETS)
        body_key = body
    digest = hashlib.sha1(
        "\x1f".join((url, title, body_key, elements, status, stamp)).encode(),
        usedforsecurity=False,
    ).hexdigest()
    entry = SearchEntry(
        kind=kind,
        object_id=str(doc.object_id),
        url=url,
        title=title,
        elements=elements,
        status=status,
        updated_at=doc.updated_at,
        # PostgreSQL searches its generated vector; only other databases read these.
        title_folded=fold(title) if folded else "",
        digest=digest,
    )
    entry.body = body
    entry.body_folded = ""
    entry._fold = folded
    return entry


def _render(entry: SearchEntry) -> SearchEntry:
    if isinstance(entry.body, PlainText):
        entry.body = str(entry.body)[:BODY_LIMIT].translate(_BRACKETS)
    entry.body_folded = fold(entry.body) if entry._fold else ""
    return entry


def _folded() -> bool:
    return connection.vendor != "postgresql"


def _upsert(kind: str, entries: list[SearchEntry], have: dict[str, str]) -> int:
    """Write the entries whose content differs from what the index holds, in bulk
    (INSERT … ON CONFLICT DO UPDATE); the database recomputes the vectors of those
    rows only. Returns how many were written."""
    changed = [_render(e) for e in entries if have.get(e.object_id) != e.digest]
    for start in range(0, len(changed), BATCH):
        if connection.vendor == "postgresql":
            _upsert_arrays(kind, changed[start : start + BATCH])
        else:
            SearchEntry.objects.bulk_create(
                changed[start : start + BATCH],
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=list(CONTENT_FIELDS),
            )
    return len(changed)


# Columns an upsert writes from Python values, with their PostgreSQL array types.
_ARRAY_COLUMNS = (
    ("object_id", "text"),
    ("url", "text"),
    ("title", "text"),
    ("body", "text"),
    ("elements", "text"),
    ("status", "text"),
    ("updated_at", "timestamptz"),
    ("digest", "text"),
)


def _upsert_arrays(kind: str, entries: list[SearchEntry]) -> None:
    """One INSERT … SELECT FROM unnest(…) per batch on PostgreSQL: a parameter per
    column instead of one per value, which is most of what bulk_create spends in
    Python on thousands of entries."""
    names = ", ".join(name for name, _type in _ARRAY_COLUMNS)
    arrays = ", ".join(f"%s::{type_}[]" for _name, type_ in _ARRAY_COLUMNS)
    kept = ", ".join(f"{c} = EXCLUDED.{c}" for c in CONTENT_FIELDS)
    # Fixed SQL text; every value travels as a parameter.
    sql = f"""
        INSERT INTO portal_searchentry
            (kind, {names}, title_folded, body_folded, indexed_at)
        SELECT %s, u.*, '', '', clock_timestamp() FROM unnest({arrays}) AS u({names})
        ON CONFLICT (kind, object_id) DO UPDATE SET {kept}
    """  # noqa: S608
    columns = [[getattr(e, name) for e in entries] for name, _type in _ARRAY_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, *columns])


def _digests(kind: str, ids: list[str] | None) -> dict[str, str]:
    entries = SearchEntry.objects.filter(kind=kind)
    if ids is None:
        return dict(entries.values_list("object_id", "digest"))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        found.update(entries.filter(object_id__in=chunk).values_list("object_id", "digest"))
    return found


def _remove(kind: str, object_ids: Iterable[str]) -> None:
    object_ids = sorted(object_ids)
    for start in range(0, len(object_ids), 10_000):
        chunk = object_ids[start : start + 10_000]
        SearchEntry.objects.filter(kind=kind, object_id__in=chunk).delete()


def _provider(kind: str):
    try:
        return registry.search_providers[kind]
    except KeyError as exc:
        raise LookupError(f"no search provider for kind {kind!r}") from exc


ROW_COLUMNS = ("object_id", "url", "title", "body", "elements", "status", "updated_at")


def _refresh_rows(kind: str, rows, ids: list[str] | None) -> int:
    """The SQL path (PostgreSQL): one statement reads the provider's rows once,
    upserts those whose digest moved and drops the entries it no longer yields. The
    DELETE sees the table as it was before the INSERT (one snapshot), so it removes
    only entries that were there and are gone."""
    queryset = rows(ids).order_by().values(*ROW_COLUMNS)
    select, params = queryset.query.sql_with_params()
    kept = ", ".join(f"{c} = EXCLUDED.{c}" for c in CONTENT_FIELDS)
    scope, scope_params = ("AND e.object_id = ANY(%s)", [ids]) if ids is not None else ("", [])
    # Fixed SQL text around the provider's own compiled query; values are parameters.
    # r cleans each title and body once (the digest and the columns read them both).
    # NOT IN (a hashed subplan) rather than NOT EXISTS: with no statistics yet for the
    # kind the planner chose a nested loop over the CTE, 18 s for 8,000 GPUs.
    sql = f"""
        WITH r AS MATERIALIZED (
            SELECT p.object_id, p.url, translate(coalesce(p.title, ''), '<>', '‹›') AS title,
                   translate(coalesce(p.body, ''), '<>', '‹›') AS body,
                   p.elements, p.status, p.updated_at
            FROM ({select}) p
        ),
        written AS (
            INSERT INTO portal_searchentry
                (kind, object_id, url, title, body, elements, status, updated_at,
                 title_folded, body_folded, digest, indexed_at)
            SELECT %s, left(r.object_id, 64), left(r.url, 500), left(r.title, 300),
                   left(r.body, {BODY_LIMIT}), left(coalesce(r.elements, ''), 120),
                   left(coalesce(r.status, ''), 40), r.updated_at, '', '',
                   md5(concat_ws(chr(31), r.url, r.title, r.body, r.elements, r.status,
                                 r.updated_at::text)),
                   clock_timestamp()
            FROM r
            ON CONFLICT (kind, object_id) DO UPDATE SET {kept}
            WHERE portal_searchentry.digest IS DISTINCT FROM EXCLUDED.digest
            RETURNING 1
        ),
        gone AS (
            DELETE FROM portal_searchentry e WHERE e.kind = %s {scope}
            AND e.object_id NOT IN (SELECT left(r.object_id, 64) FROM r)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM gone)
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, kind, kind, *scope_params])
        written, _gone = cursor.fetchone()
    return written


@transaction.atomic
def search_refresh(kind: str, ids: Iterable) -> int:
    """Bring the entries of these objects in line with what the provider says now:
    new and changed ones are upserted, unchanged ones are not touched, and an object
    the provider no longer yields (deleted, withdrawn) leaves the index. Returns how
    many entries were written."""
    ids = sorted({str(i) for i in ids})
    if not ids:
        return 0
    provider = _provider(kind)
    if provider.rows is not None and connection.vendor == "postgresql":
        return _refresh_rows(kind, provider.rows, ids)
    folded = _folded()
    entries = [_entry(kind, d, folded=folded) for d in provider.documents(ids)]
    have = _digests(kind, ids)
    written = _upsert(kind, entries, have)
    _remove(kind, set(have) - {e.object_id for e in entries})
    return written


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
    """Read every document of a kind again; only entries that differ are written."""
    provider = _provider(kind)
    if provider.rows is not None and connection.vendor == "postgresql":
        _refresh_rows(kind, provider.rows, None)
        return SearchEntry.objects.filter(kind=kind).count()
    folded = _folded()
    have = _digests(kind, None)
    seen: set[str] = set()
    batch: list[SearchEntry] = []
    for doc in provider.documents(None):
        batch.append(_entry(kind, doc, folded=folded))
        if len(batch) >= BATCH:
            _upsert(kind, batch, have)
            seen.update(e.object_id for e in batch)
            batch = []
    _upsert(kind, batch, have)
    seen.update(e.object_id for e in batch)
    _remove(kind, set(have) - seen)
    return len(seen)


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
