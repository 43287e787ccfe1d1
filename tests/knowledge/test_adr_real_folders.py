"""Decision logs copied unchanged from public repositories (tests/fixtures/adr/real,
see its SOURCES.md): every record imports, its fields are what the file says,
importing again changes nothing, and a MADR or Nygard export imports back into the
same records."""

import datetime
import re

import pytest
from django.core.management import call_command

from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink
from knowledge.services import adr_import_directory
from portal.models import AuditEvent
from tests.knowledge.conftest import FIXTURES

REAL = FIXTURES / "real"
FOLDERS = sorted(p.name for p in REAL.iterdir() if p.is_dir())
D = datetime.date

# number → (title, status, date, decision makers), read off the raw files by hand.
EXPECTED = {
    "npryce__adr-tools": {
        1: ("Record architecture decisions", AdrStatus.ACCEPTED, D(2016, 2, 12), []),
        2: ("Implement as shell scripts", AdrStatus.ACCEPTED, D(2016, 2, 12), []),
        5: ("Help comments", AdrStatus.ACCEPTED, D(2016, 2, 13), []),
        8: ("Use ISO 8601 Format for Dates", AdrStatus.ACCEPTED, D(2017, 2, 21), []),
    },
    "adr__madr": {
        5: ("Use dashes in filenames", AdrStatus.PROPOSED, None, []),
        13: ("Use YAML front matter for meta data", AdrStatus.PROPOSED, None, []),
        15: ('Include "Consulted" and "Informed" of RACI', AdrStatus.PROPOSED, None, []),
    },
    # Day-named files get numbers in date order.
    "thomvaill__log4brains": {
        1: ("Use Prettier-ESLint Airbnb for the code style", "accepted", D(2020, 9, 25), []),
        2: ("Use the ADR number as its unique ID", AdrStatus.SUPERSEDED, D(2020, 9, 26), []),
        3: ("Avoid default exports", AdrStatus.ACCEPTED, D(2020, 9, 27), []),
        4: ("Use the ADR slug as its unique ID", AdrStatus.ACCEPTED, D(2020, 10, 16), []),
    },
    "gupy-io__searchops": {
        1: ("Optional document schema validation", AdrStatus.PROPOSED, D(2021, 2, 3), []),
    },
    "kreghek__SynAdor": {
        1: ("Использование ADR", AdrStatus.ACCEPTED, D(2020, 1, 12), []),
        7: ("Авторство решений", AdrStatus.ACCEPTED, D(2020, 1, 13), ["kreghek"]),
        9: ("Теги", AdrStatus.PROPOSED, D(2020, 1, 15), ["kreghek"]),
    },
    "ScilifelabDataCentre__dds_web": {
        # "Date: 2020" names a year, not a day: the date stays unknown.
        4: ("Scrypt as the password hashing algorithm", AdrStatus.SUPERSEDED, None, []),
        5: ("Argon2id as the password hashing algorithm", AdrStatus.ACCEPTED, None, []),
        16: ("Pin all dependencies and requirements", AdrStatus.ACCEPTED, D(2022, 4, 14), []),
    },
}
LINKS = {
    "thomvaill__log4brains": {(4, LinkKind.SUPERSEDES, 2)},
    "ScilifelabDataCentre__dds_web": {
        (5, LinkKind.SUPERSEDES, 4),
        (16, LinkKind.SUPERSEDES, 15),
    },
}


def _record_files(folder):
    return sorted(p for p in (REAL / folder).iterdir() if p.suffix == ".md")


def _records():
    rows = {}
    for adr in Adr.objects.prefetch_related("tags", "elements"):
        rows[adr.number] = (
            adr.title,
            adr.slug,
            adr.status,
            adr.status_note,
            adr.date,
            tuple(adr.decision_makers),
            tuple(adr.consulted),
            tuple(adr.informed),
            tuple(sorted(t.name for t in adr.tags.all())),
            tuple(sorted(adr.sections().items())),
        )
    return rows


def _links():
    return {
        (link.source.number, link.kind, link.target.number)
        for link in AdrLink.objects.select_related("source", "target")
    }


def test_there_are_six_real_folders_in_both_formats_and_two_languages():
    assert len(FOLDERS) >= 6
    assert set(EXPECTED) == set(FOLDERS)
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{folder}/`" in sources for folder in FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_record_of_a_real_folder_imports_as_written(alice, folder):
    report = adr_import_directory(actor=alice, directory=REAL / folder)
    assert report.errors == []
    assert len(report.created) == len(_record_files(folder))
    for number, (title, status, date, makers) in EXPECTED[folder].items():
        adr = Adr.objects.get(number=number)
        assert (adr.title, adr.status, adr.date, adr.decision_makers) == (
            title,
            status,
            date,
            makers,
        ), number
    assert _links() == LINKS.get(folder, set())


@pytest.mark.parametrize("folder", FOLDERS)
def test_nothing_a_real_file_says_is_lost(alice, folder):
    """Every line of prose in a file ends up in a field of its record."""
    adr_import_directory(actor=alice, directory=REAL / folder)
    by_file = {adr.source_file: adr for adr in Adr.objects.all()}
    for path in _record_files(folder):
        adr = by_file[path.name]
        held = "\n".join([*adr.sections().values(), adr.status_note, adr.title])
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        in_fence = False
        for line in body.split("\n"):
            if line.lstrip().startswith("```"):
                in_fence = not in_fence
            stripped = re.sub(r"<!--.*?-->", "", line).strip()
            skip = not stripped or (not in_fence and re.match(r"^#{1,3}\s", stripped))
            # Metadata lines and status words are fields of their own.
            meta = re.match(r"^[*-]?\s*\w[\w .-]*:\s", stripped) and not in_fence
            if skip or meta or stripped.lower() in {"accepted", "принято", "на рассмотрении"}:
                continue
            if re.match(r"^(Supercedes|Superceded by) \[", stripped) or re.match(
                r"^\d{2}\.\d{2}\.\d{4}$|^kreghek$", stripped
            ):
                continue
            assert stripped in held, (path.name, stripped)


@pytest.mark.parametrize("folder", FOLDERS)
def test_importing_a_real_folder_again_changes_nothing(alice, folder):
    adr_import_directory(actor=alice, directory=REAL / folder)
    before, links, events = _records(), _links(), AuditEvent.objects.count()
    report = adr_import_directory(actor=alice, directory=REAL / folder)
    assert report.errors == report.created == report.updated == []
    assert len(report.unchanged) == len(_record_files(folder))
    assert (_records(), _links(), AuditEvent.objects.count()) == (before, links, events)


@pytest.mark.parametrize("folder", FOLDERS)
def test_madr_and_nygard_round_trips_give_the_same_records(alice, tmp_path, folder):
    adr_import_directory(actor=alice, directory=REAL / folder)
    first, links = _records(), _links()
    for fmt in ("madr", "nygard"):
        out = tmp_path / fmt
        call_command("export_adrs", str(out), "--format", fmt)
        Adr.objects.all().delete()
        report = adr_import_directory(actor=alice, directory=out)
        assert report.errors == [], fmt
        assert _records() == first, fmt
        assert _links() == links, fmt
