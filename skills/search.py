"""How skills appear in the portal's search; the signal handlers keep the index in step."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import gettext_lazy as _

from portal.registry import SearchProvider, registry
from portal.search import SearchDocument, plain_text, search_refresh_on_commit
from skills.models import Skill, SkillComponent

KIND_SKILL = "skill"


def skill_documents(ids):
    skills = Skill.objects.prefetch_related("elements", "components").order_by("pk")
    if ids is not None:
        skills = skills.filter(pk__in=ids)
    for skill in skills:
        title = (
            skill.name
            if not skill.name_ru or skill.name_ru == skill.name
            else (f"{skill.name} / {skill.name_ru}")
        )
        components = " ".join(c.component_name for c in skill.components.all())
        body = f"{plain_text(skill.description)} {plain_text(skill.description_ru)} {components}"
        yield SearchDocument(
            object_id=skill.pk,
            url=skill.get_absolute_url(),
            title=title,
            body=body.strip(),
            elements=[e.code for e in skill.elements.all()],
        )


def _refresh(sender, instance, **kwargs) -> None:
    search_refresh_on_commit(KIND_SKILL, [instance.pk])


def _refresh_of_component(sender, instance, **kwargs) -> None:
    search_refresh_on_commit(KIND_SKILL, [instance.skill_id])


def _refresh_elements(sender, instance, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear") and isinstance(instance, Skill):
        search_refresh_on_commit(KIND_SKILL, [instance.pk])


def register() -> None:
    registry.add_search_provider(
        SearchProvider(kind=KIND_SKILL, label=_("Skills"), documents=skill_documents, order=35)
    )
    post_save.connect(_refresh, sender=Skill, weak=False, dispatch_uid="search-skill")
    post_delete.connect(_refresh, sender=Skill, weak=False, dispatch_uid="search-skill-del")
    for signal, uid in (
        (post_save, "search-skill-component"),
        (post_delete, "search-skill-comp-del"),
    ):
        signal.connect(_refresh_of_component, sender=SkillComponent, weak=False, dispatch_uid=uid)
    m2m_changed.connect(
        _refresh_elements, sender=Skill.elements.through, weak=False, dispatch_uid="search-skill-el"
    )
