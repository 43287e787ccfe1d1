"""ADR Markdown files: read MADR (2, 3, 4) and Nygard / adr-tools records, write MADR 4
or Nygard. Pure functions over text; the importer in services turns the result into
rows. Writing then reading gives back the same record (round-trip stable)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

from knowledge.choices import AdrStatus, LinkKind

FILE_NUMBER = re.compile(r"^(\d{1,6})[-_ ]")
NUMBERED_TITLE = re.compile(r"^#\s+(\d+)\.\s+(.+?)\s*$")
TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
META_LINE = re.compile(r"^[*-]?\s*([A-Za-z][A-Za-z -]{1,30}):\s*(.*?)\s*$")
MD_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<href>[^)\s]*)\)")

# Section heading (lower case) → field. MADR 2/3 names map onto the MADR 4 fields.
SECTION_NAMES = {
    "context and problem statement": "context",
    "context": "context",
    "decision drivers": "drivers",
    "considered options": "options",
    "decision outcome": "outcome",
    "decision": "outcome",
    "consequences": "consequences",
    "positive consequences": "consequences",
    "negative consequences": "consequences",
    "confirmation": "confirmation",
    "validation": "confirmation",
    "pros and cons of the options": "pros_cons",
    "more information": "more_info",
    "links": "more_info",
}
# Sub-headings of MADR 2 that have no field of their own: kept, one level down, in
# the consequences text so that nothing the author wrote is lost.
KEPT_SUBHEADINGS = {"positive consequences", "negative consequences"}

# Link phrases as they appear in files (adr-tools used to spell "supercede").
# Each maps to (kind, the file's record is the source?).
LINK_PHRASES = {
    "supersedes": (LinkKind.SUPERSEDES, True),
    "supercedes": (LinkKind.SUPERSEDES, True),
    "superseded by": (LinkKind.SUPERSEDES, False),
    "superceded by": (LinkKind.SUPERSEDES, False),
    "amends": (LinkKind.AMENDS, True),
    "amended by": (LinkKind.AMENDS, False),
    "relates to": (LinkKind.RELATES_TO, True),
}
FRONT_MATTER_LINKS = {
    "supersedes": (LinkKind.SUPERSEDES, True),
    "superseded-by": (LinkKind.SUPERSEDES, False),
    "amends": (LinkKind.AMENDS, True),
    "amended-by": (LinkKind.AMENDS, False),
    "relates-to": (LinkKind.RELATES_TO, True),
}
PEOPLE_KEYS = {
    "decision-makers": "decision_makers",
    "deciders": "decision_makers",
    "decision makers": "decision_makers",
    "consulted": "consulted",
    "informed": "informed",
}

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


class AdrFormatError(Exception):
    """A file that cannot be read, with where the problem is."""

    def __init__(self, file_name: str, line: int, message: str):
        self.file_name = file_name
        self.line = line
        self.message = message
        super().__init__(f"{file_name}, line {line}: {message}")


@dataclass
class ParsedLink:
    kind: str
    # True: this file's record is the source ("Supersedes X"); False: X is the source.
    outgoing: bool
    target: int
    line: int


@dataclass
class ParsedAdr:
    file_name: str
    number: int
    title: str
    status: str
    date: datetime.date | None = None
    decision_makers: list[str] = field(default_factory=list)
    consulted: list[str] = field(default_factory=list)
    informed: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    links: list[ParsedLink] = field(default_factory=list)


# --- reading -----------------------------------------------------------------------


def _names(value) -> list[str]:
    if value is None:
        return []
    items = [str(v) for v in value] if isinstance(value, list | tuple) else str(value).split(",")
    return [item.strip() for item in items if item and item.strip()]


def ref_number(ref) -> int | None:
    """The record number a reference names: a file name, a Markdown link, ADR-0005,
    "5. Title" or a bare number."""
    if isinstance(ref, int):
        return ref
    text = str(ref).strip()
    link = MD_LINK.search(text)
    candidates = [link.group("href"), link.group("text")] if link else [text]
    for candidate in candidates:
        base = candidate.rsplit("/", 1)[-1]
        for pattern in (r"^(\d+)[-_ ]", r"ADR[- ]?(\d+)", r"^(\d+)\.?\s", r"^(\d+)$"):
            match = re.search(pattern, base, re.IGNORECASE)
            if match:
                return int(match.group(1))
    return None


def _parse_date(file_name: str, line: int, value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):  # adr-tools wrote dd/mm/yyyy before ISO 8601
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise AdrFormatError(
        file_name, line, _("%(value)r is not a date (expected YYYY-MM-DD).") % {"value": text}
    )


def _status_word(text: str) -> str | None:
    word = text.strip().split(" ", 1)[0].strip(".,;:").lower() if text.strip() else ""
    return word if word in AdrStatus.values else None


def _link_line(file_name: str, line: int, text: str) -> ParsedLink | None:
    """'Supersedes [2. Use X](0002-use-x.md)' → a link; None when the line is no link."""
    match = MD_LINK.search(text)
    if not match:
        return None
    phrase = text[: match.start()].strip().lower()
    kind, outgoing = LINK_PHRASES.get(phrase, (LinkKind.RELATES_TO, True))
    target = ref_number(match.group(0))
    if target is None:
        raise AdrFormatError(
            file_name,
            line,
            _("Cannot tell which record %(ref)s points to.") % {"ref": match.group(0)},
        )
    return ParsedLink(kind=kind, outgoing=outgoing, target=target, line=line)


def _status_value(file_name: str, line: int, text: str, adr: ParsedAdr) -> None:
    """A status as MADR writes it: 'accepted' or 'superseded by [ADR-0005](0005-x.md)'."""
    link = _link_line(file_name, line, text)
    if link is not None:
        adr.links.append(link)
        if link.kind == LinkKind.SUPERSEDES and not link.outgoing:
            adr.status = AdrStatus.SUPERSEDED
            return
    word = _status_word(text)
    if word is None:
        raise AdrFormatError(
            file_name,
            line,
            _("Unknown status %(value)r; expected one of: %(choices)s.")
            % {"value": text.strip(), "choices": ", ".join(AdrStatus.values)},
        )
    adr.status = word


def _apply_meta(file_name: str, line: int, key: str, value, adr: ParsedAdr) -> bool:
    key = key.strip().lower()
    if key == "status":
        _status_value(file_name, line, str(value), adr)
    elif key == "date":
        adr.date = _parse_date(file_name, line, value)
    elif key in PEOPLE_KEYS:
        setattr(adr, PEOPLE_KEYS[key], _names(value))
    elif key == "tags":
        adr.tags = _names(value)
    elif key == "elements":
        adr.elements = [name.lower() for name in _names(value)]
    elif key in FRONT_MATTER_LINKS:
        kind, outgoing = FRONT_MATTER_LINKS[key]
        for ref in value if isinstance(value, list) else _names(value):
            target = ref_number(ref)
            if target is None:
                raise AdrFormatError(
                    file_name,
                    line,
                    _("Cannot tell which record %(ref)s points to.") % {"ref": ref},
                )
            adr.links.append(ParsedLink(kind=kind, outgoing=outgoing, target=target, line=line))
    else:
        return False
    return True


def _front_matter(file_name: str, lines: list[str], adr: ParsedAdr) -> int:
    """Read YAML front matter if there is one; return the index of the next line."""
    if not lines or lines[0].strip() != "---":
        return 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise AdrFormatError(file_name, 1, _("The front matter is not closed with '---'."))
    try:
        data = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        raise AdrFormatError(
            file_name,
            line,
            _("The front matter is not valid YAML: %(error)s")
            % {"error": getattr(exc, "problem", None) or exc},
        ) from exc
    if not isinstance(data, dict):
        raise AdrFormatError(file_name, 2, _("The front matter must be a set of key: value."))
    for key, value in data.items():
        key_line = next(
            (i + 1 for i in range(1, end) if lines[i].lstrip().startswith(f"{key}:")), 2
        )
        _apply_meta(file_name, key_line, str(key), value, adr)
    return end + 1


def parse_adr(file_name: str, text: str) -> ParsedAdr:
    number_match = FILE_NUMBER.match(file_name.rsplit("/", 1)[-1])
    if not number_match:
        raise AdrFormatError(
            file_name,
            1,
            _("The file name must start with the record number, e.g. 0001-title.md."),
        )
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise AdrFormatError(file_name, line, _("The file contains a NUL byte."))
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    adr = ParsedAdr(file_name=file_name, number=int(number_match.group(1)), title="", status="")
    index = _front_matter(file_name, lines, adr)

    # The title: the first line that is not blank or a comment.
    while index < len(lines) and (not lines[index].strip() or COMMENT_LINE.match(lines[index])):
        index += 1
    if index >= len(lines) or not TITLE.match(lines[index]) or lines[index].startswith("##"):
        raise AdrFormatError(
            file_name, min(index + 1, len(lines)), _("Expected the title line '# …' here.")
        )
    numbered = NUMBERED_TITLE.match(lines[index])
    if numbered and int(numbered.group(1)) == adr.number:
        adr.title = numbered.group(2)
    else:
        adr.title = TITLE.match(lines[index]).group(1)
    index += 1

    buckets: dict[str, list[str]] = {name: [] for name in SECTION_ORDER}
    preamble: list[str] = []
    status_lines: list[tuple[int, str]] = []
    current: str | None = None
    in_fence = False
    for number, line in enumerate(lines[index:], start=index + 1):
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading:
            name = heading.group(2).strip().lower()
            level = len(heading.group(1))
            if level == 2 and name == "status":
                current = "status"
                continue
            if name in SECTION_NAMES and (level == 2 or SECTION_NAMES[name] != "outcome"):
                current = SECTION_NAMES[name]
                if name in KEPT_SUBHEADINGS:
                    buckets[current].append("#### " + heading.group(2).strip())
                continue
        if not in_fence and COMMENT_LINE.match(line):
            continue
        if current is None:
            meta = META_LINE.match(line)
            if meta and _apply_meta(file_name, number, meta.group(1), meta.group(2), adr):
                continue
            preamble.append(line)
        elif current == "status":
            if line.strip():
                status_lines.append((number, line))
        else:
            buckets[current].append(line)
    if in_fence:
        raise AdrFormatError(file_name, len(lines), _("A code block is not closed."))

    for number, line in status_lines:
        link = _link_line(file_name, number, line)
        if link is not None:
            adr.links.append(link)
            continue
        word = _status_word(line)
        if word is None:
            raise AdrFormatError(
                file_name,
                number,
                _("Unknown status %(value)r; expected one of: %(choices)s.")
                % {"value": line.strip(), "choices": ", ".join(AdrStatus.values)},
            )
        adr.status = word
    if not adr.status:
        superseded = any(
            link.kind == LinkKind.SUPERSEDES and not link.outgoing for link in adr.links
        )
        adr.status = AdrStatus.SUPERSEDED if superseded else AdrStatus.PROPOSED
    if "\n".join(preamble).strip():
        buckets["context"] = [*preamble, "", *buckets["context"]]
    adr.sections = {name: "\n".join(body).strip() for name, body in buckets.items()}
    for link in adr.links:
        if link.target == adr.number:
            raise AdrFormatError(file_name, link.line, _("A record cannot link to itself."))
    return adr


# --- writing -----------------------------------------------------------------------


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
    date: datetime.date
    decision_makers: list[str]
    consulted: list[str]
    informed: list[str]
    tags: list[str]
    elements: list[str]
    sections: dict[str, str]
    links: list[ExportLink]


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
    meta: dict[str, object] = {"status": str(adr.status), "date": adr.date.isoformat()}
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
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=False)
    parts = [f"---\n{front}---\n", f"# {adr.title}\n"]
    always = {"context", "outcome"}
    if adr.sections.get("confirmation") or adr.sections.get("consequences"):
        always.add("outcome")
    parts += _body(adr, MADR_HEADINGS, always)
    return "\n".join(parts)


def render_nygard(adr: ExportAdr) -> str:
    head = [f"# {adr.number}. {adr.title}\n", f"Date: {adr.date.isoformat()}"]
    for label, names in (
        ("Decision-makers", adr.decision_makers),
        ("Consulted", adr.consulted),
        ("Informed", adr.informed),
        ("Tags", adr.tags),
        ("Elements", adr.elements),
    ):
        if names:
            head.append(f"{label}: {', '.join(names)}")
    status = [AdrStatus(adr.status).name.capitalize()]
    status += [
        f"{link.phrase} [{link.number}. {link.title}]({link.file_name})" for link in adr.links
    ]
    parts = ["\n".join(head) + "\n", "## Status\n\n" + "\n\n".join(status) + "\n"]
    parts += _body(adr, NYGARD_HEADINGS, {"context", "outcome", "consequences"})
    return "\n".join(parts)
