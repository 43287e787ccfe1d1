"""Every write to skills: keyword-only, atomic, policy-checked, audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from knowledge.choices import Phase, StepKind
from knowledge.models import Enrolment, Role, Track, TrackStep
from portal.audit import audit_record
from portal.errors import WorkflowError
from portal.models import Element
from portal.policy import require
from skills.choices import HOLDS, Level
from skills.models import PersonSkill, RoleSkill, Skill, SkillComponent


def _level(value, *, allow_zero: bool = True) -> int:
    """0–3 as an int or its digit ("2" from a form); 2.5 or True are not levels."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    level = value if type(value) is int else -1
    if level not in Level.values or (level == 0 and not allow_zero):
        raise ValidationError({"level": _("A level is 0, 1, 2 or 3.")})
    return level


def _skill_data(skill: Skill) -> dict:
    return {
        "slug": skill.slug,
        "name": skill.name,
        "name_ru": skill.name_ru,
        "elements": sorted(e.code for e in skill.elements.all()),
        "components": sorted(c.component_name for c in skill.components.all()),
    }


@transaction.atomic
def skill_create(
    *,
    actor,
    slug: str,
    name: str,
    name_ru: str = "",
    description: str = "",
    description_ru: str = "",
    elements: Iterable[str] = (),
    components: Iterable[str] = (),
    order: int = 100,
) -> Skill:
    require(actor, "skill.edit")
    skill = Skill(
        slug=slug,
        name=name.strip(),
        name_ru=name_ru.strip(),
        description=description,
        description_ru=description_ru,
        order=order,
    )
    skill.full_clean()
    skill.save()
    _set_tags(skill, elements, components)
    audit_record(actor=actor, verb="skills.skill_create", obj=skill, after=_skill_data(skill))
    return skill


