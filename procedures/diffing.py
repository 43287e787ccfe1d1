"""Line diffs between two version texts (difflib), unified and side by side."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class UnifiedLine:
    kind: str  # "add", "del", "hunk", "ctx", "head"
    text: str


@dataclass(frozen=True)
class SideRow:
    kind: str  # "equal", "add", "del", "chg"
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def _lines(text: str) -> list[str]:
    return text.splitlines()


def unified(old: str, new: str, *, old_label: str, new_label: str, context: int = 3):
    lines = []
    for line in difflib.unified_diff(
        _lines(old), _lines(new), fromfile=old_label, tofile=new_label, lineterm="", n=context
    ):
        if line.startswith(("---", "+++")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append(UnifiedLine(kind, line))
    return lines


def side_by_side(old: str, new: str) -> list[SideRow]:
    a, b = _lines(old), _lines(new)
    rows: list[SideRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                SideRow("equal", i + 1, a[i], j + 1, b[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
        elif tag == "delete":
            rows.extend(SideRow("del", i + 1, a[i], None, "") for i in range(i1, i2))
        elif tag == "insert":
            rows.extend(SideRow("add", None, "", j + 1, b[j]) for j in range(j1, j2))
        else:
            left, right = list(range(i1, i2)), list(range(j1, j2))
            for k in range(max(len(left), len(right))):
                i = left[k] if k < len(left) else None
                j = right[k] if k < len(right) else None
                rows.append(
                    SideRow(
                        "chg",
                        i + 1 if i is not None else None,
                        a[i] if i is not None else "",
                        j + 1 if j is not None else None,
                        b[j] if j is not None else "",
                    )
                )
    return rows
