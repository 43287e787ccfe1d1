"""Procedures in a portal backup: every version as a docs-as-code Markdown file that a
person can read, the rows that hold the workflow as JSON.

A version's text is restored from its Markdown file, and a frozen version is only
restored when that text gives back the content hash its approvals signed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Prefetch

from portal.backup import BackupError, Table, table_export, table_load, table_restore
from portal.registry import registry
from procedures.choices import ReviewDecision, VersionStatus
from procedures.content import version_sha256
from procedures.docs_as_code import (
    DocumentError,
    document_from_version,
    parse_document,
    serialise_document,
)
from procedures.models import (
    SYSTEM_USERNAME,
    Acknowledgement,
    Category,
    Procedure,
    ProcedureVersion,
    Review,
)

CATEGORIES = "procedures/categories.json"
PROCEDURES = Table(
    Procedure,
    "procedures/procedures.json",
    users=("owner",),
    natural={"category": "slug"},
    m2m={"elements": "code"},
)
VERSIONS = Table(ProcedureVersion, "procedures/versions.json", users=("author",), omit=("body",))
REVIEWS = Table(Review, "procedures/reviews.json", users=("reviewer",))
ACKNOWLEDGEMENTS = Table(Acknowledgement, "procedures/acknowledgements.json", users=("user",))
CATEGORY_FIELDS = ("slug", "name", "name_ru", "description", "order")


def version_file(slug: str, major: int, minor: int) -> str:
    return f"procedures/{slug}/{major}.{minor}.md"


def procedures_export(writer) -> None:
    categories = [
        {name: getattr(c, name) for name in CATEGORY_FIELDS}
        for c in Category.objects.order_by("slug")
    ]
    writer.write_json(CATEGORIES, categories)
    writer.count(Category._meta.label, len(categories))
    procedures = {p["id"]: p for p in table_export(writer, PROCEDURES)}

    def with_file(row: dict) -> dict:
        slug = procedures[row["procedure"]]["slug"]
        return {**row, "file": version_file(slug, row["major"], row["minor"])}

    table_export(writer, VERSIONS, transform=with_file)
    approvals = Review.objects.filter(decision=ReviewDecision.APPROVE).select_related("reviewer")
    versions = (
        ProcedureVersion.objects.select_related("procedure__category")
        .prefetch_related("procedure__elements", Prefetch("reviews", queryset=approvals))
        .order_by("procedure_id", "major", "minor")
    )
    for version in versions:
        signed = [r for r in version.reviews.all() if r.content_sha256 == version.content_sha256]
        writer.write_text(
            version_file(version.procedure.slug, version.major, version.minor),
            serialise_document(document_from_version(version, signed)),
        )
    table_export(writer, REVIEWS)
    table_export(writer, ACKNOWLEDGEMENTS)


def _categories_restore(reader) -> None:
    rows = reader.read_json(CATEGORIES)
    for row in rows:
        Category.objects.update_or_create(
            slug=row["slug"], defaults={k: row[k] for k in CATEGORY_FIELDS if k != "slug"}
        )
    reader.keys.drop(Category)
    reader.keys.note(Category._meta.label, len(rows))


def _versions_restore(reader) -> None:
    """A version's text comes from its Markdown file, checked against its hash."""
    rows = reader.read_json(VERSIONS.path)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BackupError(f"{VERSIONS.path}: expected a list of objects.")
    files = [row.pop("file", None) for row in rows]
    loaded = iter(files)

    def body_from_file(row: dict, version: ProcedureVersion) -> None:
        name = next(loaded)
        if not isinstance(name, str):
            raise BackupError(f"{VERSIONS.path}: version {version.number} names no file.")
        try:
            version.body = parse_document(reader.read_bytes(name)).body
        except DocumentError as exc:
            raise BackupError(f"{name}: {exc}") from exc
        if version.status != VersionStatus.DRAFT and version_sha256(version) != (
            version.content_sha256
        ):
            raise BackupError(
                f"{name}: the text does not give the content hash "
                f"{version.content_sha256} its approvals signed."
            )

    table_load(VERSIONS, rows, reader.keys, adjust=body_from_file)


def _system_account_restore() -> None:
    """The portal's own account comes back like every missing person, inactive; it
    has no password, so letting it act again (seeders, demo approvals) opens no door."""
    get_user_model()._default_manager.filter(
        username=SYSTEM_USERNAME, is_active=False, password__startswith=UNUSABLE_PASSWORD_PREFIX
    ).update(is_active=True)


def procedures_restore(reader) -> None:
    _system_account_restore()
    _categories_restore(reader)
    table_restore(reader, PROCEDURES)
    _versions_restore(reader)
    table_restore(reader, REVIEWS)
    table_restore(reader, ACKNOWLEDGEMENTS)


def register() -> None:
    registry.add_backup_part(
        20,
        "procedures",
        procedures_export,
        procedures_restore,
        must_be_empty=(
            "procedures.Procedure",
            "procedures.ProcedureVersion",
            "procedures.Review",
            "procedures.Acknowledgement",
        ),
    )