@transaction.atomic
def skill_update(*, actor, skill: Skill, elements=None, components=None, **fields) -> Skill:
    require(actor, "skill.edit", skill)
    allowed = {"name", "name_ru", "description", "description_ru", "order"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown skill fields: {sorted(unknown)}")
    before = _skill_data(skill)
    for key, value in fields.items():
        setattr(skill, key, value.strip() if key in ("name", "name_ru") else value)
    skill.full_clean()
    skill.save()
    _set_tags(skill, elements, components)
    audit_record(
        actor=actor, verb="skills.skill_update", obj=skill, before=before, after=_skill_data(skill)
    )
    return skill


def _set_tags(skill: Skill, elements, components) -> None:
    if elements is not None:
        codes = set(elements)
        found = list(Element.objects.filter(code__in=codes))
        if len(found) != len(codes):
            raise ValidationError({"elements": _("Unknown IS element.")})
        skill.elements.set(found)
    if components is not None:
        names = {n.strip() for n in components if n and n.strip()}
        if any(len(n) > 200 for n in names):
            raise ValidationError({"components": _("A component name is at most 200 characters.")})
        SkillComponent.objects.filter(skill=skill).exclude(component_name__in=names).delete()
        have = set(skill.components.values_list("component_name", flat=True))
        SkillComponent.objects.bulk_create(
            SkillComponent(skill=skill, component_name=n) for n in sorted(names - have)
        )


def _level_data(ps: PersonSkill) -> dict:
    return {
        "user": ps.user.get_username(),
        "skill": ps.skill.slug,
        "level": ps.level,
        "confirmed_level": ps.confirmed_level,
    }


@transaction.atomic
def person_skill_set(*, actor, user, skill: Skill, level) -> PersonSkill:
    """A person states their own level. Raising or lowering it leaves the last
    confirmation as it was, so the new level shows as unconfirmed."""
    require(actor, "skill.set_level", user)
    level = _level(level)
    # get_or_create: two saves of a first level at once make one row (the loser of
    # the insert reads the winner's and updates it under the row lock below).
    ps, created = PersonSkill.objects.get_or_create(
        user=user, skill=skill, defaults={"level": level}
    )
    before = None
    if not created:
        ps = PersonSkill.objects.select_for_update().select_related("user", "skill").get(pk=ps.pk)
        if ps.level == level:
            return ps
        before = _level_data(ps)
        ps.level = level
        ps.save()
    audit_record(actor=actor, verb="skills.level_set", obj=ps, before=before, after=_level_data(ps))
    return ps


@transaction.atomic
def person_skill_confirm(*, actor, person_skill: PersonSkill) -> PersonSkill:
    """A lead (or the person's buddy) confirms the level the person stated. A buddy's
    confirmation of level 2 or more also completes the person's onboarding steps
    "reach level 2 in <skill>"."""
    ps = (
        PersonSkill.objects.select_for_update()
        .select_related("user", "skill")
        .get(pk=person_skill.pk)
    )
    require(actor, "skill.confirm", ps)
    if ps.confirmed:
        raise WorkflowError(_("This level is already confirmed."), code="already_confirmed")
    before = _level_data(ps)
    ps.confirmed_level = ps.level
    ps.confirmed_by = actor
    ps.confirmed_at = timezone.now()
    ps.save()
    audit_record(
        actor=actor, verb="skills.level_confirm", obj=ps, before=before, after=_level_data(ps)
    )
    if ps.level >= HOLDS:
        _confirm_onboarding_steps(actor, ps)
    person_skill.__dict__.update(ps.__dict__)
    return ps


def _confirm_onboarding_steps(actor, ps: PersonSkill) -> None:
    from knowledge.services import step_confirm

    enrolments = Enrolment.objects.filter(user=ps.user, buddy=actor)
    steps = (
        TrackStep.objects.filter(
            kind=StepKind.SKILL_LEVEL,
            skill=ps.skill.slug,
            track__enrolments__in=enrolments,
        )
        .exclude(completions__enrolment__in=enrolments)
        .distinct()
    )
    by_track = {e.track_id: e for e in enrolments}
    for step in steps:
        step_confirm(actor=actor, enrolment=by_track[step.track_id], step=step)


@transaction.atomic
def role_skill_set(*, actor, role: Role, skill: Skill, level=HOLDS) -> RoleSkill:
    require(actor, "skill.edit", role)
    level = _level(level, allow_zero=False)
    rs, created = RoleSkill.objects.get_or_create(role=role, skill=skill, defaults={"level": level})
    before = None
    if not created:
        rs = RoleSkill.objects.select_for_update().get(pk=rs.pk)
        if rs.level == level:
            return rs
        before = {"level": rs.level}
        rs.level = level
        rs.save()
    audit_record(
        actor=actor,
        verb="skills.role_need_set",
        obj=rs,
        before=before,
        after={"role": role.slug, "skill": skill.slug, "level": level},
    )
    return rs


@transaction.atomic
def role_skill_remove(*, actor, role_skill: RoleSkill) -> None:
    require(actor, "skill.edit", role_skill.role)
    audit_record(
        actor=actor,
        verb="skills.role_need_remove",
        obj=role_skill,
        before={"role": role_skill.role.slug, "skill": role_skill.skill.slug},
    )
    role_skill.delete()


@transaction.atomic
def track_add_skill_steps(*, actor, role: Role) -> list[TrackStep]:
    """Give the role's onboarding track (made if missing) a step "reach level 2 in
    <skill>" in the first month for each skill the role needs that has none yet."""
    from knowledge.services import track_create, track_step_create

    require(actor, "track.edit")
    track = Track.objects.filter(role=role).first() or track_create(
        actor=actor,
        role=role,
        title=f"{role.name}: onboarding",
        title_ru=f"{role.name_ru or role.name}: введение в работу",
    )
    have = set(
        TrackStep.objects.filter(track=track, kind=StepKind.SKILL_LEVEL).values_list(
            "skill", flat=True
        )
    )
    needs = RoleSkill.objects.filter(role=role).select_related("skill").order_by("skill__order")
    made = []
    for position, need in enumerate(needs, start=1):
        skill = need.skill
        if skill.slug in have:
            continue
        made.append(
            track_step_create(
                actor=actor,
                track=track,
                phase=Phase.FIRST_MONTH,
                kind=StepKind.SKILL_LEVEL,
                skill=skill.slug,
                title=f"Reach level 2 in {skill.name}",
                title_ru=f"Достичь уровня 2: {skill.name_ru or skill.name}",
                description="Works alone in it; the buddy confirms the level on the skills page.",
                order=200 + position,
            )
        )
    return made
