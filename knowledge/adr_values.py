"""The values an ADR file writes, read from plain text: lists of names, Markdown
links, the record a reference names, dates. No notion of a record here:
``knowledge.adr_format`` applies them to one."""

from __future__ import annotations

import datetime
import re

COMMENT = re.compile(r"<!--.*?-->")
# log4brains names its files by creation day: 20200924-use-markdown-….md
FILE_DAY = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})-")
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%Y.%m.%d")


def split_names(value) -> list[str]:
    """Names from a list or from text separated by commas — but not the commas
    inside parentheses or brackets ("Irina (ML, platform), Pavel")."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    names, depth, current = [], 0, []
    for char in COMMENT.sub("", str(value)):
        if char in "([{":
            depth += 1
        elif char in ")]}" and depth:
            depth -= 1
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return [name.strip() for name in names if name.strip()]


def md_links(text: str) -> list[tuple[int, int, str, str]]:
    """The outermost Markdown links of ``text``: (start, end, link text, href).
    Brackets nest ("[Superseded by [ADR-19](0019-x.md)] Push"), and ``\\[`` is a
    literal bracket, so a title holding link markup yields its outer link only."""
    links = []
    index = 0
    while index < len(text):
        if text[index] != "[" or (index and text[index - 1] == "\\"):
            index += 1
            continue
        depth, end = 0, None
        for pos in range(index, len(text)):
            char = text[pos]
            if char == "\\":
                continue
            if pos and text[pos - 1] == "\\":
                continue
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    end = pos
                    break
        if end is None or not text.startswith("(", end + 1):
            index += 1
            continue
        close = text.find(")", end + 2)
        href = text[end + 2 : close] if close != -1 else ""
        if close == -1 or not href.strip() or any(c.isspace() for c in href.strip()):
            index = end + 1
            continue
        links.append((index, close + 1, text[index + 1 : end], href.strip()))
        index = close + 1
    return links


def file_of(href: str) -> str:
    return href.split("#", 1)[0].rsplit("/", 1)[-1]


def ref_number(ref) -> int | None:
    """The record number a reference names: a file name, a Markdown link, ADR-0005,
    "5. Title" or a bare number. A day-named file (log4brains) names no number."""
    if isinstance(ref, int):
        return ref
    text = str(ref).strip()
    found = md_links(text)
    candidates = [file_of(found[0][3]), found[0][2]] if found else [file_of(text)]
    for candidate in candidates:
        if FILE_DAY.match(candidate):
            return None
        for pattern in (r"^(\d+)[-_ ]", r"ADR[- ]?(\d+)", r"^(\d+)\.?\s", r"^(\d+)$"):
            match = re.search(pattern, candidate, re.IGNORECASE)
            if match:
                return int(match.group(1))
    return None


def parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = COMMENT.sub("", str(value)).strip()
    for fmt in DATE_FORMATS:  # adr-tools wrote dd/mm/yyyy before ISO 8601
        try:
            return datetime.datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None
