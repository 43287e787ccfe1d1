"""NUL bytes and size limits are found and told by one set of helpers
(portal.validation), and each place that reads a text or a file past the request
layer still refuses a NUL with a clear error: a 400 for a request, a per-file error
for an import, a field error for a service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from portal.validation import (
    check_size,
    has_nul,
    nul_line,
    nul_message,
    refuse_nul,
    size_message,
)


def test_a_nul_is_found_in_text_and_in_bytes():
    assert has_nul("a\x00b") and has_nul(b"a\x00b")
    assert not has_nul("a0b") and not has_nul(b"a\\x00b") and not has_nul("")


def test_the_line_of_the_first_nul_counts_from_one():
    assert nul_line("one\ntwo\nth\x00ree\n\x00") == 3
    assert nul_line(b"\x00") == 1
    assert nul_line("no nul\nhere") is None


def test_refusing_a_nul_names_the_field_when_given():
    with pytest.raises(ValidationError) as keyed:
        refuse_nul("x\x00", "comment")
    assert keyed.value.message_dict == {"comment": [nul_message()]}
    with pytest.raises(ValidationError) as plain:
        refuse_nul(b"\x00")
    assert plain.value.messages == [nul_message(file=True)]
    assert plain.value.code == "nul"
    refuse_nul("clean text", "comment")  # nothing to refuse


def test_a_size_counts_bytes_and_the_limit_itself_is_allowed():
    assert size_message(10, 10) is None
    assert size_message(11, 10) == "The text is 11 bytes; the limit is 10 bytes."
    assert size_message(11, 10, file=True) == "The file is 11 bytes; the limit is 10 bytes."
    check_size("x" * 10, 10)
    # Cyrillic letters are two bytes each in UTF-8: five of them pass 8 bytes.
    with pytest.raises(ValidationError) as refused:
        check_size("гпувв", 8, "body")
    assert refused.value.message_dict == {"body": ["The text is 10 bytes; the limit is 8 bytes."]}
    assert refused.value.error_dict["body"][0].code == "too_large"


def test_markdown_bodies_are_refused_by_the_same_helpers(settings):
    from portal.markdown import validate_markdown

    settings.MARKDOWN_MAX_BYTES = 8
    with pytest.raises(ValidationError, match="NUL"):
        validate_markdown("a\x00")
    with pytest.raises(ValidationError, match="10 bytes; the limit is 8"):
        validate_markdown("гпувв")
    validate_markdown("short")


def test_a_procedure_file_with_a_nul_is_a_document_error():
    from procedures.docs_as_code import DocumentError, parse_document

    with pytest.raises(DocumentError, match="NUL"):
        parse_document(b"---\nslug: x\ntitle: X\ncategory: metric-logging\n---\na\x00b\n")


def test_an_adr_file_with_a_nul_points_at_its_line():
    from knowledge.adr_format import AdrFormatError, parse_adr

    with pytest.raises(AdrFormatError) as refused:
        parse_adr("0001-x.md", "# Title\n\n## Context\n\nbad\x00line\n")
    assert refused.value.line == 5
    assert "NUL" in str(refused.value)


def test_importing_adrs_reports_the_file_with_a_nul_and_keeps_the_others(alice):
    from knowledge.models import Adr
    from knowledge.services.adr_import import adr_import

    report = adr_import(
        actor=alice,
        files=[
            ("0001-good.md", b"# Good\n\n## Context\n\nFine.\n"),
            ("0002-bad.md", b"# Bad\n\n## Context\n\nNUL\x00here\n"),
        ],
    )
    assert [(e.file, e.line) for e in report.errors] == [("0002-bad.md", 5)]
    assert list(Adr.objects.values_list("title", flat=True)) == ["Good"]


def test_a_data_file_with_a_nul_or_too_big_is_a_per_file_error(alice):
    from data.formats import MAX_FILE_BYTES
    from data.imports import dvc_import

    report = dvc_import(
        actor=alice,
        files=[("a.dvc", b"outs: []\x00"), ("b.dvc", b" " * (MAX_FILE_BYTES + 1))],
    )
    assert [(f.name, f.ok) for f in report.files] == [("a.dvc", False), ("b.dvc", False)]
    assert report.files[0].message == f"a.dvc: {nul_message(file=True)}"
    assert "the limit is 5000000 bytes" in report.files[1].message


def test_services_blame_the_field_holding_a_nul(alice, bob, dave):
    from procedures.services import procedure_withdraw, version_request_changes
    from tests.procedures.conftest import submitted

    version = submitted(alice)
    with pytest.raises(ValidationError) as comment:
        version_request_changes(actor=bob, version=version, comment="fix\x00this")
    assert set(comment.value.message_dict) == {"comment"}
    with pytest.raises(ValidationError) as reason:
        procedure_withdraw(actor=dave, procedure=version.procedure, reason="gone\x00")
    assert set(reason.value.message_dict) == {"reason"}
    version.procedure.refresh_from_db()
    assert not version.procedure.is_withdrawn


def test_a_store_endpoint_with_a_nul_is_refused():
    from data.models import validate_endpoint

    with pytest.raises(ValidationError, match="NUL"):
        validate_endpoint("nfs://nas/\x00export")
    validate_endpoint("nfs://nas/export")


def test_a_backup_path_with_a_nul_is_refused():
    from portal.backup.archive import BackupError, _safe_path

    with pytest.raises(BackupError):
        _safe_path("users/\x00.json")
    assert str(_safe_path("users/users.json")) == "users/users.json"
