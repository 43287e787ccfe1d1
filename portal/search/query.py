"""Answering a query: PostgreSQL full-text search where available, a folded-text
match elsewhere. Both return the same :class:`SearchPage`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    Value,
    When,
)
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from portal.elements import ELEMENT_ORDER, ElementCode
from portal.registry import registry
from portal.search.models import SearchEntry, fold

ELEMENTS = frozenset(ELEMENT_ORDER)

PAGE_SIZE = 20
MAX_QUERY = 200
# Unlikely in real text; turned into <mark> only after the text is escaped.
_START, _STOP = "\u27e6", "\u27e7"
_HEADLINE_TITLE = f"HighlightAll=true, StartSel={_START}, StopSel={_STOP}"
_HEADLINE_BODY = (
    f'MaxFragments=2, MaxWords=28, MinWords=12, FragmentDelimiter=" … ", '
    f"StartSel={_START}, StopSel={_STOP}"
)
_TERM = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SearchHit:
    kind: str
    object_id: str
    url: str
    title: SafeString
    snippet: SafeString
    elements: list[str]
    status: str
    updated_at: object
    rank: float = 0.0

    @property
    def kind_label(self) -> str:
        provider = registry.search_providers.get(self.kind)
        return str(provider.label) if provider else self.kind

    @property
    def element_items(self) -> list[tuple[str, str]]:
        return [(code, ElementCode(code).label) for code in self.elements if code in ELEMENTS]


@dataclass
class SearchPage:
    query: str
    hits: list[SearchHit]
    page: Page | None
    total: int
    kind_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Terms:
    include: list[str]
    exclude: list[str]


def parse_terms(query: str) -> Terms:
    """The websearch syntax a SQLite user can expect too: words, "quoted phrases",
    -excluded. ``or`` is ignored there (every term must match)."""
    include, exclude = [], []
    for m in _TERM.finditer(query):
        negated = bool(m.group(1) or m.group(3))
        text = fold(m.group(2) or m.group(4) or "").strip()
        if not text or text == "or":
            continue
        if m.group(4):
            text = text.strip(".,;:!?()[]{}'\"")
            if not text or text == "-":
                continue
        (exclude if negated else include).append(text)
    return Terms(include, exclude)


def _mark(text: str) -> SafeString:
    # Escaped first, then only our own markers become tags.
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))


def _filtered(kind: str, element: str):
    entries = SearchEntry.objects.all()
    if kind:
        entries = entries.filter(kind=kind)
    if element:
        entries = entries.filter(elements__contains=f"|{element}|")
    return entries


def _kind_counts(entries) -> dict[str, int]:
    rows = entries.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n")
    return dict(rows)


def _paginate(entries, kind_counts, kind, page_number, per_page) -> tuple[Page, int]:
    """The page asked for; its total comes from the facet counts, so the paginator
    runs no second COUNT(*)."""
    total = sum(kind_counts.values()) if not kind else kind_counts.get(kind, 0)
    paginator = Paginator(entries, per_page)
    paginator.count = total
    return paginator.get_page(page_number), total


def _hit(entry: SearchEntry, *, title: str, snippet: str, rank: float = 0.0) -> SearchHit:
    return SearchHit(
        kind=entry.kind,
        object_id=entry.object_id,
        url=entry.url,
        title=_mark(title),
        snippet=_mark(snippet),
        elements=entry.element_codes,
        status=entry.status,
        updated_at=entry.updated_at,
        rank=rank,
    )


def search(
    query: str, *, kind: str = "", element: str = "", page: int | str = 1, per_page: int = PAGE_SIZE
) -> SearchPage:
    query = (query or "").replace("\x00", "").strip()[:MAX_QUERY]
    if not query:
        if kind or element:
            return _browse(kind, element, page, per_page)
        return SearchPage(query="", hits=[], page=None, total=0)
    if connection.vendor == "postgresql":
        result = _search_postgres(query, kind, element, page, per_page)
    else:
        result = _search_folded(query, kind, element, page, per_page)
    return _in_readers_language(result, parse_terms(query).include)


def _in_readers_language(result: SearchPage, terms: list[str]) -> SearchPage:
    """Hits of kinds named in two languages show the reader's name (one query per
    such kind on the page), marked like the stored title would have been."""
    by_kind: dict[str, list[SearchHit]] = {}
    for hit in result.hits:
        by_kind.setdefault(hit.kind, []).append(hit)
    for kind, hits in by_kind.items():
        provider = registry.search_providers.get(kind)
        if provider is None or provider.titles is None:
            continue
        titles = {str(k): v for k, v in provider.titles([h.object_id for h in hits]).items()}
        for hit in hits:
            title = titles.get(hit.object_id)
            if title:
                hit.title = _mark(_highlight(title, fold(title), terms))
    return result


def _browse(kind, element, page_number, per_page) -> SearchPage:
    """No words, only filters: everything of that kind or element, latest first
    (the home page's element panels link here)."""
    kind_counts = _kind_counts(_filtered("", element))
    entries = (
        _filtered(kind, element)
        .defer("body", "body_folded", "title_folded")
        .order_by("-updated_at", "-id")
    )
    page, total = _paginate(entries, kind_counts, kind, page_number, per_page)
    hits = [_hit(r, title=r.title, snippet="") for r in page.object_list]
    result = SearchPage(query="", hits=hits, page=page, total=total, kind_counts=kind_counts)
    return _in_readers_language(result, [])


# --- PostgreSQL -------------------------------------------------------------------


def _tsquery(query: str) -> tuple[str, list[str]]:
    """English and Russian readings of the query, plus, for plain words, a prefix
    match on the last word so results appear while the word is still being typed."""
    sql = "(websearch_to_tsquery('english', %s) || websearch_to_tsquery('russian', %s))"
    params = [query, query]
    if not re.search(r'["\-]|\bor\b', query, re.IGNORECASE):
        words = _WORD.findall(query.lower())
        if words:
            prefix = " & ".join([*words[:-1], f"{words[-1]}:*"])
            sql = f"({sql} || to_tsquery('simple', %s))"
            params.append(prefix)
    return sql, params


# Ranking reads each match's small ``rank_vector`` (the title's stems, stored in the
# row), never the full vector out of line: cheap enough to rank every match (8,787
# of 11,000 in bench/search.py: about 2 ms), title matches first, then latest first.
# ts_headline re-parses the text it is given: a prefix of the body is enough for two
# fragments and keeps a long body from costing its whole length.
HEADLINE_CHARS = 5000


class _Window(Sequence):
    """What a Paginator needs of the results: their number, and the page's rows."""

    def __init__(self, total: int, rows: list):
        self.total, self.rows = total, rows

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        return self.rows if isinstance(index, slice) else self.rows[index]


def _page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def _ranked(tsq, params, kind, element, offset, limit):
    """One statement: the count of matches per kind, and the page's entries ranked
    among all matches, with their headlines. The matches
    come from ``portal_search_matches`` (migration 0008), which reads the GIN index
    whatever the planner thinks of a common word."""
    pattern = f"%|{element.replace('%', '').replace('_', '')}|%" if element else None
    kind_sql, kind_params = ("WHERE kind = %s", [kind]) if kind else ("", [])
    # Fixed SQL text; the words, the kind and the element travel as parameters.
    sql = f"""
        WITH q AS MATERIALIZED (SELECT {tsq} AS q),
        m AS MATERIALIZED (SELECT m.* FROM q, portal_search_matches(q.q, %s) m),
        counts AS (SELECT kind, count(*) AS n FROM m GROUP BY kind),
        ranked AS (
            SELECT m.id, ts_rank(m.rank_vector, q.q, 32) AS rank, m.updated_at
            FROM m, q {kind_sql}
            ORDER BY rank DESC, updated_at DESC NULLS LAST, id DESC LIMIT %s OFFSET %s
        ),
        page AS (
            SELECT id, rank, row_number() OVER (
                ORDER BY rank DESC, updated_at DESC NULLS LAST, id DESC
            ) AS position
            FROM ranked
        )
        SELECT kind, n, NULL::bigint, NULL::real, NULL::bigint, NULL, NULL, NULL, NULL,
               NULL::timestamptz, NULL, NULL
        FROM counts
        UNION ALL
        SELECT e.kind, NULL, e.id, p.rank, p.position, e.object_id, e.url, e.elements,
               e.status, e.updated_at, ts_headline('russian', e.title, q.q, %s),
               ts_headline('russian', left(e.body, {HEADLINE_CHARS}), q.q, %s)
        FROM page p JOIN portal_searchentry e ON e.id = p.id, q
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *params,
                pattern,
                *kind_params,
                limit,
                offset,
                _HEADLINE_TITLE,
                _HEADLINE_BODY,
            ],
        )
        rows = cursor.fetchall()
    counts = {row[0]: row[1] for row in rows if row[2] is None}
    return counts, sorted((row for row in rows if row[2] is not None), key=lambda row: row[4])


def _page_hit(row) -> SearchHit:
    kind, _n, pk, rank, _position, object_id, url, elements, status, updated_at = row[:10]
    entry = SearchEntry(
        id=pk,
        kind=kind,
        object_id=object_id,
        url=url,
        elements=elements,
        status=status,
        updated_at=updated_at,
    )
    return _hit(entry, title=row[10], snippet=row[11], rank=rank)


def _search_postgres(query, kind, element, page_number, per_page) -> SearchPage:
    tsq, params = _tsquery(query)
    number = _page_number(page_number)
    kind_counts, rows = _ranked(tsq, params, kind, element, (number - 1) * per_page, per_page)
    total = sum(kind_counts.values()) if not kind else kind_counts.get(kind, 0)
    last = max(1, -(-total // per_page))
    if number > last:  # past the end: the last page, as Paginator.get_page does
        number = last
        kind_counts, rows = _ranked(tsq, params, kind, element, (number - 1) * per_page, per_page)
    hits = [_page_hit(row) for row in rows]
    page = Paginator(_Window(total, hits), per_page).get_page(number)
    return SearchPage(query=query, hits=hits, page=page, total=total, kind_counts=kind_counts)


# --- SQLite and others ------------------------------------------------------------


def _search_folded(query, kind, element, page_number, per_page) -> SearchPage:
    terms = parse_terms(query)
    if not terms.include:
        return SearchPage(query=query, hits=[], page=None, total=0)
    matched = Q()
    for term in terms.include:
        matched &= Q(title_folded__contains=term) | Q(body_folded__contains=term)
    unwanted = Q()
    for term in terms.exclude:
        unwanted |= Q(title_folded__contains=term) | Q(body_folded__contains=term)

    def narrow(entries):
        entries = entries.filter(matched)
        return entries.exclude(unwanted) if terms.exclude else entries

    kind_counts = _kind_counts(narrow(_filtered("", element)))
    title_score = sum(
        (
            Case(When(title_folded__contains=t, then=Value(1)), default=Value(0))
            for t in terms.include
        ),
        Value(0),
    )
    ranked = (
        narrow(_filtered(kind, element))
        .annotate(rank=ExpressionWrapper(title_score, output_field=IntegerField()))
        .order_by("-rank", "-updated_at", "-id")
    )
    page, total = _paginate(ranked, kind_counts, kind, page_number, per_page)
    hits = [
        _hit(
            r,
            title=_highlight(r.title, r.title_folded, terms.include),
            snippet=_snippet(r.body, r.body_folded, terms.include),
            rank=float(r.rank),
        )
        for r in page.object_list
    ]
    return SearchPage(query=query, hits=hits, page=page, total=total, kind_counts=kind_counts)


def _highlight(text: str, folded: str, terms: list[str]) -> str:
    if len(folded) != len(text):  # a rare letter changed length when folded
        text = folded
    spans = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + len(term))
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out += [text[pos:start], _START, text[start:end], _STOP]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _snippet(body: str, folded: str, terms: list[str], width: int = 220) -> str:
    if len(folded) != len(body):
        body = folded
    first = min((i for i in (folded.find(t) for t in terms) if i != -1), default=0)
    start = max(0, first - width // 3)
    end = min(len(body), start + width)
    prefix = "… " if start else ""
    suffix = " …" if end < len(body) else ""
    piece = _highlight(body[start:end], folded[start:end], terms)
    return prefix + " ".join(piece.split()) + suffix
