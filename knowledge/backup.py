"""Knowledge in a portal backup: decision records as MADR files (the app's own export,
links included), the RACI matrix as a Markdown table, and every row as JSON.

The JSON is what a restore loads; the Markdown is for the people reading the backup.
"""

from __future__ import annotations

import logging

from django.db.models import Q

from inventory.models import Component
from knowledge.models import (
    Activity,
    Adr,
    AdrComponent,
    AdrCounter,
    AdrLink,
    AdrRevision,
    AdrStatusChange,
    Assignment,
    Enrolment,
    Role,
    StepCompletion,
    Tag,
    Track,
    TrackStep,
)
from knowledge.selectors.adr import export_files
from knowledge.selectors.adr_graph import graph_changed
from portal.backup import Table, table_export, table_restore
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


def _component_links_export(writer) -> None:
    links = AdrComponent.objects.select_related("adr", "component__cluster").order_by(
        "adr__number", "component__cluster__name", "component__pk"
    )
    rows = [
        {
            "adr": link.adr.number,
            "cluster": link.component.cluster.name,
            "namespace": link.component.namespace,
            "kind": link.component.kind,
            "workload_name": link.component.workload_name,
            "name": link.component.name,
            "version": link.component.version,
        }
        for link in links
    ]
    writer.write_json(COMPONENT_LINKS, rows)


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
        subjects.append(AdrComponent(adr_id=adr_pk, component_id=found[key]))
    AdrComponent.objects.bulk_create(subjects, ignore_conflicts=True)


def knowledge_export(writer) -> None:
    for table in TABLES:
        table_export(writer, table)
    _component_links_export(writer)
    for name, text in sorted(export_files(Adr.objects.all(), "madr").items()):
        writer.write_text(f"knowledge/adr/{name}", text)
    writer.write_text("knowledge/raci.md", raci_markdown())


def knowledge_restore(reader) -> None:
    for table in TABLES:
        table_restore(reader, table)
    if reader.has(COMPONENT_LINKS):
        _component_links_restore(reader.read_json(COMPONENT_LINKS))
    graph_changed()


def register() -> None:
    registry.add_backup_part(
        40,
        "knowledge",
        knowledge_export,
        knowledge_restore,
        must_be_empty=tuple(t.label for t in TABLES),
    )
