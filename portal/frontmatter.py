"""YAML front matter at the top of a Markdown file: the one reader every import uses
(procedures, ADRs, the starter content's own tests).

A block opens with a line holding only ``---`` and closes with ``---`` or ``...``
(YAML's document end marker, which some tools write). Errors carry the line they
are on, counted from 1 in the whole file, so that an import can say where to look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext as _

_FENCE_OPEN = "---"
_FENCE_CLOSE = ("---", "...")
_TOP_LEVEL_KEY = re.compile(r"^(?P<key>[^\s#:'\"-][^:]*?|'[^']*'|\"[^\"]*\")\s*:(?:\s|$)")


class FrontMatterError(ValueError):
    """The block cannot be read; ``line`` is where the problem is (1-based)."""

    def __init__(self, message: str, line: int):
        self.message = message
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class FrontMatter:
    meta: dict
    body: str
    # The file's line number (1-based) of the body's first line.
    body_line: int
    # Top-level key → the line it is written on, for messages about one key.
    key_lines: dict[str, int] = field(default_factory=dict)

    def __iter__(self):
        # (meta, body, body_line), so callers can unpack it like a tuple.
        return iter((self.meta, self.body, self.body_line))

    def line_of(self, key: str, default: int = 1) -> int:
        return self.key_lines.get(str(key), default)


def has_front_matter(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return first.rstrip() == _FENCE_OPEN


def parse_front_matter(text: str, *, required: bool = False) -> FrontMatter:
    """Split ``text`` (newlines already ``\\n``) into its front matter and body.

    Without a block, the metadata is empty and the body is the whole text, unless
    ``required``, when that is an error on line 1."""
    if not has_front_matter(text):
        if required:
            raise FrontMatterError(
                _("The file does not start with a front matter block between '---' lines."), 1
            )
        return FrontMatter(meta={}, body=text, body_line=1)
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in _FENCE_CLOSE:
            break
    else:
        raise FrontMatterError(_("The front matter is not closed with a '---' line."), 1)
    source = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # The block's first line is the file's line 2.
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrontMatterError(
            _("The front matter is not valid YAML: %(error)s") % {"error": problem}, line
        ) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError(_("The front matter must be a mapping of keys to values."), 2)
    key_lines: dict[str, int] = {}
    for number, line in enumerate(lines[1:end], start=2):
        match = _TOP_LEVEL_KEY.match(line)
        if match:
            key_lines.setdefault(match.group("key").strip("'\""), number)
    return FrontMatter(
        meta=meta,
        body="\n".join(lines[end + 1 :]),
        body_line=end + 2,
        key_lines=key_lines,
    )
