"""The starter regulations are well-formed in both languages and link only to each other."""

import re
from pathlib import Path

import pytest

from portal.elements import ElementCode
from portal.frontmatter import parse_front_matter

STARTER = Path(__file__).resolve().parents[2] / "procedures" / "starter"
LANGUAGES = ("en", "ru")
REQUIRED = {"slug", "title", "category", "elements", "review_interval_days", "required_approvals",
            "version", "change_kind", "change_summary"}  # fmt: skip
CATEGORIES = {
    "code-versioning", "dataset-versioning", "model-file-versioning", "environment-versioning",
    "metric-logging", "infrastructure-usage", "model-metric-monitoring",
}  # fmt: skip


def _split(path: Path):
    # The parser the import uses, so this test cannot pass on a file the import refuses.
    meta, body, _line = parse_front_matter(path.read_text(encoding="utf-8"), required=True)
    return meta, body


FILES = sorted(STARTER.glob("*/*.md"))


def test_each_language_has_all_seven():
    for lang in LANGUAGES:
        assert {p.stem for p in (STARTER / lang).glob("*.md")} == CATEGORIES


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_front_matter_and_body(path):
    meta, body = _split(path)
    assert REQUIRED <= set(meta)
    assert meta["slug"] == path.stem == meta["category"]
    assert set(meta["elements"]) <= set(ElementCode.values)
    assert isinstance(meta["version"], str) and re.fullmatch(r"\d+\.\d+", meta["version"])
    assert len(body.strip()) > 2000
    assert "\x00" not in body
    for target in re.findall(r"\]\(/procedures/([^/)]+)/?\)", body):
        assert target in CATEGORIES, f"{path.name} links to unknown procedure {target}"


@pytest.mark.parametrize("slug", sorted(CATEGORIES))
def test_languages_agree_on_metadata(slug):
    en, _ = _split(STARTER / "en" / f"{slug}.md")
    ru, _ = _split(STARTER / "ru" / f"{slug}.md")
    for key in (
        "slug",
        "category",
        "elements",
        "review_interval_days",
        "required_approvals",
        "version",
    ):
        assert en[key] == ru[key]
