"""How procedures appear in the portal's search: the procedure with its version in
force, and every earlier or scheduled approved version. The signal handlers below
only keep the index in step; they hold no business rules."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, plain_text, search_refresh_on_commit
from portal.search.kinds import KIND_LABELS
from procedures.choices import VersionPhase, VersionStatus
from procedures.models import Procedure, ProcedureVersion

KIND_PROCEDURE = "procedure"
KIND_VERSION = "procedure_version"


def _url(name: str, fallback: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


def procedure_url(slug: str) -> str:
    return _url("procedures:detail", f"/procedures/{slug}/", slug=slug)


def version_url(slug: str, major: int, minor: int) -> str:
    return _url(
        "procedures:version",
        f"/procedures/{slug}/v{major}.{minor}/",
        slug=slug,
        major=major,
        minor=minor,
    )


def procedure_documents(ids):
    procedures = Procedure.objects.with_current().prefetch_related("elements").order_by("pk")
    if ids is not None:
        procedures = procedures.filter(pk__in=ids)
    procedures = list(procedures)
    current_ids = [p.current_version_id for p in procedures if p.current_version_id]
    bodies = dict(ProcedureVersion.objects.filter(pk__in=current_ids).values_list("pk", "body"))
    for procedure in procedures:
        body = bodies.get(procedure.current_version_id, "")
        yield SearchDocument(
            object_id=procedure.pk,
            url=procedure_url(procedure.slug),
            title=procedure.title,
            body=plain_text(body),
            elements=[e.code for e in procedure.elements.all()],
            updated_at=procedure.updated_at,
            status="withdrawn"
            if procedure.is_withdrawn
            else ("current" if procedure.current_version_id else "draft"),
        )


def version_documents(ids):
    """Approved versions other than the one in force: what was, and what will be."""
    now = timezone.now()
    versions = (
        ProcedureVersion.objects.filter(status=VersionStatus.APPROVED)
        .select_related("procedure")
        .prefetch_related("procedure__elements")
        .order_by("pk")
    )
    if ids is not None:
        versions = versions.filter(pk__in=ids)
    current = dict(
        Procedure.objects.with_current(now)
        .filter(pk__in=versions.values("procedure_id"))
        .values_list("pk", "current_version_id")
    )
    for version in versions.iterator(chunk_size=500):
        if current.get(version.procedure_id) == version.pk:
            continue
        procedure = version.procedure
        scheduled = version.effective_from and version.effective_from > now
        yield SearchDocument(
            object_id=version.pk,
            url=version_url(procedure.slug, version.major, version.minor),
            title=f"{version.title or procedure.title} v{version.number}",
            body=plain_text(version.body),
            elements=[e.code for e in procedure.elements.all()],
            updated_at=version.decided_at or version.updated_at,
            status="scheduled" if scheduled else "superseded",
        )


def _procedure_changed(sender, instance, **kwargs) -> None:
    search_refresh_on_commit(KIND_PROCEDURE, [instance.pk])


def _version_saved(sender, instance, **kwargs) -> None:
    # Approving one version sends the one before it into the past: re-read them all.
    siblings = ProcedureVersion.objects.filter(procedure_id=instance.procedure_id)
    search_refresh_on_commit(KIND_VERSION, siblings.values_list("pk", flat=True))
    search_refresh_on_commit(KIND_PROCEDURE, [instance.procedure_id])


def _version_deleted(sender, instance, **kwargs) -> None:
    search_refresh_on_commit(KIND_VERSION, [instance.pk])
    search_refresh_on_commit(KIND_PROCEDURE, [instance.procedure_id])


def _elements_changed(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Procedure):
        search_refresh_on_commit(KIND_PROCEDURE, [instance.pk])
        siblings = ProcedureVersion.objects.filter(procedure_id=instance.pk)
        search_refresh_on_commit(KIND_VERSION, siblings.values_list("pk", flat=True))


def register() -> None:
    registry.add_search_provider(
        SearchProvider(
            kind=KIND_PROCEDURE,
            label=KIND_LABELS[KIND_PROCEDURE],
            documents=procedure_documents,
            order=10,
        )
    )
    registry.add_search_provider(
        SearchProvider(
            kind=KIND_VERSION,
            label=KIND_LABELS[KIND_VERSION],
            documents=version_documents,
            order=11,
        )
    )
    registry.add_status_labels(
        KIND_PROCEDURE,
        {
            "current": VersionPhase.CURRENT.label,
            "draft": VersionStatus.DRAFT.label,
            "withdrawn": VersionStatus.WITHDRAWN.label,
        },
    )
    registry.add_status_labels(
        KIND_VERSION,
        {"scheduled": VersionPhase.SCHEDULED.label, "superseded": VersionPhase.SUPERSEDED.label},
    )
    post_save.connect(_procedure_changed, sender=Procedure, dispatch_uid="search-procedure")
    post_delete.connect(_procedure_changed, sender=Procedure, dispatch_uid="search-procedure-del")
    post_save.connect(_version_saved, sender=ProcedureVersion, dispatch_uid="search-version")
    post_delete.connect(
        _version_deleted, sender=ProcedureVersion, dispatch_uid="search-version-del"
    )
    m2m_changed.connect(
        _elements_changed,
        sender=Procedure.elements.through,
        dispatch_uid="search-procedure-elements",
    )
