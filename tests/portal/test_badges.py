"""One label style: every badge is a ``.badge`` with one of the tones portal.css
styles; a status gets its tone from the app that owns it, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.registry import BADGE_TONES, DuplicateRegistration, Registry, registry

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "static" / "css" / "portal.css").read_text()


def test_portal_css_styles_each_tone_and_no_status_code():
    styled = set(re.findall(r"\.badge\.([\w-]+)", CSS))
    assert styled == set(BADGE_TONES)


def test_templates_give_badges_only_tones():
    literal = set()
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        for classes in re.findall(r'class="badge ([^"{]+)"', path.read_text()):
            literal.update(classes.split())
    assert literal and literal <= set(BADGE_TONES), literal - set(BADGE_TONES)


@pytest.mark.parametrize(
    ("code", "tone"),
    [("approved", "ok"), ("in_review", "warn"), ("rejected", "bad"), ("superseded", "muted"),
     ("accepted", "ok"), ("proposed", "warn"), ("failed", "bad")],
)  # fmt: skip
def test_the_apps_name_their_statuses_tones(code, tone):
    assert registry.badge_tones[code] == tone


def test_a_status_given_two_tones_or_an_unknown_tone_is_refused():
    fresh = Registry()
    fresh.add_badge_tones({"rejected": "bad"})
    fresh.add_badge_tones({"rejected": "bad"})
    with pytest.raises(DuplicateRegistration):
        fresh.add_badge_tones({"rejected": "warn"})
    with pytest.raises(ValueError):
        fresh.add_badge_tones({"gone": "grey"})
