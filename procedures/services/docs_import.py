"""Loading docs-as-code files: each file becomes a new draft, an update of the open
draft, or nothing when it says what the portal already says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.errors import WorkflowError
from portal.policy import require
from procedures.choices import VersionStatus
from procedures.content import normalise_body
from procedures.docs_as_code import DocumentError, ProcedureDocument, parse_document
from procedures.models import Category, Procedure, ProcedureVersion
from procedures.services.procedure import procedure_create, procedure_update
from procedures.services.version import version_create, version_update

CREATED = "created"
NEW_DRAFT = "new_draft"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"


@dataclass(frozen=True)
class ImportOutcome:
    name: str
    result: str
    slug: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.result != ERROR


def _same_text(version: ProcedureVersion | None, document: ProcedureDocument) -> bool:
    return (
        version is not None
        and version.title == document.title
        and version.body == normalise_body(document.body)
    )


def _meta_changes(procedure: Procedure, document: ProcedureDocument, category: Category) -> dict:
    changes: dict = {}
    if procedure.category_id != category.pk:
        changes["category"] = category
    if sorted(e.code for e in procedure.elements.all()) != sorted(document.elements):
        changes["elements"] = list(document.elements)
    if procedure.review_interval_days != document.review_interval_days:
        changes["review_interval_days"] = document.review_interval_days
    if procedure.required_approvals != document.required_approvals:
        changes["required_approvals"] = document.required_approvals
    return changes


@transaction.atomic
def procedure_import_document(
    *, actor, document: ProcedureDocument, name: str = ""
) -> ImportOutcome:
    require(actor, "procedure.import")
    category = Category.objects.filter(slug=document.category).first()
    if category is None:
        raise ValidationError(
            {"category": [_("Unknown category %(slug)r.") % {"slug": document.category}]}
        )
    procedure = Procedure.objects.filter(slug=document.slug).first()
    if procedure is None:
        procedure_create(
            actor=actor,
            title=document.title,
            slug=document.slug,
            category=category,
            body=document.body,
            elements=document.elements,
            review_interval_days=document.review_interval_days,
            required_approvals=document.required_approvals,
            change_summary=document.change_summary,
            change_kind=document.change_kind,
            number=document.version_tuple,
        )
        return ImportOutcome(name=name, result=CREATED, slug=document.slug)
    if procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has been withdrawn."), code="withdrawn")

    result = UNCHANGED
    changes = _meta_changes(procedure, document, category)
    if changes:
        procedure_update(actor=actor, procedure=procedure, **changes)
        result = UPDATED
    open_version = procedure.versions.open().first()
    reference = open_version or (
        procedure.versions.filter(status=VersionStatus.APPROVED)
        .order_by("-major", "-minor")
        .first()
    )
    if _same_text(reference, document):
        return ImportOutcome(name=name, result=result, slug=document.slug)
    if open_version is not None:
        if not open_version.is_editable:
            raise WorkflowError(
                _(
                    "Version %(number)s is in review; the file's changes can wait until it is decided."
                )
                % {"number": open_version.number},
                code="in_review",
            )
        version_update(
            actor=actor,
            version=open_version,
            revision=open_version.revision,
            title=document.title,
            body=document.body,
            change_summary=document.change_summary,
            change_kind=document.change_kind,
            effective_from=open_version.effective_from,
        )
        return ImportOutcome(name=name, result=UPDATED, slug=document.slug)
    version_create(
        actor=actor,
        procedure=procedure,
        title=document.title,
        body=document.body,
        change_kind=document.change_kind,
        change_summary=document.change_summary,
        number=document.version_tuple,
    )
    return ImportOutcome(name=name, result=NEW_DRAFT, slug=document.slug)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def procedures_import_directory(*, actor, directory: Path) -> list[ImportOutcome]:
    """Import every ``*.md`` file of ``directory``. Deliberately not one transaction:
    each file is loaded or refused on its own, so one bad file stops nothing else."""
    outcomes = []
    for path in sorted(Path(directory).glob("*.md")):
        try:
            document = parse_document(path.read_bytes())
            outcomes.append(
                procedure_import_document(actor=actor, document=document, name=path.name)
            )
        except (DocumentError, ValidationError, WorkflowError, PermissionDenied, OSError) as exc:
            outcomes.append(ImportOutcome(name=path.name, result=ERROR, message=_error_text(exc)))
    return outcomes
