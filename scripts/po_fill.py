#!/usr/bin/env python3
"""Fill a gettext catalogue from a Python dict of translations.

    python scripts/po_fill.py locale/ru/LC_MESSAGES/django.po translations.py

``translations.py`` defines ``T = {"msgid": "перевод", "plural msgid": ["1", "2", "5"]}``.
Entries already translated are left alone unless --force; fuzzy flags on the entries
filled are dropped. Prints what is still untranslated.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line.strip()) for line in lines)


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _field(block: list[str], name: str) -> tuple[int, int] | None:
    """Index range [start, end) of a field (e.g. msgid, msgstr[0]) in a block."""
    prefix = name + " "
    for i, line in enumerate(block):
        if line.startswith(prefix):
            j = i + 1
            while j < len(block) and block[j].startswith('"'):
                j += 1
            return i, j
    return None


def _value(block: list[str], name: str) -> str | None:
    rng = _field(block, name)
    if rng is None:
        return None
    start, end = rng
    first = block[start][len(name) + 1 :]
    return _unquote([first, *block[start + 1 : end]])


def _set(block: list[str], name: str, text: str) -> list[str]:
    start, end = _field(block, name)
    return [*block[:start], f"{name} {_quote(text)}", *block[end:]]


def fill(po_path: Path, translations: dict, force: bool = False) -> list[str]:
    blocks = re.split(r"\n\n+", po_path.read_text(encoding="utf-8").strip("\n"))
    missing: list[str] = []
    out = []
    for raw in blocks:
        block = raw.split("\n")
        msgid = _value(block, "msgid")
        if not msgid:
            out.append(raw)
            continue
        plural = _value(block, "msgid_plural")
        target = translations.get(msgid)
        if plural is not None:
            current = [
                _value(block, f"msgstr[{i}]") or ""
                for i in range(3)
                if _field(block, f"msgstr[{i}]")
            ]
            if target is not None and (force or not all(current)):
                forms = target if isinstance(target, list) else [target] * 3
                for i in range(len(current)):
                    block = _set(block, f"msgstr[{i}]", forms[min(i, len(forms) - 1)])
                block = [ln for ln in block if ln != "#, fuzzy"]
            elif not all(current):
                missing.append(msgid)
        else:
            current = _value(block, "msgstr") or ""
            fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in block)
            if target is not None and (force or not current or fuzzy):
                block = _set(block, "msgstr", target)
                block = [ln.replace(", fuzzy", "") for ln in block if ln != "#, fuzzy"]
            elif not current or fuzzy:
                missing.append(msgid)
        out.append("\n".join(block))
    po_path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
    return missing


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("po")
    parser.add_argument("translations")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    namespace: dict = {}
    exec(Path(args.translations).read_text(encoding="utf-8"), namespace)  # noqa: S102 - dev tool
    missing = fill(Path(args.po), namespace["T"], args.force)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
