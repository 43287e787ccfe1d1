"""Knowledge in a portal backup: decision records as MADR files (the app's own export,
links included), the RACI matrix as a Markdown table, and every row as JSON.

The JSON is what a restore loads; the Markdown is for the people reading the backup.
"""

from __future__ import annotations

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
from portal.backup import Table, table_export, table_restore
from portal.registry import registry

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


def knowledge_export(writer) -> None:
    for table in TABLES:
        table_export(writer, table)
    for name, text in sorted(export_files(Adr.objects.all(), "madr").items()):
        writer.write_text(f"knowledge/adr/{name}", text)
    writer.write_text("knowledge/raci.md", raci_markdown())


def knowledge_restore(reader) -> None:
    for table in TABLES:
        table_restore(reader, table)


registry.add_backup_part(
    40,
    "knowledge",
    knowledge_export,
    knowledge_restore,
    must_be_empty=tuple(t.label for t in TABLES),
)
