"""Docs-as-code: a folder (or an upload) of ADR Markdown files into records.

Every file is read first; a file that cannot be read, or links to a record that
exists nowhere, is reported with its name and line and left out, and the rest are
written in one transaction. Importing the same files again changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from knowledge.adr_format import AdrFormatError, ParsedAdr, parse_adr
from knowledge.choices import LinkKind
from knowledge.models import Adr, AdrLink, AdrStatusChange
from knowledge.models.adr import SECTION_FIELDS
from knowledge.selectors.adr_graph import graph_changed
from knowledge.services.adr import (
    _elements,
    _reserve_number,
    _revise,
    _snapshot,
    _tags,
    _user_or_none,
    _validate,
)
from knowledge.slugs import make_slug
from portal.audit import audit_record
from portal.elements import ElementCode
from portal.policy import require
from portal.validation import size_message


@dataclass
class FileError:
    file: str
    line: int
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.message}"


@dataclass
class AdrImportReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    links_added: int = 0
    errors: list[FileError] = field(default_factory=list)
    # Records that were imported, but not exactly as written (see each message).
    warnings: list[FileError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "links_added": self.links_added,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def _read(name: str, content: str | bytes) -> ParsedAdr:
    size = len(content.encode("utf-8") if isinstance(content, str) else content)
    too_big = size_message(size, settings.MARKDOWN_MAX_BYTES, file=True)
    if too_big:
        raise AdrFormatError(name, 1, too_big)
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = content[: exc.start].count(b"\n") + 1
            raise AdrFormatError(name, line, _("The file is not UTF-8 text.")) from exc
    if not name.lower().endswith((".md", ".markdown")):
        raise AdrFormatError(name, 1, _("Only Markdown files (.md) can be imported."))
    parsed = parse_adr(name, content)
    try:
        _validate(parsed.title, parsed.sections)
    except ValidationError as exc:
        raise AdrFormatError(name, 1, "; ".join(exc.messages)) from exc
    unknown = set(parsed.elements) - set(ElementCode.values)
    if unknown:
        raise AdrFormatError(
            name,
            1,
            _("Unknown IS elements: %(codes)s.") % {"codes": ", ".join(sorted(unknown))},
        )
    return parsed


def _number_day_named(parsed: list[ParsedAdr], taken: set[int]) -> None:
    """log4brains names files by day, not number: a file imported before keeps its
    number; new ones get the next free numbers in the order of their days."""
    unnumbered = [p for p in parsed if p.number is None]
    if not unnumbered:
        return
    known = dict(
        Adr.objects.filter(source_file__in=[p.file_name for p in unnumbered]).values_list(
            "source_file", "number"
        )
    )
    following = max(taken | {p.number for p in parsed if p.number is not None} | {0}) + 1
    for adr in sorted(unnumbered, key=lambda p: (p.file_day, p.file_name)):
        if adr.file_name in known:
            adr.number = known[adr.file_name]
        else:
            adr.number = following
            following += 1


def _resolve_links(parsed: list[ParsedAdr]) -> None:
    """A link to a day-named file points at the number that file got."""
    by_file = {p.file_name: p.number for p in parsed}
    wanted = {link.target_file for p in parsed for link in p.links if link.target is None}
    by_file.update(
        {
            name: number
            for name, number in Adr.objects.filter(
                source_file__in=wanted - set(by_file)
            ).values_list("source_file", "number")
        }
    )
    for adr in parsed:
        for link in adr.links:
            if link.target is None:
                link.target = by_file.get(link.target_file)


def _dangling(parsed: list[ParsedAdr], known: set[int]) -> list[tuple[ParsedAdr, FileError]]:
    bad = []
    for adr in parsed:
        for link in adr.links:
            if link.target not in known:
                missing = f"{link.target:04d}" if link.target is not None else link.target_file
                bad.append(
                    (
                        adr,
                        FileError(
                            adr.file_name,
                            link.line,
                            _(
                                "Links to record %(number)s, which is neither among the "
                                "files nor in the portal."
                            )
                            % {"number": missing},
                        ),
                    )
                )
                break
    return bad


def _fields_of(parsed: ParsedAdr, existing: Adr | None) -> dict:
    # A file without a date leaves the date unknown; it never becomes the import day.
    date = parsed.date or (existing.date if existing else None)
    return {
        "title": parsed.title,
        "status": parsed.status,
        "status_note": parsed.status_note,
        "date": date,
        "decision_makers": parsed.decision_makers,
        "consulted": parsed.consulted,
        "informed": parsed.informed,
        **{name: parsed.sections.get(name, "") for name in SECTION_FIELDS},
    }


def _write(actor, parsed: ParsedAdr, existing: Adr | None, report: AdrImportReport) -> Adr:
    values = _fields_of(parsed, existing)
    tags = sorted(set(parsed.tags))
    elements = sorted(set(parsed.elements))
    if existing is None:
        _reserve_number(parsed.number)
        adr = Adr(
            number=parsed.number,
            slug=make_slug(parsed.title),
            source_file=parsed.file_name[:255],
            created_by=_user_or_none(actor),
            **values,
        )
        adr.full_clean(exclude=["elements", "tags", "procedures"])
        adr.save()
        adr.tags.set(_tags(tags))
        adr.elements.set(_elements(elements))
        _revise(adr, actor)
        AdrStatusChange.objects.create(
            adr=adr,
            from_status="",
            to_status=adr.status,
            actor=_user_or_none(actor),
            note=_("imported from %(file)s") % {"file": parsed.file_name},
        )
        audit_record(
            actor=actor,
            verb="adr.import_create",
            obj=adr,
            after={**_snapshot(adr), "status_note": adr.status_note, "file": parsed.file_name},
        )
        report.created.append(adr.number)
        return adr
    adr = existing
    before = {
        **_snapshot(adr),
        "status_note": adr.status_note,
        "tags": sorted(t.name for t in adr.tags.all()),
        "elements": sorted(e.code for e in adr.elements.all()),
    }
    for name, value in values.items():
        setattr(adr, name, value)
    after = {**_snapshot(adr), "status_note": adr.status_note, "tags": tags, "elements": elements}
    if after == before:
        report.unchanged.append(adr.number)
        return adr
    if before["status"] != after["status"]:
        AdrStatusChange.objects.create(
            adr=adr,
            from_status=before["status"],
            to_status=after["status"],
            actor=_user_or_none(actor),
            note=_("imported from %(file)s") % {"file": parsed.file_name},
        )
    adr.slug = make_slug(adr.title)
    adr.revision += 1
    if not adr.source_file:
        adr.source_file = parsed.file_name[:255]
    adr.full_clean(exclude=["elements", "tags", "procedures"])
    adr.save()
    adr.tags.set(_tags(tags))
    adr.elements.set(_elements(elements))
    _revise(adr, actor)
    changed = [k for k in after if after[k] != before[k]]
    audit_record(
        actor=actor,
        verb="adr.import_update",
        obj=adr,
        before={k: before[k] for k in changed},
        after={**{k: after[k] for k in changed}, "file": parsed.file_name},
    )
    report.updated.append(adr.number)
    return adr


def _write_each(actor, parsed: list[ParsedAdr], report: AdrImportReport) -> dict[int, Adr]:
    """Each record in its own savepoint: one that the database or a model rule refuses
    (a tag too long, a field over its limit) is reported with its file and the others
    are still written."""
    existing = {
        a.number: a
        for a in Adr.objects.select_for_update()
        .filter(number__in=[p.number for p in parsed])
        .prefetch_related("tags", "elements")
    }
    rows = {}
    for adr in parsed:
        try:
            with transaction.atomic():
                rows[adr.number] = _write(actor, adr, existing.get(adr.number), report)
        except ValidationError as exc:
            report.errors.append(FileError(adr.file_name, 1, "; ".join(exc.messages)))
        except DatabaseError as exc:
            report.errors.append(
                FileError(
                    adr.file_name,
                    1,
                    _("The record could not be saved: %(error)s")
                    % {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__},
                )
            )
    return rows


def _link_key(source: int, target: int, kind: str):
    # "Relates to" reads the same from both ends: one row, whichever way it was written.
    if kind == LinkKind.RELATES_TO:
        return (min(source, target), max(source, target), kind)
    return (source, target, kind)


def _read_all(files, report: AdrImportReport) -> list[ParsedAdr]:
    parsed: list[ParsedAdr] = []
    for name, content in sorted(files, key=lambda f: f[0]):
        try:
            adr = _read(name, content)
        except AdrFormatError as exc:
            report.errors.append(FileError(exc.file_name, exc.line, exc.message))
            continue
        report.warnings += [FileError(name, w.line, w.message) for w in adr.warnings]
        parsed.append(adr)
    return parsed


def _unique_numbers(parsed: list[ParsedAdr], report: AdrImportReport) -> list[ParsedAdr]:
    seen: dict[int, str] = {}
    kept = []
    for adr in parsed:
        if adr.number in seen:
            report.errors.append(
                FileError(
                    adr.file_name,
                    1,
                    _("Record number %(number)s is also used by %(other)s.")
                    % {"number": f"{adr.number:04d}", "other": seen[adr.number]},
                )
            )
            continue
        seen[adr.number] = adr.file_name
        kept.append(adr)
    return kept


LINK_LEFT_OUT = gettext_lazy(
    "The link to record %(number)s is left out: that record was not imported."
)


@transaction.atomic
def adr_import(*, actor, files: list[tuple[str, str | bytes]]) -> AdrImportReport:
    require(actor, "adr.import")
    report = AdrImportReport()
    parsed = _read_all(files, report)
    in_portal = set(Adr.objects.values_list("number", flat=True))
    _number_day_named(parsed, in_portal)
    parsed = _unique_numbers(parsed, report)
    _resolve_links(parsed)

    while True:
        known = in_portal | {a.number for a in parsed}
        bad = _dangling(parsed, known)
        if not bad:
            break
        for adr, error in bad:
            report.errors.append(error)
            parsed.remove(adr)

    rows = _write_each(actor, parsed, report)
    failed = {p.number for p in parsed} - set(rows)

    wanted = {}
    for adr in parsed:
        if adr.number in failed:
            continue
        for link in adr.links:
            if link.target in failed:
                report.warnings.append(
                    FileError(
                        adr.file_name,
                        link.line,
                        LINK_LEFT_OUT % {"number": f"{link.target:04d}"},
                    )
                )
                continue
            source, target = (
                (adr.number, link.target) if link.outgoing else (link.target, adr.number)
            )
            wanted.setdefault(_link_key(source, target, link.kind), (source, target, link.kind))
    numbers = {n for key in wanted for n in key[:2]}
    by_number = {
        **{a.number: a for a in Adr.objects.filter(number__in=numbers - set(rows))},
        **rows,
    }
    have = {
        _link_key(link.source.number, link.target.number, link.kind)
        for link in AdrLink.objects.filter(
            source__number__in=numbers, target__number__in=numbers
        ).select_related("source", "target")
    }
    for key, (source, target, kind) in sorted(wanted.items()):
        if key in have:
            continue
        AdrLink.objects.create(
            source=by_number[source],
            target=by_number[target],
            kind=kind,
            created_by=_user_or_none(actor),
        )
        audit_record(
            actor=actor,
            verb="adr.link_add",
            obj=by_number[source],
            after={"kind": kind, "target": by_number[target].code, "imported": True},
        )
        report.links_added += 1
    if rows or report.links_added:
        graph_changed()  # titles, statuses or links may have changed
    return report


def adr_import_directory(*, actor, directory: Path) -> AdrImportReport:
    files = [
        (path.name, path.read_bytes())
        for path in sorted(Path(directory).iterdir())
        if path.is_file()
        and path.suffix.lower() in (".md", ".markdown")
        and is_record_file(path.name)
    ]
    return adr_import(actor=actor, files=files)


def is_record_file(name: str) -> bool:
    # README.md, index.md and MADR's templates live beside the records; they are not ones.
    return name[:1].isdigit()
