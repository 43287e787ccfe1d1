"""Reads: the catalogue, the coverage (heatmap, holders, bus factor, gaps, the
"dragon warrior"), and the findings. Each in a fixed number of queries; the Python
work is over the heatmap's own cells (people × skills), never over a whole table
behind the page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q
from django.utils.translation import gettext as _

from inventory.models import Component
from knowledge.choices import RaciLetter
from knowledge.models import Assignment, Role
from knowledge.selectors.raci import role_members
from skills.choices import HOLDS, FindingLevel, Level
from skills.models import PersonSkill, RoleSkill, Skill, SkillComponent

# --- the math, on plain ids (tested on its own) ------------------------------------


@dataclass
class CoverageMath:
    holders: dict[int, set[int]]  # skill → people at ≥ 2
    bus_factor: list[int]  # skills exactly one person holds
    uncovered: list[int]  # skills nobody holds
    gaps: list[tuple[int, int, int]]  # (role, skill, level needed) nobody in the role has
    sole_holder_of: dict[int, list[int]]  # person → skills only they hold
    dragon: tuple[int, list[int]] | None  # the person who alone holds the most skills


def coverage_math(
    skill_ids: Iterable[int],
    levels: dict[tuple[int, int], int],
    members: dict[int, set[int]],
    needs: Iterable[tuple[int, int, int]],
) -> CoverageMath:
    """``levels``: (person, skill) → level; ``members``: role → people in it;
    ``needs``: (role, skill, level needed)."""
    skill_ids = list(skill_ids)
    holders: dict[int, set[int]] = {sid: set() for sid in skill_ids}
    for (person, skill), level in levels.items():
        if level >= HOLDS and skill in holders:
            holders[skill].add(person)
    bus = [sid for sid in skill_ids if len(holders[sid]) == 1]
    uncovered = [sid for sid in skill_ids if not holders[sid]]
    gaps = [
        (role, skill, level)
        for role, skill, level in needs
        if not any(levels.get((person, skill), 0) >= level for person in members.get(role, ()))
    ]
    sole: dict[int, list[int]] = defaultdict(list)
    for sid in bus:
        sole[next(iter(holders[sid]))].append(sid)
    dragon = None
    if sole:
        person = max(sole, key=lambda p: (len(sole[p]), -p))
        dragon = (person, sole[person])
    return CoverageMath(holders, bus, uncovered, gaps, dict(sole), dragon)


# --- catalogue ---------------------------------------------------------------------


def skill_catalogue():
    return Skill.objects.prefetch_related("elements", "components").annotate(
        holder_count=Count(
            "levels",
            filter=Q(levels__level__gte=HOLDS, levels__user__is_active=True),
            distinct=True,
        ),
        unconfirmed_count=Count(
            "levels",
            filter=Q(levels__level__gt=0, levels__user__is_active=True)
            & (
                Q(levels__confirmed_level__isnull=True)
                | ~Q(levels__confirmed_level=F("levels__level"))
            ),
            distinct=True,
        ),
    )


def skill_page(skill: Skill) -> dict:
    levels = list(
        PersonSkill.objects.filter(skill=skill, level__gt=0, user__is_active=True)
        .select_related("user", "confirmed_by")
        .order_by("-level", "user__username")
    )
    needed_by = list(RoleSkill.objects.filter(skill=skill).select_related("role"))
    names = [c.component_name for c in skill.components.all()]
    running = list(
        Component.objects.present()
        .filter(name__in=names)
        .select_related("cluster")
        .order_by("name", "cluster__name", "namespace")[:50]
    )
    return {"levels": levels, "needed_by": needed_by, "running": running}


# --- coverage ----------------------------------------------------------------------


@dataclass
class HeatCell:
    level: int
    confirmed: bool

    @property
    def label(self) -> str:
        return str(Level(self.level).label)


@dataclass
class Gap:
    role: Role
    skill: Skill
    level: int


@dataclass
class Coverage:
    skills: list[Skill]
    people: list
    rows: list[tuple[object, list[HeatCell | None]]]
    holders: dict[int, list]
    bus_factor: list[Skill]
    uncovered: list[Skill]
    gaps: list[Gap]
    dragon: tuple[object, list[Skill]] | None
    roles: list[Role]
    needs: dict[int, list[RoleSkill]] = field(default_factory=dict)
    members: dict[int, list] = field(default_factory=dict)

    @property
    def holder_rows(self) -> list[tuple[Skill, list]]:
        return [(s, self.holders.get(s.pk, [])) for s in self.skills]

    @property
    def role_rows(self) -> list[tuple[Role, list[RoleSkill], list[Gap]]]:
        return [
            (r, self.needs.get(r.pk, []), [g for g in self.gaps if g.role.pk == r.pk])
            for r in self.roles
        ]


def coverage(*, confirmed_only: bool = False) -> Coverage:
    skills = list(Skill.objects.all())
    rows = PersonSkill.objects.filter(user__is_active=True, level__gt=0)
    levels: dict[tuple[int, int], int] = {}  # what the figures count
    stated: dict[tuple[int, int], int] = {}  # what the heatmap shows
    confirmed: set[tuple[int, int]] = set()
    for user_id, skill_id, level, confirmed_level in rows.values_list(
        "user_id", "skill_id", "level", "confirmed_level"
    ):
        key = (user_id, skill_id)
        stated[key] = level
        if confirmed_level == level:
            confirmed.add(key)
            levels[key] = level
        else:
            # Confirmed only: a person counts at the level last confirmed, if lower.
            levels[key] = min(level, confirmed_level or 0) if confirmed_only else level
    roles = list(Role.objects.all())
    members = role_members(roles)
    role_needs = list(RoleSkill.objects.select_related("skill"))
    math = coverage_math(
        [s.pk for s in skills],
        levels,
        {rid: {u.pk for u in people} for rid, people in members.items()},
        [(n.role_id, n.skill_id, n.level) for n in role_needs],
    )
    shown = {uid for uid, _sid in levels} | {u.pk for people in members.values() for u in people}
    people = list(get_user_model().objects.filter(pk__in=shown).order_by("username"))
    by_id = {u.pk: u for u in people}
    skill_by_id = {s.pk: s for s in skills}
    role_by_id = {r.pk: r for r in roles}
    heat_rows = [
        (
            person,
            [
                HeatCell(stated[person.pk, s.pk], (person.pk, s.pk) in confirmed)
                if (person.pk, s.pk) in stated
                else None
                for s in skills
            ],
        )
        for person in people
    ]
    needs: dict[int, list[RoleSkill]] = defaultdict(list)
    for need in role_needs:
        needs[need.role_id].append(need)
    dragon = None
    if math.dragon:
        dragon = (by_id.get(math.dragon[0]), [skill_by_id[s] for s in math.dragon[1]])
    return Coverage(
        skills=skills,
        people=people,
        rows=heat_rows,
        holders={
            sid: sorted((by_id[p] for p in ps if p in by_id), key=lambda u: u.get_username())
            for sid, ps in math.holders.items()
        },
        bus_factor=[skill_by_id[s] for s in math.bus_factor],
        uncovered=[skill_by_id[s] for s in math.uncovered],
        gaps=[Gap(role_by_id[r], skill_by_id[s], lv) for r, s, lv in math.gaps],
        dragon=dragon,
        roles=roles,
        needs=dict(needs),
        members=members,
    )


# --- findings ----------------------------------------------------------------------


@dataclass
class Finding:
    level: str
    code: str
    message: str
    url: str = ""


def findings(cov: Coverage | None = None) -> list[Finding]:
    """An activity whose Accountable role has nobody with the skills it needs; a
    component running in the inventory that nobody can run; a skill one person holds."""
    cov = cov or coverage()
    result: list[Finding] = []
    gaps_of: dict[int, list[Gap]] = defaultdict(list)
    for gap in cov.gaps:
        gaps_of[gap.role.pk].append(gap)
    accountable = (
        Assignment.objects.filter(letter=RaciLetter.ACCOUNTABLE, role_id__in=list(gaps_of))
        .select_related("activity", "role")
        .order_by("activity__order", "activity__name")
    )
    for a in accountable:
        result.append(
            Finding(
                FindingLevel.ERROR,
                "accountable_without_skill",
                _("“%(activity)s”: nobody in its Accountable role “%(role)s” has %(skills)s.")
                % {
                    "activity": a.activity.display_name,
                    "role": a.role.display_name,
                    "skills": ", ".join(
                        f"{g.skill.display_name} ≥ {g.level}" for g in gaps_of[a.role_id]
                    ),
                },
            )
        )
    held = {sid for sid, people in cov.holders.items() if people}
    skills_of: dict[str, list[int]] = defaultdict(list)
    for name, skill_id in SkillComponent.objects.values_list("component_name", "skill_id"):
        skills_of[name].append(skill_id)
    running = (
        Component.objects.present()
        .filter(name__in=list(skills_of))
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    for name in running:
        if not held.intersection(skills_of[name]):
            result.append(
                Finding(
                    FindingLevel.ERROR,
                    "component_nobody_runs",
                    _(
                        "%(component)s runs in the cluster and nobody can run it (no one at level 2 or more in its skills)."
                    )
                    % {"component": name},
                )
            )
    for skill in cov.bus_factor:
        holder = cov.holders[skill.pk][0] if cov.holders.get(skill.pk) else None
        result.append(
            Finding(
                FindingLevel.WARNING,
                "bus_factor_one",
                _("Only %(person)s can work alone in %(skill)s (bus factor 1).")
                % {
                    "person": holder.get_full_name() or holder.get_username() if holder else "—",
                    "skill": skill.display_name,
                },
                url=skill.get_absolute_url(),
            )
        )
    return result


def buddy_of(user) -> set[int]:
    """The people ``user`` is the onboarding buddy of."""
    from knowledge.models import Enrolment

    return set(Enrolment.objects.filter(buddy_id=user.pk).values_list("user_id", flat=True))


def person_levels(user) -> list[PersonSkill]:
    return list(
        PersonSkill.objects.filter(user=user, level__gt=0)
        .select_related("skill", "confirmed_by")
        .order_by("skill__order", "skill__name")
    )


def levels_for_editing(user) -> list[tuple[Skill, PersonSkill | None]]:
    mine = {ps.skill_id: ps for ps in PersonSkill.objects.filter(user=user)}
    return [(s, mine.get(s.pk)) for s in Skill.objects.all()]


def who_runs(component_names: Iterable[str]) -> dict[str, list]:
    """component name → the people at level 2 or more in one of its skills."""
    names = sorted({n for n in component_names if n})
    if not names:
        return {}
    links = list(
        SkillComponent.objects.filter(component_name__in=names).values_list(
            "component_name", "skill_id"
        )
    )
    holders: dict[int, list] = defaultdict(list)
    for ps in (
        PersonSkill.objects.holding()
        .filter(skill_id__in={sid for _n, sid in links})
        .select_related("user")
        .order_by("user__username")
    ):
        holders[ps.skill_id].append(ps.user)
    result: dict[str, list] = {}
    for name, skill_id in links:
        people = result.setdefault(name, [])
        for user in holders.get(skill_id, []):
            if user not in people:
                people.append(user)
    return result


def needed_skills_prefetch():
    return Prefetch("needed_skills", queryset=RoleSkill.objects.select_related("skill"))
