"""Export the whole portal to a directory and restore it into an empty database."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.backup.archive import BackupError, BackupReader, BackupWriter
from portal.backup.tables import Keys
from portal.registry import registry


def _parts():
    return list(registry.backup_parts)


def portal_export(*, directory: Path, actor=None) -> dict:
    """Write every part's files, then the manifest. Returns the manifest."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} exists and is not an empty directory.")
    directory.mkdir(parents=True, exist_ok=True)
    writer = BackupWriter(directory)
    writer.keys = Keys()
    parts = _parts()
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if fresh and connection.vendor == "postgresql":
            # One snapshot for every table: rows written meanwhile are in all files
            # or in none, so the links between files hold.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for part in parts:
            part.export(writer)
    manifest = writer.finish(parts=[p.name for p in parts], created_at=timezone.now().isoformat())
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="portal.backup_export",
            object_repr=str(directory),
            after={"counts": manifest["counts"], "files": len(manifest["files"])},
        )
    return manifest


def _occupied(parts) -> list[str]:
    found = []
    for part in parts:
        for label in part.must_be_empty:
            n = apps.get_model(label)._default_manager.count()
            if n:
                found.append(f"{label} ({n})")
    return found


def portal_import(*, directory: Path, actor=None) -> dict:
    """Check the whole backup first, then load it in one transaction: all or nothing.
    Returns the counts loaded."""
    reader = BackupReader(Path(directory))
    parts = _parts()
    names = [p.name for p in parts]
    listed = reader.manifest["parts"]
    if sorted(listed) != sorted(names):
        raise BackupError(
            f"The backup has parts {listed}; this portal restores {names}. "
            "Restore it with the portal version that wrote it."
        )
    occupied = _occupied(parts)
    if occupied:
        raise BackupError(
            "The database is not empty (" + ", ".join(occupied) + "). Restore into a "
            "freshly migrated database.",
            code="not_empty",
        )
    reader.keys = Keys()
    try:
        return _load(reader, parts, directory, actor)
    except (IntegrityError, DataError) as exc:
        raise BackupError(f"The backup's rows do not fit together: {exc}") from exc
    except ValidationError as exc:
        raise BackupError(f"The backup holds an invalid value: {' '.join(exc.messages)}") from exc


def _load(reader: BackupReader, parts, directory, actor) -> dict:
    with transaction.atomic():
        for part in parts:
            part.restore(reader)
        expected = reader.manifest["counts"]
        wrong = {
            label: (n, expected.get(label))
            for label, n in reader.keys.loaded.items()
            if expected.get(label) != n
        }
        if wrong:
            raise BackupError(f"Row counts differ from the manifest: {wrong}.")
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), reader.keys.kept_pk_models):
                cursor.execute(sql)
        _reindex_search()
        audit_record(
            actor=actor,
            verb="portal.backup_import",
            object_repr=str(directory),
            after={"counts": reader.keys.loaded, "created_at": reader.manifest.get("created_at")},
        )
    return dict(reader.keys.loaded)


def _reindex_search() -> None:
    # Rows were bulk-inserted, so no signal told the index about them.
    from portal.search import search_reindex_all

    search_reindex_all()
