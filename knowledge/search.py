"""How decision records, the responsibility matrix and onboarding steps appear in
the portal's search. The signal handlers only keep the index in step."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import reverse

from knowledge.choices import AdrStatus, Phase
from knowledge.models import Activity, Adr, Role, TrackStep
from portal.elements import ElementCode
from portal.i18n import pick
from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, plain_text, search_refresh_on_commit
from portal.search.kinds import KIND_LABELS

KIND_ADR = "adr"
KIND_ACTIVITY = "activity"
KIND_ROLE = "role"
KIND_STEP = "onboarding_step"


def _both(name: str, name_ru: str) -> str:
    """The searchable title holds both names; ``_titles`` shows the reader's one."""
    return f"{name} / {name_ru}" if name_ru and name_ru != name else name


def _titles(model, english: str, russian: str):
    def titles(ids) -> dict:
        rows = model.objects.filter(pk__in=ids).values_list("pk", english, russian)
        return {pk: pick(en, ru) for pk, en, ru in rows}

    return titles


def _select(queryset, ids):
    return queryset.filter(pk__in=ids) if ids is not None else queryset


def adr_documents(ids):
    adrs = _select(Adr.objects.prefetch_related("elements", "tags").order_by("pk"), ids)
    for adr in adrs.iterator(chunk_size=500):
        sections = "\n\n".join(value for value in adr.sections().values() if value)
        tags = " ".join(t.name for t in adr.tags.all())
        yield SearchDocument(
            object_id=adr.pk,
            url=adr.get_absolute_url(),
            title=f"{adr.code} {adr.title}",
            body=f"{plain_text(sections)} {tags}".strip(),
            elements=[e.code for e in adr.elements.all()],
            updated_at=adr.updated_at,
            status=adr.status,
        )


def activity_documents(ids):
    matrix = reverse("knowledge:matrix")
    activities = _select(
        Activity.objects.select_related("procedure").prefetch_related("elements").order_by("pk"),
        ids,
    )
    for activity in activities:
        procedure = activity.procedure.title if activity.procedure else ""
        yield SearchDocument(
            object_id=activity.pk,
            url=f"{matrix}#activity-{activity.pk}",
            title=_both(activity.name, activity.name_ru),
            body=f"{plain_text(activity.description)} {procedure}".strip(),
            elements=[e.code for e in activity.elements.all()],
        )


def role_documents(ids):
    matrix = reverse("knowledge:matrix")
    for role in _select(Role.objects.order_by("pk"), ids):
        yield SearchDocument(
            object_id=role.pk,
            url=f"{matrix}#role-{role.pk}",
            title=_both(role.name, role.name_ru),
            body=f"{plain_text(role.description)} {role.keycloak_group}".strip(),
            elements=[ElementCode.PEOPLE],
        )


def step_documents(ids):
    tracks = reverse("knowledge:track-list")
    steps = _select(
        TrackStep.objects.select_related("track", "procedure", "adr").order_by("pk"), ids
    )
    for step in steps:
        linked = step.procedure.title if step.procedure else (str(step.adr) if step.adr else "")
        yield SearchDocument(
            object_id=step.pk,
            url=f"{tracks}#step-{step.pk}",
            title=_both(step.title, step.title_ru),
            body=f"{plain_text(step.description)} {step.track.title} {linked}".strip(),
            elements=[ElementCode.PEOPLE, ElementCode.KNOWLEDGE],
            status=step.phase,
        )


def _refresher(kind: str):
    def handler(sender, instance, **kwargs) -> None:
        search_refresh_on_commit(kind, [instance.pk])

    return handler


def _elements_refresher(kind: str, model):
    def handler(sender, instance, action, **kwargs) -> None:
        if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, model):
            search_refresh_on_commit(kind, [instance.pk])

    return handler


def register() -> None:
    for kind, model, documents, titles, order in (
        (KIND_ADR, Adr, adr_documents, None, 20),
        (KIND_ACTIVITY, Activity, activity_documents, _titles(Activity, "name", "name_ru"), 30),
        (KIND_ROLE, Role, role_documents, _titles(Role, "name", "name_ru"), 31),
        (KIND_STEP, TrackStep, step_documents, _titles(TrackStep, "title", "title_ru"), 32),
    ):
        registry.add_search_provider(
            SearchProvider(
                kind=kind,
                label=KIND_LABELS[kind],
                documents=documents,
                order=order,
                titles=titles,
            )
        )
        handler = _refresher(kind)
        if kind in (KIND_ADR, KIND_STEP):
            registry.add_status_labels(
                kind, dict(AdrStatus.choices if kind == KIND_ADR else Phase.choices)
            )
        post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"search-{kind}")
        post_delete.connect(handler, sender=model, weak=False, dispatch_uid=f"search-{kind}-del")
    for kind, model in ((KIND_ADR, Adr), (KIND_ACTIVITY, Activity)):
        m2m_changed.connect(
            _elements_refresher(kind, model),
            sender=model.elements.through,
            weak=False,
            dispatch_uid=f"search-{kind}-elements",
        )
    m2m_changed.connect(
        _elements_refresher(KIND_ADR, Adr),
        sender=Adr.tags.through,
        weak=False,
        dispatch_uid="search-adr-tags",
    )
