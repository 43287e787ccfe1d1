"""The Russian UI is complete: every catalogue translates every string, and the
compiled .mo files (committed, so no gettext is needed to run) match their sources."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/ru/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def _entries(po: Path):
    import re

    from scripts.po_fill import _value

    for raw in re.split(r"\n\n+", po.read_text(encoding="utf-8").strip("\n")):
        block = raw.split("\n")
        msgid = _value(block, "msgid")
        if not msgid:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in block)
        if _value(block, "msgid_plural") is not None:
            strs = [_value(block, f"msgstr[{i}]") for i in range(3)]
        else:
            strs = [_value(block, "msgstr")]
        yield msgid, strs, fuzzy


def test_there_are_catalogues():
    assert any(p.parent.parent.parent.parent == ROOT for p in CATALOGUES)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated(po):
    missing = [msgid for msgid, strs, fuzzy in _entries(po) if fuzzy or not all(strs)]
    assert missing == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    msgfmt = subprocess.run(["which", "msgfmt"], capture_output=True, text=True).stdout.strip()
    if not msgfmt:
        pytest.skip("msgfmt (gettext) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check-format", "-o", str(fresh), str(po)], check=True)
    assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make compilemessages`"
