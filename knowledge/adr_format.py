"""ADR Markdown files: read MADR (2, 3, 4), log4brains and Nygard / adr-tools records,
in English, Russian or French; write MADR 4 or Nygard (``knowledge.adr_render``).
Pure functions over text; the importer in services turns the result into rows.
Writing then reading gives back the same record (round-trip stable).

Only what makes a file unusable is an error (no title, broken front matter, a code
block never closed). Everything else a real folder holds (a status outside the five,
a date that is only a year, a metadata key of another tool) is read as well as it
can be and reported as a warning with its line."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from knowledge.adr_render import SECTION_ORDER
from knowledge.adr_values import (
    COMMENT,
    FILE_DAY,
    file_of,
    md_links,
    parse_date,
    ref_number,
    split_names,
)
from knowledge.adr_vocabulary import (
    FRONT_MATTER_LINKS,
    KEPT_SUBHEADINGS,
    LINK_PHRASES,
    META_KEYS,
    PEOPLE_FIELDS,
    SECTION_NAMES,
    STATUS_TRANSLATIONS,
    nearest_status,
)
from knowledge.choices import AdrStatus, LinkKind
from portal.frontmatter import FrontMatterError, parse_front_matter
from portal.validation import nul_line, nul_message

FILE_NUMBER = re.compile(r"^(\d{1,6})[-_ ]")
NUMBERED_TITLE = re.compile(r"^#\s+(?:ADR[- ]?)?(\d+)(?:\s*[.:]|\s*-|\s+-)\s*(.+?)\s*$", re.I)
TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
HEADING = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
META_LINE = re.compile(
    r"^\s*(?P<item>[*-]\s+)?(?:\*\*|__)?(?P<key>[^\W\d_][\w .'’-]{0,40}?)"
    r"\s*(?:(?:\*\*|__)\s*:|:\s*(?:\*\*|__)?)\s*(?P<value>.*?)\s*$"
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
    # The record number the reference names, or None when it names a file without
    # one (log4brains); then ``target_file`` says which.
    target: int | None
    line: int
    target_file: str = ""


@dataclass
class ParsedWarning:
    line: int
    message: str


@dataclass
class ParsedAdr:
    file_name: str
    # None for files named by day (log4brains): the importer gives them numbers.
    number: int | None
    title: str
    status: str
    # The status as the file wrote it, when that is not one of the five.
    status_note: str = ""
    date: datetime.date | None = None
    file_day: datetime.date | None = None
    decision_makers: list[str] = field(default_factory=list)
    consulted: list[str] = field(default_factory=list)
    informed: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    links: list[ParsedLink] = field(default_factory=list)
    warnings: list[ParsedWarning] = field(default_factory=list)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParsedWarning(line, message))


# --- field readers -------------------------------------------------------------------


def _reference(file_name: str, line: int, ref: str, kind: str, outgoing: bool) -> ParsedLink:
    found = md_links(ref)
    target_file = file_of(found[0][3] if found else str(ref).strip())
    if not target_file.lower().endswith((".md", ".markdown")):
        target_file = ""
    target = ref_number(ref)
    if target is None and not target_file:
        raise AdrFormatError(
            file_name, line, _("Cannot tell which record %(ref)s points to.") % {"ref": ref}
        )
    return ParsedLink(kind, outgoing, target, line, target_file)


def _record_links(file_name: str, line: int, text: str) -> tuple[list[ParsedLink], str]:
    """The links of a status line that follow a link phrase ("superseded by [X](x.md)"),
    and the text with them taken out. Other links (an ordinary web page) stay text."""
    links, rest, last = [], [], 0
    for start, end, _text, _href in md_links(text):
        before = text[last:start]
        phrase = before.strip().rstrip(":").strip().lower()
        match = next(
            (
                p
                for p in sorted(LINK_PHRASES, key=len, reverse=True)
                if phrase == p or phrase.endswith((" " + p, "." + p, "," + p))
            ),
            None,
        )
        if match is None:
            continue
        kind, outgoing = LINK_PHRASES[match]
        links.append(_reference(file_name, line, text[start:end], kind, outgoing))
        cut = before.lower().rstrip().rstrip(":").rstrip()
        rest.append(before[: len(cut) - len(match)])
        last = end
    rest.append(text[last:])
    return links, "".join(rest).strip(" \t,;.")


def _apply_status(file_name: str, line: int, text: str, adr: ParsedAdr) -> bool:
    """Read one status line; False when it holds neither a status nor a record link."""
    text = COMMENT.sub("", str(text)).strip()
    links, rest = _record_links(file_name, line, text)
    adr.links.extend(links)
    superseded = any(link.kind == LinkKind.SUPERSEDES and not link.outgoing for link in links)
    status = nearest_status(rest) if rest else None
    if status is None and superseded:
        status = AdrStatus.SUPERSEDED
    if status is None:
        return bool(links)
    if adr.status:
        return True  # the first status line decides; a second one is a link line
    adr.status = status
    plain = rest.lower().strip(" .")
    if plain != status and not (superseded and plain in ("superseded", "superceded", "")):
        adr.status_note = text[:200]
        if plain not in AdrStatus.values and plain not in STATUS_TRANSLATIONS:
            adr.warn(line, _status_warning(text, status))
    return True


def _status_warning(value: str, status: str) -> str:
    return _("Status %(value)r is not one of %(choices)s; imported as %(status)s.") % {
        "value": value,
        "choices": ", ".join(AdrStatus.values),
        "status": status,
    }


def _apply_meta(file_name: str, line: int, key: str, value, adr: ParsedAdr) -> bool:
    """Fill a field from ``key: value``; False when the key is not one the portal knows."""
    key = key.strip().strip("*_").strip().lower()
    if key in FRONT_MATTER_LINKS:
        kind, outgoing = FRONT_MATTER_LINKS[key]
        refs = value if isinstance(value, list) else split_names(value)
        for ref in refs:
            adr.links.append(_reference(file_name, line, str(ref), kind, outgoing))
        return True
    target = META_KEYS.get(key)
    if target is None:
        return False
    if target == "status":
        if (
            value is not None
            and str(value).strip()
            and not _apply_status(file_name, line, str(value), adr)
        ):
            adr.status = AdrStatus.PROPOSED
            adr.status_note = str(value).strip()[:200]
            adr.warn(line, _status_warning(str(value).strip(), AdrStatus.PROPOSED))
    elif target == "date":
        if value is None or not str(value).strip():
            return True
        adr.date = parse_date(value)
        if adr.date is None:
            adr.warn(
                line,
                _("%(value)r is not a date (expected YYYY-MM-DD or DD.MM.YYYY); the date is "
                  "left unknown.") % {"value": str(value).strip()},
            )  # fmt: skip
    elif target in PEOPLE_FIELDS:
        setattr(adr, target, split_names(value))
    elif target == "tags":
        adr.tags = split_names(value)
    elif target == "elements":
        adr.elements = [name.lower() for name in split_names(value)]
    return True


def _front_matter(file_name: str, text: str, adr: ParsedAdr) -> tuple[str, int]:
    try:
        front = parse_front_matter(text)
    except FrontMatterError as exc:
        raise AdrFormatError(file_name, exc.line, exc.message) from exc
    for key, value in front.meta.items():
        line = front.line_of(key, 2)
        if not _apply_meta(file_name, line, str(key), value, adr):
            adr.warn(
                line,
                _("Unknown metadata key %(key)r; its value is not imported.") % {"key": str(key)},
            )
    return front.body, front.body_line


# --- the whole file ------------------------------------------------------------------


def _identify(
    file_name: str, adr_number: re.Match | None
) -> tuple[int | None, datetime.date | None]:
    base = file_name.rsplit("/", 1)[-1]
    day = FILE_DAY.match(base)
    if day:
        try:
            return None, datetime.date(int(day[1]), int(day[2]), int(day[3]))
        except ValueError:
            pass
    if adr_number:
        return int(adr_number.group(1)), None
    raise AdrFormatError(
        file_name,
        1,
        _(
            "The file name must start with the record number or the day, e.g. "
            "0001-title.md or 20240131-title.md."
        ),
    )


def _title(file_name: str, lines: list[str], index: int, adr: ParsedAdr, offset: int) -> int:
    while index < len(lines) and (not lines[index].strip() or COMMENT_LINE.match(lines[index])):
        index += 1
    if index >= len(lines) or not TITLE.match(lines[index]) or lines[index].startswith("##"):
        raise AdrFormatError(
            file_name,
            min(index, max(len(lines) - 1, 0)) + offset,
            _("Expected the title line '# …' here."),
        )
    numbered = NUMBERED_TITLE.match(lines[index])
    if numbered and adr.number is not None and int(numbered.group(1)) == adr.number:
        adr.title = numbered.group(2)
    else:
        adr.title = TITLE.match(lines[index]).group(1)
    return index + 1


def parse_adr(file_name: str, text: str) -> ParsedAdr:
    number, day = _identify(file_name, FILE_NUMBER.match(file_name.rsplit("/", 1)[-1]))
    line = nul_line(text)
    if line is not None:
        raise AdrFormatError(file_name, line, nul_message(file=True))
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    adr = ParsedAdr(file_name=file_name, number=number, title="", status="", file_day=day)
    body, offset = _front_matter(file_name, text, adr)
    lines = body.split("\n")
    index = _title(file_name, lines, 0, adr, offset)
    buckets, preamble, meta_sections = _sections(file_name, lines, index, offset, adr)
    moved = _meta_sections(file_name, meta_sections, adr)
    if not adr.status:
        adr.status = AdrStatus.PROPOSED
    if moved:
        preamble = [*preamble, "", *moved]
    if "\n".join(preamble).strip():
        buckets["context"] = [*preamble, "", *buckets["context"]]
    adr.sections = {name: "\n".join(body).strip() for name, body in buckets.items()}
    if adr.date is None and adr.file_day is not None:
        adr.date = adr.file_day  # log4brains: the day in the name is when it was written
    adr.links = _links_elsewhere(file_name, adr)
    return adr


MetaSection = tuple[str, int, list[tuple[int, str]]]


def _sections(
    file_name: str, lines: list[str], index: int, offset: int, adr: ParsedAdr
) -> tuple[dict[str, list[str]], list[str], list[MetaSection]]:
    """The lines after the title by section; the lines before the first section (the
    preamble, where metadata lines are read into ``adr``); and the metadata sections
    ("## Status", "## Date"...) with their numbered lines."""
    buckets: dict[str, list[str]] = {name: [] for name in SECTION_ORDER}
    preamble: list[str] = []
    meta_sections: list[MetaSection] = []
    current: str | None = None
    in_fence = False
    for number, line in enumerate(lines[index:], start=index + offset):
        if FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading:
            name = COMMENT.sub("", heading.group(2)).strip().rstrip(":").lower()
            level = len(heading.group(1))
            if level == 2 and name in META_KEYS:
                current = "meta"
                meta_sections.append((name, number, []))
                continue
            if name in SECTION_NAMES and (level == 2 or SECTION_NAMES[name] != "outcome"):
                current = SECTION_NAMES[name]
                if name in KEPT_SUBHEADINGS:
                    buckets[current].append("#### " + COMMENT.sub("", heading.group(2)).strip())
                continue
        if not in_fence and COMMENT_LINE.match(line):
            continue
        if current is None:
            meta = None if in_fence else META_LINE.match(line)
            if meta and _apply_meta(file_name, number, meta["key"], meta["value"], adr):
                continue
            if meta and meta["item"] and not preamble_has_text(preamble):
                adr.warn(
                    number,
                    _("Unknown metadata key %(key)r; the line is kept in the context.")
                    % {"key": meta["key"].strip()},
                )
            preamble.append(line)
        elif current == "meta":
            if line.strip():
                meta_sections[-1][2].append((number, line))
        else:
            buckets[current].append(line)
    if in_fence:
        raise AdrFormatError(file_name, len(lines) + offset - 1, _("A code block is not closed."))
    return buckets, preamble, meta_sections


def _links_elsewhere(file_name: str, adr: ParsedAdr) -> list:
    """The record's links without those to itself, each of which is warned about."""
    own_file = file_name.rsplit("/", 1)[-1]
    kept = []
    for link in adr.links:
        to_itself = (link.target is not None and link.target == adr.number) or (
            link.target is None and link.target_file == own_file
        )
        if to_itself:
            adr.warn(link.line, _("A record cannot link to itself; the link is left out."))
        else:
            kept.append(link)
    return kept


