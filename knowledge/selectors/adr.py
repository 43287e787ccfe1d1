"""Reads of decision records: the log, one record's page, export (the graph is in
``adr_graph``)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, When

from knowledge.adr_render import ExportAdr, ExportLink, render_madr, render_nygard
from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink, AdrRevision, AdrStatusChange
from knowledge.selectors.onboarding import my_progress
from portal import diffing

# Phrases written into files; files are English whatever the reader's language.
FILE_PHRASES = {
    LinkKind.SUPERSEDES: ("Supersedes", "Superseded by", "supersedes", "superseded-by"),
    LinkKind.AMENDS: ("Amends", "Amended by", "amends", "amended-by"),
    LinkKind.RELATES_TO: ("Relates to", "Relates to", "relates-to", "relates-to"),
}

LINK_KEY_ORDER = ["supersedes", "superseded-by", "amends", "amended-by", "relates-to"]


def adr_list(*, status: str = "", tag: str = "", element: str = "", q: str = "") -> QuerySet[Adr]:
    qs = Adr.objects.for_list()
    joined = bool(tag or element)  # the many-to-many filters can repeat a record
    if status:
        qs = qs.filter(status=status)
    if tag:
        qs = qs.filter(tags__name=tag)
    if element:
        qs = qs.filter(elements__code=element)
    if q:
        query = Q(title__icontains=q)
        number = parse_number(q)
        if number is not None:
            query |= Q(number=number)
        qs = qs.filter(query)
    return (qs.distinct() if joined else qs).order_by("-number")


# Only ASCII digits are a number: "2²" passes isdigit() but is searched as text.
_NUMBER = re.compile(r"(?:ADR[-\s]?)?(\d{1,9})", re.IGNORECASE | re.ASCII)


def parse_number(text: str) -> int | None:
    """A record's number as people write it: "42", "0042", "ADR-0042"."""
    match = _NUMBER.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def adr_lookup(q: str, limit: int = 20) -> list[dict]:
    """Records whose number is ``q`` or whose title contains it, the exact number
    first, then the newest: one query, the few columns a suggestion shows. ``key``
    is what the form field takes."""
    qs = Adr.objects.all()
    number = parse_number(q) if q else None
    if q:
        query = Q(title__icontains=q)
        if number is not None:
            query |= Q(number=number)
        qs = qs.filter(query)
    qs = qs.annotate(
        exact=Case(When(number=number if number is not None else -1, then=0), default=1)
    ).order_by("exact", "-number")
    return [
        {
            "key": f"ADR-{row['number']:04d}",
            "number": row["number"],
            "title": row["title"],
            "status": row["status"],
            "status_label": str(AdrStatus(row["status"]).label),
        }
        for row in qs.values("number", "title", "status")[:limit]
    ]


@dataclass
class LinkView:
    label: str
    other: Adr
    link: AdrLink
    outgoing: bool


def links_of(adr: Adr) -> list[LinkView]:
    """Both directions, each with the label that reads right from this record.
    Needs ``Adr.objects.for_page()``."""
    views = [LinkView(link.label, link.target, link, True) for link in adr.links_out.all()]
    views += [LinkView(link.reverse_label, link.source, link, False) for link in adr.links_in.all()]
    return sorted(views, key=lambda v: (str(v.label), v.other.number))


def history_of(adr: Adr) -> tuple[list[AdrStatusChange], list[AdrRevision]]:
    changes = list(AdrStatusChange.objects.filter(adr=adr).select_related("actor"))
    revisions = list(AdrRevision.objects.filter(adr=adr).select_related("author").defer("content"))
    return changes, revisions


def revision_diff(adr: Adr, a: int, b: int, mode: str = "unified") -> diffing.Diff:
    texts = dict(
        AdrRevision.objects.filter(adr=adr, number__in=[a, b]).values_list("number", "content")
    )
    if a not in texts or b not in texts:
        raise AdrRevision.DoesNotExist
    return diffing.diff(texts[a], texts[b], old_label=f"r{a}", new_label=f"r{b}", mode=mode)


def timeline(adrs: list[Adr]) -> list[tuple[int | None, list[Adr]]]:
    by_year: dict[int | None, list[Adr]] = {}
    # Records of unknown date come last, under no year.
    undated = datetime.date.min
    for adr in sorted(adrs, key=lambda a: (a.date or undated, a.number), reverse=True):
        by_year.setdefault(adr.date.year if adr.date else None, []).append(adr)
    return list(by_year.items())


def export_files(adrs: QuerySet[Adr], fmt: str) -> dict[str, str]:
    """File name → Markdown text for each record, MADR 4 or Nygard."""
    rows = list(adrs.for_page())
    render = render_nygard if fmt == "nygard" else render_madr
    files = {}
    for adr in rows:
        links = []
        for link in sorted(adr.links_out.all(), key=lambda k: (k.kind, k.target.number)):
            phrase, _rev, key, _rkey = FILE_PHRASES[LinkKind(link.kind)]
            links.append(
                ExportLink(
                    phrase, key, link.target.number, link.target.title, link.target.file_name
                )
            )
        for link in sorted(adr.links_in.all(), key=lambda k: (k.kind, k.source.number)):
            _fwd, phrase, _key, key = FILE_PHRASES[LinkKind(link.kind)]
            links.append(
                ExportLink(
                    phrase, key, link.source.number, link.source.title, link.source.file_name
                )
            )
        # Relates-to reads the same both ways, so its stored direction must not
        # change the file: order the links by kind and number only.
        links.sort(key=lambda link: (LINK_KEY_ORDER.index(link.front_matter_key), link.number))
        data = ExportAdr(
            number=adr.number,
            title=adr.title,
            file_name=adr.file_name,
            status=adr.status,
            date=adr.date,
            decision_makers=list(adr.decision_makers),
            consulted=list(adr.consulted),
            informed=list(adr.informed),
            tags=sorted(t.name for t in adr.tags.all()),
            elements=sorted(e.code for e in adr.elements.all()),
            sections=adr.sections(),
            links=links,
            status_note=adr.status_note,
        )
        files[adr.file_name] = render(data)
    return files


def knowledge_panel(request) -> dict:
    proposed = list(Adr.objects.filter(status=AdrStatus.PROPOSED).order_by("-number")[:5])
    recent = list(
        Adr.objects.filter(status=AdrStatus.ACCEPTED).order_by(
            F("date").desc(nulls_last=True), "-number"
        )[:5]
    )
    counts = {
        row["status"]: row["n"]
        for row in Adr.objects.values("status").annotate(n=Count("id")).order_by()
    }
    progress = my_progress(request)
    return {
        "proposed": proposed,
        "recent": recent,
        "proposed_count": counts.get(AdrStatus.PROPOSED, 0),
        "accepted_count": counts.get(AdrStatus.ACCEPTED, 0),
        "total": sum(counts.values()),
        "progress": progress,
    }


def own_proposals_panel(request) -> dict | None:
    """ "My work": the records this person proposed that still wait for a decision."""
    user = request.user
    if not user.is_authenticated:
        return None
    adrs = list(
        Adr.objects.filter(status=AdrStatus.PROPOSED, created_by=user).order_by("-number")[:11]
    )
    return {"adrs": adrs[:10], "more": len(adrs) > 10} if adrs else None
