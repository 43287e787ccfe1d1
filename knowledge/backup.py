"""Knowledge in a portal backup: decision records as MADR files (the app's own export,
links included), the RACI matrix as a Markdown table, and every row as JSON.

The JSON is what a restore loads; the Markdown is for the people reading the backup.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q

from inventory.models import Component
from knowledge.models import (
    Activity,
    Adr,
    AdrCounter,
    AdrLink,
    AdrRevision,
    AdrStatusChange,
    AdrSubject,
    Assignment,
    Enrolment,
    Role,
    StepCompletion,
    Tag,
    Track,
    TrackStep,
)
from knowledge.selectors.adr import export_files
from knowledge.selectors.adr_components import COMPONENT_TYPE
from portal.backup import Table, table_export, table_restore
from portal.backup.tables import table_load, table_rows
from portal.registry import registry

logger = logging.getLogger(__name__)

# Links to software components, by what names a component in any database: the
# inventory restores clusters and sources only, so components come back with the next
# sync under new ids, and an id kept in the backup would point at the wrong one.
COMPONENT_LINKS = "knowledge/adr-components.json"

TABLES = (
    Table(Tag, "knowledge/tags.json"),
    Table(AdrCounter, "knowledge/adr-counter.json"),
    Table(
        Adr,
        "knowledge/adrs.json",
        users=("created_by",),
        m2m={"elements": "code", "tags": "name", "procedures": "slug"},
    ),
    Table(AdrLink, "knowledge/adr-links.json", users=("created_by",)),
    Table(AdrRevision, "knowledge/adr-revisions.json", users=("author",)),
    Table(AdrStatusChange, "knowledge/adr-status-changes.json", users=("actor",)),
    Table(
        AdrSubject,
        "knowledge/adr-subjects.json",
        natural={"content_type": "app_label.model"},
    ),
    Table(Role, "knowledge/raci-roles.json"),
    Table(
        Activity,
        "knowledge/raci-activities.json",
        natural={"procedure": "slug"},
        m2m={"elements": "code"},
    ),
    Table(Assignment, "knowledge/raci-assignments.json"),
    Table(Track, "knowledge/onboarding-tracks.json"),
    Table(
        TrackStep,
        "knowledge/onboarding-steps.json",
        natural={"procedure": "slug", "adr": "number"},
        m2m={"depends_on": "pk"},
    ),
    Table(
        Enrolment,
        "knowledge/onboarding-enrolments.json",
        users=("user", "buddy", "created_by"),
    ),
    Table(StepCompletion, "knowledge/onboarding-completions.json", users=("completed_by",)),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def raci_markdown() -> str:
    roles = list(Role.objects.order_by("order", "name"))
    activities = list(Activity.objects.prefetch_related("assignments").order_by("order", "name"))
    lines = [
        "# Responsibility (RACI) matrix",
        "",
        "| Activity | " + " | ".join(_cell(r.name) for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for activity in activities:
        letters = {a.role_id: a.letter for a in activity.assignments.all()}
        lines.append(
            f"| {_cell(activity.name)} | " + " | ".join(letters.get(r.pk, "") for r in roles) + " |"
        )
    return "\n".join(lines) + "\n"


def _subjects_export(writer, table: Table) -> None:
    rows = table_rows(table, writer.keys, queryset=AdrSubject.objects.exclude(**COMPONENT_TYPE))
    writer.write_json(table.path, rows)
    writer.count(table.label, len(rows))
    links = list(
        AdrSubject.objects.filter(**COMPONENT_TYPE)
        .select_related("adr")
        .order_by("adr__number", "object_id")
        .values_list("adr__number", "object_id")
    )
    components = Component.objects.select_related("cluster").in_bulk(
        [int(oid) for _n, oid in links if oid.isdigit()]
    )
    writer.write_json(
        COMPONENT_LINKS,
        [
            {
                "adr": number,
                "cluster": c.cluster.name,
                "namespace": c.namespace,
                "kind": c.kind,
                "workload_name": c.workload_name,
                "name": c.name,
                "version": c.version,
            }
            for number, oid in links
            if (c := components.get(int(oid) if oid.isdigit() else None)) is not None
        ],
    )


def _existing_subjects(rows) -> tuple[list, int]:
    """The rows whose object exists in this database, and how many were skipped: a
    subject whose object did not come back is dropped, not restored dangling."""
    if not isinstance(rows, list):
        return rows, 0  # table_load reports the malformed file
    wanted: dict[str, set[str]] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("content_type"), str):
            wanted.setdefault(row["content_type"], set()).add(str(row.get("object_id")))
    present: dict[str, set[str]] = {}
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue  # an unknown type: table_load names it
        pk = model._meta.pk
        keys = []
        for oid in ids:
            try:
                keys.append(pk.to_python(oid))
            except ValidationError:  # an id this type cannot have: nothing to find
                continue
        present[label] = {
            str(k) for k in model._default_manager.filter(pk__in=keys).values_list("pk", flat=True)
        }
    kept, skipped = [], 0
    for row in rows:
        label = row.get("content_type") if isinstance(row, dict) else None
        if label in present and str(row.get("object_id")) not in present[label]:
            logger.warning(
                "Backup: decision subject %s:%s no longer exists; link skipped.",
                label,
                row.get("object_id"),
            )
            skipped += 1
            continue
        kept.append(row)
    return kept, skipped


def _subjects_restore(reader, table: Table) -> None:
    rows, skipped = _existing_subjects(reader.read_json(table.path))
    table_load(table, rows, reader.keys)
    # Skipped rows were read and deliberately dropped: the manifest's count holds.
    reader.keys.note(table.label, skipped)
    if reader.has(COMPONENT_LINKS):
        _component_links_restore(reader.read_json(COMPONENT_LINKS))


def _component_links_restore(links) -> None:
    if not isinstance(links, list):
        logger.warning("Backup: %s is not a list; component links skipped.", COMPONENT_LINKS)
        return
    links = [link for link in links if isinstance(link, dict)]
    if not links:
        return
    numbers = dict(Adr.objects.values_list("number", "pk"))
    match = Q(pk__in=[])
    for link in links:
        match |= Q(
            cluster__name=link.get("cluster"),
            namespace=link.get("namespace"),
            kind=link.get("kind"),
            workload_name=link.get("workload_name"),
        )
    found = {
        (c.cluster.name, c.namespace, c.kind, c.workload_name): c.pk
        for c in Component.objects.select_related("cluster").filter(match)
    }
    content_type_id = None
    subjects = []
    for link in links:
        key = (
            link.get("cluster"),
            link.get("namespace"),
            link.get("kind"),
            link.get("workload_name"),
        )
        adr_pk = numbers.get(link.get("adr"))
        if adr_pk is None or key not in found:
            logger.warning(
                "Backup: ADR-%s's component %s (%s) is not in the inventory yet; link skipped.",
                link.get("adr"),
                link.get("name"),
                "/".join(str(k) for k in key),
            )
            continue
        if content_type_id is None:
            from django.contrib.contenttypes.models import ContentType

            content_type_id = ContentType.objects.get_for_model(Component).pk
        subjects.append(
            AdrSubject(adr_id=adr_pk, content_type_id=content_type_id, object_id=str(found[key]))
        )
    AdrSubject.objects.bulk_create(subjects, ignore_conflicts=True)


def knowledge_export(writer) -> None:
    for table in TABLES:
        if table.model is AdrSubject:
            _subjects_export(writer, table)
        else:
            table_export(writer, table)
    for name, text in sorted(export_files(Adr.objects.all(), "madr").items()):
        writer.write_text(f"knowledge/adr/{name}", text)
    writer.write_text("knowledge/raci.md", raci_markdown())


def knowledge_restore(reader) -> None:
    for table in TABLES:
        if table.model is AdrSubject:
            _subjects_restore(reader, table)
        else:
            table_restore(reader, table)


registry.add_backup_part(
    40,
    "knowledge",
    knowledge_export,
    knowledge_restore,
    must_be_empty=tuple(t.label for t in TABLES),
)