def preamble_has_text(preamble: list[str]) -> bool:
    """Metadata lines sit right under the title; after prose, "Key: value" is prose."""
    return any(line.strip() and not META_LINE.match(line) for line in preamble)


def _meta_sections(
    file_name: str, sections: list[tuple[str, int, list[tuple[int, str]]]], adr: ParsedAdr
) -> list[str]:
    """Apply '## Status', '## Date', '## Authors' … sections; return the lines of a
    status section that are neither a status nor a link (kept in the context)."""
    moved: list[str] = []
    for name, heading_line, lines in sections:
        if META_KEYS[name] != "status":
            value = ", ".join(line.strip().lstrip("*-").strip() for _n, line in lines)
            _apply_meta(file_name, lines[0][0] if lines else heading_line, name, value, adr)
            continue
        unread = [(n, line) for n, line in lines if not _apply_status(file_name, n, line, adr)]
        if not adr.status and unread:
            # No line named a status: the first one is the wording, read as proposed.
            number, line = unread.pop(0)
            adr.status = AdrStatus.PROPOSED
            adr.status_note = line.strip()[:200]
            adr.warn(number, _status_warning(line.strip(), AdrStatus.PROPOSED))
        for number, line in unread:
            moved.append(line)
            adr.warn(
                number,
                _("This line of the Status section is neither a status nor a record "
                  "link; it is kept in the context.")
            )  # fmt: skip
    return moved
