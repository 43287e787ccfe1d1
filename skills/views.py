"""Pages of the skills app. Thin: selectors read, services decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge.models import Role
from knowledge.views._common import validation_messages
from portal.errors import WorkflowError
from portal.policy import can, require
from portal.validation import has_nul
from skills import selectors, services
from skills.choices import Level
from skills.models import PersonSkill, RoleSkill, Skill


@login_required
def catalogue(request):
    require(request.user, "portal.read")
    return render(
        request,
        "skills/catalogue.html",
        {"skills": selectors.skill_catalogue(), "levels": Level.choices},
    )


@login_required
def skill_detail(request, slug: str):
    require(request.user, "portal.read")
    skill = get_object_or_404(Skill.objects.prefetch_related("elements", "components"), slug=slug)
    context = selectors.skill_page(skill)
    request.user._skills_buddy_of = selectors.buddy_of(request.user)
    for ps in context["levels"]:
        ps.may_confirm = not ps.confirmed and can(request.user, "skill.confirm", ps)
    may_edit = can(request.user, "skill.edit")
    return render(
        request,
        "skills/skill_detail.html",
        {
            "skill": skill,
            **context,
            "may_edit": may_edit,
            "roles": Role.objects.all() if may_edit else [],
            "need_levels": [c for c in Level.choices if c[0] > 0],
        },
    )


@login_required
@require_POST
def role_need_set(request, slug: str):
    skill = get_object_or_404(Skill, slug=slug)
    require(request.user, "skill.edit")
    slug_ = request.POST.get("role", "")
    role = Role.objects.filter(slug=slug_).first() if not has_nul(slug_) else None
    if role is None:
        messages.error(request, _("Choose a role."))
        return redirect(skill.get_absolute_url())
    try:
        services.role_skill_set(
            actor=request.user, role=role, skill=skill, level=request.POST.get("level", "")
        )
    except ValidationError as exc:
        for text in validation_messages(exc):
            messages.error(request, text)
    return redirect(skill.get_absolute_url())


@login_required
@require_POST
def role_need_remove(request, need_id: int):
    need = get_object_or_404(RoleSkill.objects.select_related("role", "skill"), pk=need_id)
    require(request.user, "skill.edit")
    services.role_skill_remove(actor=request.user, role_skill=need)
    return redirect(need.skill.get_absolute_url())


@login_required
def coverage(request):
    require(request.user, "portal.read")
    confirmed_only = request.GET.get("confirmed") == "1"
    cov = selectors.coverage(confirmed_only=confirmed_only)
    return render(
        request,
        "skills/coverage.html",
        {
            "cov": cov,
            "findings": selectors.findings(cov),
            "confirmed_only": confirmed_only,
            "may_build_tracks": can(request.user, "track.edit"),
            "levels": Level.choices,
        },
    )


@login_required
def my_levels(request):
    require(request.user, "skill.set_level", request.user)
    if request.method == "POST":
        skills = {s.slug: s for s in Skill.objects.all()}
        errors = []
        for key, value in request.POST.items():
            if not key.startswith("level-") or value == "":
                continue
            skill = skills.get(key.removeprefix("level-"))
            if skill is None:
                errors.append(_("Unknown skill."))
                continue
            try:
                services.person_skill_set(
                    actor=request.user, user=request.user, skill=skill, level=value
                )
            except ValidationError as exc:
                errors.extend(validation_messages(exc))
        if errors:
            for error in sorted(set(errors)):
                messages.error(request, error)
            return render(
                request,
                "skills/mine.html",
                {"rows": selectors.levels_for_editing(request.user), "levels": Level.choices},
                status=400,
            )
        messages.success(request, _("Your levels are saved."))
        return redirect("skills:mine")
    return render(
        request,
        "skills/mine.html",
        {"rows": selectors.levels_for_editing(request.user), "levels": Level.choices},
    )


@login_required
@require_POST
def confirm(request, person_skill_id: int):
    ps = get_object_or_404(PersonSkill.objects.select_related("skill", "user"), pk=person_skill_id)
    require(request.user, "skill.confirm", ps)
    try:
        services.person_skill_confirm(actor=request.user, person_skill=ps)
        messages.success(request, _("Level confirmed."))
    except WorkflowError as exc:
        messages.error(request, str(exc))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ps.skill.get_absolute_url()
    return redirect(target)


@login_required
@require_POST
def build_track(request, role_slug: str):
    role = get_object_or_404(Role, slug=role_slug)
    require(request.user, "track.edit")
    made = services.track_add_skill_steps(actor=request.user, role=role)
    messages.success(
        request,
        _("%(count)s skill steps added to the track of %(role)s.")
        % {"count": len(made), "role": role.display_name},
    )
    return redirect("skills:coverage")
