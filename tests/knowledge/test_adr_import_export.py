"""Docs-as-code: real-world-shaped adr-tools and MADR folders import with their
numbers and links, import again without change, and survive export → import."""

import shutil

import pytest
from django.core.management import CommandError, call_command

from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink
from knowledge.services import adr_import, adr_import_directory
from portal.models import AuditEvent
from tests.knowledge.conftest import FIXTURES


def _links():
    return {
        (link.source.number, link.kind, link.target.number)
        for link in AdrLink.objects.select_related("source", "target")
    }


def _records():
    """Everything a record holds, to compare two imports."""
    rows = {}
    for adr in Adr.objects.prefetch_related("tags", "elements"):
        rows[adr.number] = (
            adr.title,
            adr.slug,
            adr.status,
            adr.date,
            tuple(adr.decision_makers),
            tuple(adr.consulted),
            tuple(adr.informed),
            tuple(sorted(t.name for t in adr.tags.all())),
            tuple(sorted(e.code for e in adr.elements.all())),
            tuple(sorted(adr.sections().items())),
        )
    links = {
        (min(s, t), max(s, t), k) if k == LinkKind.RELATES_TO else (s, t, k) for s, k, t in _links()
    }
    return rows, links


def test_it_imports_an_adr_tools_folder(alice):
    report = adr_import_directory(actor=alice, directory=FIXTURES / "adr-tools")
    assert report.errors == []
    assert sorted(report.created) == [1, 2, 3, 4, 5]
    first = Adr.objects.get(number=1)
    assert first.title == "Record architecture decisions"
    assert first.status == AdrStatus.ACCEPTED
    assert first.date.isoformat() == "2024-01-02"
    assert "Michael Nygard" in first.outcome
    dvc = Adr.objects.get(number=2)
    assert dvc.status == AdrStatus.SUPERSEDED
    assert dvc.date.isoformat() == "2024-03-14"  # adr-tools' old dd/mm/yyyy
    kserve = Adr.objects.get(number=3)
    assert "## not a heading" in kserve.outcome  # a heading-like line inside code stays code
    cyrillic = Adr.objects.get(number=5)
    assert cyrillic.title == "Выбор хранилища моделей"
    assert cyrillic.slug == "vybor-khranilishcha-modeley"
    # Both ends of each link say it; each is stored once.
    assert _links() == {(4, LinkKind.SUPERSEDES, 2), (5, LinkKind.AMENDS, 3)}


def test_it_imports_a_madr_folder_of_versions_2_3_and_4(alice):
    report = adr_import_directory(actor=alice, directory=FIXTURES / "madr")
    assert report.errors == []
    assert sorted(report.created) == [1, 2, 3, 4, 5]  # adr-template.md is not a record
    tracking = Adr.objects.get(number=2)
    assert tracking.status == AdrStatus.SUPERSEDED
    assert tracking.decision_makers == ["Irina Volkova", "Pavel Smirnov"]
    assert tracking.consulted == ["Data science team"]
    assert "Self-hosted" in tracking.drivers
    assert "### ClearML" in tracking.pros_cons
    assert "mlflow.start_run" in tracking.confirmation
    assert tracking.more_info.startswith("Revisit")
    assert "optional element" not in tracking.context  # template comments are dropped
    feast = Adr.objects.get(number=3)  # MADR 2
    assert feast.status == AdrStatus.PROPOSED
    assert feast.decision_makers == ["Pavel Smirnov", "Olga Kuznetsova"]
    assert "#### Positive Consequences" in feast.consequences
    assert "Technical Story" in feast.context
    postgres = Adr.objects.get(number=4)  # MADR 3
    assert postgres.decision_makers == ["Irina Volkova"]
    assert "Kyverno" in postgres.confirmation
    quotas = Adr.objects.get(number=5)
    assert quotas.title == "Квоты GPU для команд"
    assert sorted(t.name for t in quotas.tags.all()) == ["gpu", "quotas"]
    assert sorted(e.code for e in quotas.elements.all()) == ["hardware", "people"]
    assert _links() == {(4, LinkKind.SUPERSEDES, 2), (5, LinkKind.RELATES_TO, 4)}


@pytest.mark.parametrize("folder", ["adr-tools", "madr"])
def test_importing_again_changes_nothing(alice, folder):
    adr_import_directory(actor=alice, directory=FIXTURES / folder)
    before = _records()
    events = AuditEvent.objects.count()
    report = adr_import_directory(actor=alice, directory=FIXTURES / folder)
    assert report.created == report.updated == []
    assert sorted(report.unchanged) == [1, 2, 3, 4, 5]
    assert report.links_added == 0
    assert _records() == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("folder", ["adr-tools", "madr"])
