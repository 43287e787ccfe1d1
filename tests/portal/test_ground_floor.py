"""The portal is the ground floor: it imports no app, so apps can be added or removed
without touching it (they register with portal.registry instead)."""

import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_the_portal_imports_no_app():
    ours = [c.name for c in apps.get_app_configs() if Path(c.path).parent == ROOT]
    others = sorted(set(ours) - {"portal"})
    assert {"procedures", "inventory", "knowledge"} <= set(others)
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(others)})\b", re.M)
    found = {
        str(path.relative_to(ROOT)): pattern.findall(path.read_text(encoding="utf-8"))
        for path in (ROOT / "portal").rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: names for path, names in found.items() if names} == {}
