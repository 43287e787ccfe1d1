"""Procedures as Markdown files: round trip, idempotent import, and a clear error per
bad file while the good ones still load."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from procedures import services
from procedures.docs_as_code import (
    DocumentError,
    ProcedureDocument,
    parse_document,
    serialise_document,
)
from procedures.models import Procedure, ProcedureVersion
from tests.procedures.conftest import approved

GOOD = """---
slug: dataset-versioning
title: Dataset versioning
category: dataset-versioning        # a Category slug
elements: [data, procedures]        # ElementCode values
review_interval_days: 180
required_approvals: 1
version: "1.0"
change_kind: major
change_summary: First version
---
## Purpose

Every dataset has a version.
"""


def test_parse_the_documented_format():
    doc = parse_document(GOOD.encode())
    assert doc == ProcedureDocument(
        slug="dataset-versioning",
        title="Dataset versioning",
        category="dataset-versioning",
        elements=("data", "procedures"),
        review_interval_days=180,
        required_approvals=1,
        version="1.0",
        change_kind="major",
        change_summary="First version",
        body="## Purpose\n\nEvery dataset has a version.\n",
    )


def test_serialise_then_parse_is_identity_including_cyrillic():
    doc = ProcedureDocument(
        slug="versii-dannyh",
        title="Версионирование датасетов: «правила»",
        category="dataset-versioning",
        elements=("data",),
        version="2.1",
        change_kind="minor",
        change_summary="Уточнены сроки",
        body="## Цель\n\n- пункт: с двоеточием\n",
        extra={
            "status": "approved",
            "approvals": [{"by": "bob", "at": "x", "meaning": "approved"}],
        },
    )
    again = parse_document(serialise_document(doc).encode("utf-8"))
    assert again == doc
    assert again.extra["status"] == "approved"


def test_unicode_line_breaks_in_a_title_survive_the_round_trip():
    doc = ProcedureDocument(slug="p", title="0\x850\u2028x", category="metric-logging", body="")
    assert parse_document(serialise_document(doc).encode("utf-8")).title == doc.title


@hsettings(max_examples=40, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80).filter(lambda t: t.strip() and "\x00" not in t),
    body=st.text(max_size=300).filter(lambda t: "\x00" not in t),
)
def test_round_trip_property(title, body):
    from procedures.content import normalise_body

    doc = ProcedureDocument(
        slug="p", title=title.strip(), category="metric-logging", body=normalise_body(body)
    )
    text = serialise_document(doc)
    try:
        parsed = parse_document(text.encode("utf-8"))
    except DocumentError:
        # Control characters YAML cannot carry are refused clearly, never mangled.
        return
    assert parsed.body == doc.body and parsed.title == doc.title


BAD_FILES = {
    "no-front-matter.md": (b"# Just a heading\n", "front matter"),
    "bad-yaml.md": (b"---\nslug: [unclosed\n---\nbody\n", "YAML"),
    "unknown-category.md": (
        b"---\nslug: x1\ntitle: X\ncategory: astrology\n---\nbody\n",
        "Unknown category",
    ),
    "nul.md": (b"---\nslug: x2\ntitle: X\ncategory: metric-logging\n---\na\x00b\n", "NUL"),
    "latin1.md": (
        "---\nslug: x3\ntitle: Caf\xe9\ncategory: metric-logging\n---\n\xe9\n".encode("latin-1"),
        "UTF-8",
    ),
    "bad-element.md": (
        b"---\nslug: x4\ntitle: X\ncategory: metric-logging\nelements: [spaceships]\n---\nb\n",
        "Unknown elements",
    ),
    "bad-version.md": (
        b"---\nslug: x5\ntitle: X\ncategory: metric-logging\nversion: one\n---\nb\n",
        "version",
    ),
    "no-title.md": (b"---\nslug: x6\ncategory: metric-logging\n---\nb\n", "title"),
    "list.md": (b"---\n- a\n- b\n---\nb\n", "mapping"),
}


@pytest.mark.django_db
def test_bad_files_get_their_own_error_and_the_rest_import(tmp_path, alice):
    for name, (data, _reason) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    too_big = b"---\nslug: big\ntitle: Big\ncategory: metric-logging\n---\n" + b"x" * (
        settings.MARKDOWN_MAX_BYTES + 70 * 1024
    )
    (tmp_path / "too-large.md").write_bytes(too_big)
    (tmp_path / "dataset-versioning.md").write_text(GOOD, encoding="utf-8")

    outcomes = {
        o.name: o for o in services.procedures_import_directory(actor=alice, directory=tmp_path)
    }

    assert outcomes["dataset-versioning.md"].result == "created"
    for name, (_data, reason) in BAD_FILES.items():
        assert outcomes[name].result == "error", name
        assert reason.lower() in outcomes[name].message.lower(), (name, outcomes[name].message)
    assert outcomes["too-large.md"].result == "error"
    assert "limit" in outcomes["too-large.md"].message
    assert list(Procedure.objects.values_list("slug", flat=True)) == ["dataset-versioning"]


@pytest.mark.django_db
def test_body_over_the_markdown_limit_is_refused(alice):
    data = b"---\nslug: big\ntitle: Big\ncategory: metric-logging\n---\n" + b"x" * (
        settings.MARKDOWN_MAX_BYTES + 1
    )
    with pytest.raises(DocumentError, match="limit"):
        parse_document(data)


@pytest.mark.django_db
def test_import_is_idempotent_and_changes_make_or_update_a_draft(tmp_path, alice, bob):
    path = tmp_path / "dataset-versioning.md"
    path.write_text(GOOD, encoding="utf-8")
    first = services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert [o.result for o in first] == ["created"]
    again = services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert [o.result for o in again] == ["unchanged"]
    assert ProcedureVersion.objects.count() == 1

    path.write_text(GOOD + "\nA new paragraph.\n", encoding="utf-8")
    changed = services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert [o.result for o in changed] == ["updated"]
    draft = ProcedureVersion.objects.get()
    assert draft.body.endswith("A new paragraph.\n") and draft.revision == 2

    # Once approved, a changed file opens a new draft after it.
    draft = services.version_submit(actor=alice, version=draft)
    services.version_approve(actor=bob, version=draft, content_sha256=draft.content_sha256)
    assert [
        o.result for o in services.procedures_import_directory(actor=alice, directory=tmp_path)
    ] == ["unchanged"]
    path.write_text(
        GOOD.replace('version: "1.0"', 'version: "1.1"').replace("major", "minor") + "\nAnother.\n",
        encoding="utf-8",
    )
    result = services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert [o.result for o in result] == ["new_draft"]
    assert sorted(ProcedureVersion.objects.values_list("major", "minor", "status")) == [
        (1, 0, "approved"),
        (1, 1, "draft"),
    ]


@pytest.mark.django_db
def test_a_file_for_a_version_in_review_is_an_error_not_a_change(tmp_path, alice):
    path = tmp_path / "dataset-versioning.md"
    path.write_text(GOOD, encoding="utf-8")
    services.procedures_import_directory(actor=alice, directory=tmp_path)
    services.version_submit(actor=alice, version=ProcedureVersion.objects.get())
    path.write_text(GOOD + "\nChanged.\n", encoding="utf-8")
    [outcome] = services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert outcome.result == "error" and "in review" in outcome.message
    assert ProcedureVersion.objects.get().status == "in_review"


@pytest.mark.django_db
def test_export_then_import_round_trip_through_the_commands(tmp_path, alice, bob, capsys):
    version = approved(alice, bob, title="Метрики обучения", body="## Что логируем\n\nLoss.\n")
    out = tmp_path / "export"
    call_command("export_procedures", str(out))
    exported = (out / f"{version.procedure.slug}.md").read_text(encoding="utf-8")
    doc = parse_document(exported.encode("utf-8"))
    assert doc.title == "Метрики обучения"
    assert doc.body == version.body
    assert doc.extra["status"] == "approved"
    assert doc.extra["content_sha256"] == version.content_sha256
    assert doc.extra["approvals"][0]["by"] == "bob"
    assert doc.extra["approvals"][0]["meaning"] == "approved"

    # Importing what was exported changes nothing.
    call_command("import_procedures", str(out), "--as", "alice")
    assert ProcedureVersion.objects.count() == 1
    assert "unchanged" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_command_reports_bad_files_and_fails(tmp_path, alice):
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.md").write_bytes(b"no front matter")
    with pytest.raises(CommandError, match="1 refused"):
        call_command("import_procedures", str(tmp_path), "--as", "alice")
    assert Procedure.objects.filter(slug="dataset-versioning").exists()


def test_starter_files_parse():
    """The shipped starter set is in this format (skipped where it is absent)."""
    starter = Path(__file__).resolve().parents[2] / "procedures" / "starter"
    files = sorted(starter.glob("*/*.md"))
    if not files:
        pytest.skip("no starter procedures in this checkout")
    for path in files:
        parse_document(path.read_bytes())
