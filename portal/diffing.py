"""The one line diff of the portal (difflib): two texts in, rows out, ready for
``templates/portal/_diff.html``. Procedures compare versions with it and ADRs compare
revisions with it; neither knows the other.

Lines that changed in place carry word-level segments, so a reader sees which words
moved, not just that a line differs. Long runs of unchanged lines are folded: a
reviewer reads the changes first and opens the context only when needed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

# Words, runs of spaces, and single other characters: "v1.0," is four tokens, so a
# changed number or punctuation mark is highlighted alone.
_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
CONTEXT = 3
MODES = ("unified", "side")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Line:
    """One row of the unified view. ``kind``: "ctx", "add" or "del"."""

    kind: str
    old_no: int | None
    new_no: int | None
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class Row:
    """One row of the side-by-side view. ``kind``: "ctx", "add", "del" or "chg"."""

    kind: str
    old_no: int | None
    old: tuple[Segment, ...]
    new_no: int | None
    new: tuple[Segment, ...]


@dataclass(frozen=True)
class Fold:
    """A run of unchanged rows hidden behind a "show N unchanged lines" toggle."""

    rows: tuple

    kind = "fold"

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Diff:
    old_label: str
    new_label: str
    mode: str
    items: list = field(default_factory=list)
    added: int = 0
    removed: int = 0

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _plain(text: str) -> tuple[Segment, ...]:
    return (Segment(text),)


def words(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The two lines as segments, the tokens that differ marked ``changed``."""
    a, b = _TOKEN_RE.findall(old), _TOKEN_RE.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def _opcodes(a: list[str], b: list[str]):
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()


def _fold(items: list, context: int) -> list:
    """Replace each run of unchanged rows longer than 2×context (or longer than
    ``context`` at either end) by a Fold, keeping ``context`` rows around changes."""
    out: list = []
    run: list = []

    def flush(at_start: bool, at_end: bool) -> None:
        keep_head = 0 if at_start else context
        keep_tail = 0 if at_end else context
        if len(run) > keep_head + keep_tail + 1:
            out.extend(run[:keep_head])
            out.append(Fold(tuple(run[keep_head : len(run) - keep_tail])))
            out.extend(run[len(run) - keep_tail :])
        else:
            out.extend(run)
        run.clear()

    seen_change = False
    for item in items:
        if item.kind == "ctx":
            run.append(item)
        else:
            flush(at_start=not seen_change, at_end=False)
            seen_change = True
            out.append(item)
    if run:
        # A text with no change at all is shown whole, not as one fold.
        if seen_change:
            flush(at_start=False, at_end=True)
        else:
            out.extend(run)
            run.clear()
    return out


def unified(old: str, new: str, *, old_label: str, new_label: str, context: int = CONTEXT) -> Diff:
    a, b = old.splitlines(), new.splitlines()
    items: list[Line] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            items.extend(
                Line("ctx", i + 1, j + 1, _plain(a[i]))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        dels: list[Line] = []
        adds: list[Line] = []
        for k in range(i2 - i1):
            i = i1 + k
            segments = words(a[i], b[j1 + k])[0] if k < pairs else _plain(a[i])
            dels.append(Line("del", i + 1, None, segments))
        for k in range(j2 - j1):
            j = j1 + k
            segments = words(a[i1 + k], b[j])[1] if k < pairs else _plain(b[j])
            adds.append(Line("add", None, j + 1, segments))
        removed += len(dels)
        added += len(adds)
        items.extend(dels + adds)
    return Diff(old_label, new_label, "unified", _fold(items, context), added, removed)


def side_by_side(
    old: str, new: str, *, old_label: str, new_label: str, context: int = CONTEXT
) -> Diff:
    a, b = old.splitlines(), new.splitlines()
    items: list[Row] = []
    added = removed = 0
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            items.extend(
                Row("ctx", i + 1, _plain(a[i]), j + 1, _plain(b[j]))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
        elif tag == "delete":
            items.extend(Row("del", i + 1, _plain(a[i]), None, ()) for i in range(i1, i2))
            removed += i2 - i1
        elif tag == "insert":
            items.extend(Row("add", None, (), j + 1, _plain(b[j])) for j in range(j1, j2))
            added += j2 - j1
        else:
            removed += i2 - i1
            added += j2 - j1
            for k in range(max(i2 - i1, j2 - j1)):
                i = i1 + k if i1 + k < i2 else None
                j = j1 + k if j1 + k < j2 else None
                if i is not None and j is not None:
                    left, right = words(a[i], b[j])
                    items.append(Row("chg", i + 1, left, j + 1, right))
                elif i is not None:
                    items.append(Row("del", i + 1, _plain(a[i]), None, ()))
                else:
                    items.append(Row("add", None, (), j + 1, _plain(b[j])))
    return Diff(old_label, new_label, "side", _fold(items, context), added, removed)


def diff(old: str, new: str, *, old_label: str, new_label: str, mode: str = "unified") -> Diff:
    """``mode`` is "unified" or "side"; anything else is the unified view."""
    build = side_by_side if mode == "side" else unified
    return build(old, new, old_label=old_label, new_label=new_label)


def changes_only(d: Diff) -> list:
    """The changed rows of a diff, without context or folds (for a conflict notice)."""
    return [item for item in d.items if item.kind not in ("ctx", "fold")]
