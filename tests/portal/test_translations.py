"""The Russian UI is complete: the .po files are the one source of the translations,
they hold every string the code marks, none is untranslated or fuzzy, and the
compiled .mo files (committed, so no gettext is needed to run) match them."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p for p in ROOT.glob("**/locale/ru/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def _gettext(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} (gettext) is not installed")
    return path


def test_there_are_catalogues():
    assert any(p.parent.parent.parent.parent == ROOT for p in CATALOGUES)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated(po):
    stats = subprocess.run(
        [_gettext("msgfmt"), "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.fullmatch(r"\d+ translated messages?\.\s*", stats), stats


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_gettext("msgfmt"), "--check-format", "-o", str(fresh), str(po)], check=True)
    assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make compilemessages`"


def test_the_catalogues_hold_every_string_of_the_code(tmp_path):
    """`make messages` on a copy of the tree adds nothing the committed .po lacks."""
    _gettext("xgettext")
    copy = tmp_path / "tree"
    ignore = shutil.ignore_patterns(".venv", ".git", "var", "node_modules", "__pycache__", "*.mo")
    shutil.copytree(ROOT, copy, ignore=ignore)
    venv = Path(sys.executable).parent.parent
    subprocess.run(
        ["make", "-s", "messages", f"VENV={venv}", "-o", f"{venv}/.installed"],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=600,
    )
    missing = {}
    for po in CATALOGUES:
        fresh = copy / po.relative_to(ROOT)
        report = subprocess.run(
            [_gettext("msgcmp"), "--use-untranslated", str(po), str(fresh)],
            capture_output=True,
            text=True,
        )
        if report.returncode:
            missing[str(po.relative_to(ROOT))] = re.findall(r'msgid "(.*)"', report.stderr)[
                :20
            ] or [report.stderr[-2000:]]
    assert not missing, (
        f"strings in the code but not in the catalogue (run `make messages`): {missing}"
    )


# Names a Russian engineer reads as they are: products, formats, abbreviations.
TERMS_KEPT_IN_LATIN = {
    "API", "CUDA", "DVC", "Delta", "GPU", "Iceberg", "Kubernetes", "LFS", "Lakehouse",
    "MIG", "ML", "URL", "UUID", "git", "kubelet", "lakeFS", "vCPU",
}  # fmt: skip


def _catalogue(po: Path) -> dict[str, str]:
    import gettext

    with po.with_suffix(".mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # the stdlib reads .mo, not .po
    return {str(k if isinstance(k, str) else k[0]): v for k, v in catalog.items() if k}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_russian_text_is_left_in_english(po):
    """A translation without one Cyrillic letter is an English word left in place,
    unless it is only product names and abbreviations ("GPU", "DVC", "lakeFS")."""
    english = {}
    for msgid, msgstr in _catalogue(po).items():
        if re.search("[а-яё]", msgstr, re.IGNORECASE):
            continue
        words = set(re.findall(r"[A-Za-z]+", re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", msgstr)))
        if words - TERMS_KEPT_IN_LATIN:
            english[msgid] = msgstr
    assert not english, english


# "Я ознакомился", "Подтверждаю": the first person. The UI speaks in one voice: buttons
# say what they do ("Подтвердить ознакомление", "Отметить прочитанным"), states say
# what is ("Ознакомлены").
FIRST_PERSON = re.compile(r"(?i)(?<![а-яё])(я|[а-яё]{3,}(?:аю|яю)|[а-яё]+\(-?ась\))(?![а-яё])")


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_button_speaks_in_the_first_person(po):
    first_person = {
        msgid: msgstr for msgid, msgstr in _catalogue(po).items() if FIRST_PERSON.search(msgstr)
    }
    assert not first_person, first_person