@pytest.mark.parametrize("fmt", ["madr", "nygard"])
def test_import_export_import_gives_the_same_records(alice, tmp_path, folder, fmt):
    adr_import_directory(actor=alice, directory=FIXTURES / folder)
    first = _records()
    call_command("export_adrs", str(tmp_path / "out"), "--format", fmt)
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(written) == 5
    Adr.objects.all().delete()
    report = adr_import_directory(actor=alice, directory=tmp_path / "out")
    assert report.errors == []
    assert _records() == first
    # And once more: the exported files are a fixed point.
    call_command("export_adrs", str(tmp_path / "again"), "--format", fmt)
    for name in written:
        assert (tmp_path / "again" / name).read_text() == (tmp_path / "out" / name).read_text()


def test_exported_files_look_like_the_tools_write_them(alice, tmp_path):
    adr_import_directory(actor=alice, directory=FIXTURES / "adr-tools")
    call_command("export_adrs", str(tmp_path), "--format", "nygard")
    text = (tmp_path / "0004-use-lakefs-for-dataset-versioning.md").read_text()
    assert text.startswith("# 4. Use lakeFS for dataset versioning\n\nDate: 2024-09-05\n")
    assert (
        "## Status\n\nAccepted\n\nSupersedes [2. Use DVC for dataset versioning](0002-use-dvc-for-dataset-versioning.md)"
        in text
    )
    assert (
        (tmp_path / "0005-vybor-khranilishcha-modeley.md")
        .read_text()
        .startswith("# 5. Выбор хранилища моделей")
    )
    call_command("export_adrs", str(tmp_path / "madr"), "--format", "madr")
    madr = (tmp_path / "madr" / "0002-use-dvc-for-dataset-versioning.md").read_text()
    assert madr.startswith("---\nstatus: superseded\ndate: '2024-03-14'\n")
    assert "superseded-by:\n- 0004-use-lakefs-for-dataset-versioning.md" in madr
    assert "## Context and Problem Statement" in madr


def test_a_bad_file_is_named_with_its_line_and_the_others_still_import(alice):
    report = adr_import_directory(actor=alice, directory=FIXTURES / "broken")
    # A status outside the five imports as the nearest one, with its wording kept.
    assert report.created == [1, 3]
    errors = {(e.file, e.line) for e in report.errors}
    assert errors == {
        ("0002-bad-front-matter.md", 4),
        ("0004-dangling-link.md", 9),
        ("0005-no-title.md", 1),
    }
    assert "0009" in " ".join(e.message for e in report.errors)
    assert [(w.file, w.line) for w in report.warnings] == [("0003-unknown-status.md", 7)]
    assert "Maybe later" in report.warnings[0].message
    maybe = Adr.objects.get(number=3)
    assert (maybe.status, maybe.status_note) == (AdrStatus.PROPOSED, "Maybe later")


def test_the_command_reports_bad_files_and_exits_non_zero(alice, tmp_path, capsys):
    shutil.copytree(FIXTURES / "broken", tmp_path / "broken")
    with pytest.raises(CommandError):
        call_command("import_adrs", str(tmp_path / "broken"))
    err = capsys.readouterr().err
    assert "0003-unknown-status.md, line 7" in err
    assert Adr.objects.filter(number=1).exists()


def test_an_upload_without_a_number_or_not_markdown_is_refused(alice):
    report = adr_import(
        actor=alice,
        files=[
            ("decision.md", "# A decision\n"),
            ("0001-x.txt", "# 1. X\n"),
            ("0002-latin1.md", "# 2. Caf\xe9\n".encode("latin-1")),
        ],
    )
    assert report.created == []
    assert [e.file for e in report.errors] == ["0001-x.txt", "0002-latin1.md", "decision.md"]


def test_a_changed_file_updates_the_record_with_a_revision(alice):
    adr_import(
        actor=alice,
        files=[
            (
                "0001-a.md",
                "# 1. A\n\nDate: 2024-01-01\n\n## Status\n\nProposed\n\n## Context\n\nOld.\n",
            )
        ],
    )
    report = adr_import(
        actor=alice,
        files=[
            (
                "0001-a.md",
                "# 1. A\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nNew.\n",
            )
        ],
    )
    assert report.updated == [1]
    adr = Adr.objects.get(number=1)
    assert (adr.status, adr.context, adr.revision) == ("accepted", "New.", 2)
    assert adr.status_changes.last().to_status == "accepted"
