"""Files in: DVC projects update datasets, ``iperf3 -J`` results become link
measurements. Each file is read and written on its own (a savepoint), so a bad one is
reported by name and loses nothing of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from data import services
from data.choices import Versioning
from data.formats import MAX_FILE_BYTES, FormatError
from data.formats.dvc import DvcOut, is_dvc_file, parse_dvc
from data.formats.iperf3 import parse_iperf3
from data.models import Dataset, DataStore, NetworkLink
from data.services import require_unless_system


@dataclass
class FileResult:
    name: str
    ok: bool
    message: str


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    updated: int = 0
    created: int = 0
    skipped: int = 0

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    def as_dict(self) -> dict:
        return {
            "updated": self.updated,
            "created": self.created,
            "skipped": self.skipped,
            "files": [{"name": f.name, "ok": f.ok, "message": f.message} for f in self.files],
        }


def _norm(path: str) -> str:
    return path.strip().removeprefix("./").rstrip("/")


def _apply_out(*, actor, out: DvcOut, dataset: Dataset | None, store, report) -> str:
    now = timezone.now()
    changes = {
        "versioning": Versioning.DVC,
        "version_ref": out.version_ref[:200],
    }
    if out.size is not None:
        changes["size_bytes"] = out.size
    if out.files is not None:
        changes["file_count"] = out.files
    if dataset is None:
        services.dataset_create(
            actor=actor,
            name=out.path[:200],
            store=store,
            path=out.path,
            last_updated=now,
            **changes,
        )
        report.created += 1
        return f"{out.path}: created"
    same = all(getattr(dataset, k) == v for k, v in changes.items())
    if same:
        report.skipped += 1
        return f"{out.path}: unchanged"
    services.dataset_update(actor=actor, dataset=dataset, last_updated=now, **changes)
    report.updated += 1
    return f"{out.path}: {dataset.name} → {out.version_ref[:12]}"


def dvc_import(
    *, actor, files: Iterable[tuple[str, bytes]], store: DataStore | None = None
) -> ImportReport:
    """``files``: (path inside the DVC project, content). Outputs are matched to
    datasets by path (or name); with ``store``, outputs of ``.dvc`` files that match no
    dataset become new datasets there (pipeline outputs in ``dvc.lock`` only update)."""
    require_unless_system(actor, "data.edit")
    report = ImportReport()
    for name, content in files:
        try:
            base = str(PurePosixPath(name.replace("\\", "/")).parent)
            outs = parse_dvc(content, name, base="" if base == "." else base)
        except FormatError as exc:
            report.files.append(FileResult(name, False, str(exc)))
            continue
        paths = {o.path for o in outs}
        by_key: dict[str, Dataset] = {}
        for dataset in Dataset.objects.filter(Q(path__in=paths) | Q(name__in=paths)).order_by("pk"):
            by_key.setdefault(_norm(dataset.path), dataset)
            by_key.setdefault(dataset.name, dataset)
        lines = []
        try:
            with transaction.atomic():
                for out in outs:
                    dataset = by_key.get(out.path)
                    if dataset is None and (store is None or name.endswith("dvc.lock")):
                        report.skipped += 1
                        lines.append(f"{out.path}: no dataset with this path")
                        continue
                    lines.append(
                        _apply_out(
                            actor=actor, out=out, dataset=dataset, store=store, report=report
                        )
                    )
        except ValidationError as exc:
            report.files.append(FileResult(name, False, f"{name}: {'; '.join(exc.messages)}"))
            continue
        report.files.append(FileResult(name, True, "; ".join(lines) or "no outputs"))
    return report


def dvc_files_in(folder: Path) -> list[tuple[str, bytes]]:
    """Every ``*.dvc`` and ``dvc.lock`` under ``folder`` (not DVC's own ``.dvc/`` nor
    ``.git/``), with its path inside the folder."""
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in (".dvc", ".git") for part in rel.parts[:-1]) or not path.is_file():
            continue
        if is_dvc_file(path.name):
            with path.open("rb") as handle:  # one byte over the limit is enough to refuse it
                found.append((rel.as_posix(), handle.read(MAX_FILE_BYTES + 1)))
    return found


def iperf3_import(*, actor, link: NetworkLink, files: Iterable[tuple[str, bytes]]) -> ImportReport:
    """Each ``iperf3 -J`` result becomes one measurement of ``link``; the same file
    uploaded again is kept once."""
    require_unless_system(actor, "data.edit", link)
    report = ImportReport()
    for name, content in files:
        try:
            result = parse_iperf3(content, name)
        except FormatError as exc:
            report.files.append(FileResult(name, False, str(exc)))
            continue
        try:
            with transaction.atomic():
                _m, created = services.measurement_record(
                    actor=actor,
                    link=link,
                    gbps=result.gbps,
                    sent_gbps=result.sent_bps / 1e9 if result.sent_bps is not None else None,
                    measured_at=result.measured_at,
                    duration_s=result.duration_s,
                    protocol=result.protocol,
                    streams=result.streams,
                    how=result.how,
                    intervals=[round(b / 1e9, 4) for b in result.intervals_bps],
                    source_name=name,
                )
        except ValidationError as exc:
            report.files.append(FileResult(name, False, f"{name}: {'; '.join(exc.messages)}"))
            continue
        if created:
            report.created += 1
        else:
            report.skipped += 1
        report.files.append(
            FileResult(
                name,
                True,
                f"{result.gbps:.3f} Gbit/s at {result.measured_at:%Y-%m-%d %H:%M} UTC"
                + ("" if created else " (already recorded)"),
            )
        )
    return report
