"""What the skills app adds to other pages: the people card on the platform map, a
section of a person's page, the matrix's skill findings and, on the component list,
who can run each component. Registered from ``SkillsConfig.ready()``."""

from __future__ import annotations

from portal.home import PANEL_TTL, cached_panel
from portal.policy import can
from skills import selectors


def _summary() -> dict:
    cov = selectors.coverage()
    found = selectors.findings(cov)
    dragon = None
    if cov.dragon and cov.dragon[0] is not None:
        person, skills = cov.dragon
        dragon = {
            "name": person.get_full_name() or person.get_username(),
            "count": len(skills),
        }
    return {
        "skill_count": len(cov.skills),
        "bus_factor": [s.display_name for s in cov.bus_factor],
        "uncovered": [s.display_name for s in cov.uncovered],
        "gap_count": len(cov.gaps),
        "dragon": dragon,
        "findings": [{"level": f.level, "code": f.code, "message": f.message} for f in found],
    }


def home_panel(request) -> dict:
    return cached_panel("skills", PANEL_TTL, _summary, request=request)


def person(request, user) -> dict | None:
    if user is None or not can(request.user, "portal.read"):
        return None
    from knowledge.selectors.onboarding import enrolments_of, progress_of

    return {
        "person": user,
        "levels": selectors.person_levels(user),
        "is_me": user.pk == request.user.pk,
        "onboarding": progress_of(enrolments_of(user)),
    }


def matrix(request, obj=None) -> dict | None:
    if not can(request.user, "portal.read"):
        return None
    found = [f for f in selectors.findings() if f.code == "accountable_without_skill"]
    return {"findings": found}


def components(request, page) -> dict | None:
    if page is None or not can(request.user, "portal.read"):
        return None
    names = [c.name for c in page]
    return {"who_runs": sorted(selectors.who_runs(names).items())}
