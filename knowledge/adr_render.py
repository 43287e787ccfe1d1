"""Write ADRs as Markdown: MADR 4 (YAML front matter) or Nygard / adr-tools. What
these functions write, ``knowledge.adr_format`` reads back into the same record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import yaml

from knowledge.adr_vocabulary import nearest_status
from knowledge.choices import AdrStatus

SECTION_ORDER = (
    "context",
    "drivers",
    "options",
    "outcome",
    "consequences",
    "confirmation",
    "pros_cons",
    "more_info",
)


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)


def escape_link_text(text: str) -> str:
    """Brackets in a title would close the link text early ("[Superseded by
    [ADR-19](…)] Push metrics"): escape them so the outer link is the link."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def status_text(adr, *, madr: bool = False) -> str:
    """The status as the file says it: the original wording while it still means the
    record's status (an "on hold" record later accepted is written "Accepted")."""
    note = (adr.status_note or "").strip()
    if note and nearest_status(note) == adr.status:
        return note
    return str(adr.status) if madr else AdrStatus(adr.status).name.capitalize()


@dataclass
class ExportLink:
    phrase: str  # "Supersedes", "Superseded by", …
    front_matter_key: str  # "supersedes", "superseded-by", …
    number: int
    title: str
    file_name: str


@dataclass
class ExportAdr:
    number: int
    title: str
    file_name: str
    status: str
    date: datetime.date | None
    decision_makers: list[str]
    consulted: list[str]
    informed: list[str]
    tags: list[str]
    elements: list[str]
    sections: dict[str, str]
    links: list[ExportLink]
    # The status as the original file wrote it ("on hold", "принято"), if any.
    status_note: str = ""


MADR_HEADINGS = {
    "context": "## Context and Problem Statement",
    "drivers": "## Decision Drivers",
    "options": "## Considered Options",
    "outcome": "## Decision Outcome",
    "consequences": "### Consequences",
    "confirmation": "### Confirmation",
    "pros_cons": "## Pros and Cons of the Options",
    "more_info": "## More Information",
}
NYGARD_HEADINGS = {
    "context": "## Context",
    "drivers": "## Decision Drivers",
    "options": "## Considered Options",
    "outcome": "## Decision",
    "consequences": "## Consequences",
    "confirmation": "## Confirmation",
    "pros_cons": "## Pros and Cons of the Options",
    "more_info": "## More Information",
}


def _body(adr: ExportAdr, headings: dict[str, str], always: set[str]) -> list[str]:
    parts: list[str] = []
    for name in SECTION_ORDER:
        text = adr.sections.get(name, "").strip()
        if text or name in always:
            parts.append(f"{headings[name]}\n\n{text}\n" if text else f"{headings[name]}\n")
    return parts


def render_madr(adr: ExportAdr) -> str:
    meta: dict[str, object] = {"status": status_text(adr, madr=True)}
    if adr.date is not None:
        meta["date"] = adr.date.isoformat()
    for key, names in (
        ("decision-makers", adr.decision_makers),
        ("consulted", adr.consulted),
        ("informed", adr.informed),
    ):
        if names:
            meta[key] = ", ".join(names)
    if adr.tags:
        meta["tags"] = list(adr.tags)
    if adr.elements:
        meta["elements"] = list(adr.elements)
    for link in adr.links:
        meta.setdefault(link.front_matter_key, []).append(link.file_name)
    front = dump_yaml(meta)
    parts = [f"---\n{front}---\n", f"# {adr.title}\n"]
    always = {"context", "outcome"}
    if adr.sections.get("confirmation") or adr.sections.get("consequences"):
        always.add("outcome")
    parts += _body(adr, MADR_HEADINGS, always)
    return "\n".join(parts)


def render_nygard(adr: ExportAdr) -> str:
    head = [f"# {adr.number}. {adr.title}\n"]
    if adr.date is not None:
        head.append(f"Date: {adr.date.isoformat()}")
    for label, names in (
        ("Decision-makers", adr.decision_makers),
        ("Consulted", adr.consulted),
        ("Informed", adr.informed),
        ("Tags", adr.tags),
        ("Elements", adr.elements),
    ):
        if names:
            head.append(f"{label}: {', '.join(names)}")
    status = [status_text(adr)]
    status += [
        f"{link.phrase} [{link.number}. {escape_link_text(link.title)}]({link.file_name})"
        for link in adr.links
    ]
    parts = ["\n".join(head).rstrip("\n") + "\n", "## Status\n\n" + "\n\n".join(status) + "\n"]
    parts += _body(adr, NYGARD_HEADINGS, {"context", "outcome", "consequences"})
    return "\n".join(parts)
