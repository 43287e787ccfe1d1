"""Onboarding pages: my track, everyone's progress, the track editor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge import services
from knowledge.choices import AdrStatus
from knowledge.forms import EnrolForm, TrackForm, TrackStepForm
from knowledge.models import Enrolment, TrackStep
from knowledge.selectors import onboarding as selectors
from knowledge.views._common import add_form_errors, back_with_errors
from portal.policy import can, require


@login_required
def my_onboarding(request):
    require(request.user, "portal.read")
    progress = selectors.progress_of(selectors.enrolments_of(request.user))
    # A step that points at a superseded record is flagged and offers its successor.
    superseded = {
        s.step.adr_id
        for p in progress
        for s in p.steps
        if s.step.adr_id and s.step.adr.status == AdrStatus.SUPERSEDED
    }
    successors = selectors.successors_of(superseded) if superseded else {}
    for p in progress:
        for s in p.steps:
            s.successor = successors.get(s.step.adr_id)
    return render(request, "knowledge/onboarding_mine.html", {"progress": progress})


@login_required
def team_onboarding(request):
    require(request.user, "onboarding.view_all")
    progress = selectors.progress_of(selectors.all_enrolments())
    form = EnrolForm() if can(request.user, "enrolment.create") else None
    return render(request, "knowledge/onboarding_team.html", {"progress": progress, "form": form})


@login_required
@require_POST
def enrol(request):
    require(request.user, "enrolment.create")
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            enrolment = services.enrolment_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s starts “%(track)s” on %(date)s.")
                % {
                    "person": enrolment.user.get_username(),
                    "track": enrolment.track.display_title,
                    "date": enrolment.start_date.isoformat(),
                },
            )
            return redirect("knowledge:onboarding-team")
    progress = selectors.progress_of(selectors.all_enrolments())
    return render(
        request, "knowledge/onboarding_team.html", {"progress": progress, "form": form}, status=400
    )


def _back(request):
    """Where a step's button returns: the home page's "My work" or the track."""
    if request.POST.get("back") == "home":
        return redirect("home")
    return redirect("knowledge:onboarding-mine")


def _enrolment_step(request, enrolment_id: int, step_id: int):
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("track", "user"), pk=enrolment_id
    )
    step = get_object_or_404(TrackStep.objects.select_related("procedure"), pk=step_id)
    return enrolment, step


@login_required
@require_POST
def step_complete(request, enrolment_id: int, step_id: int):
    enrolment, step = _enrolment_step(request, enrolment_id, step_id)
    try:
        services.step_complete(actor=request.user, enrolment=enrolment, step=step)
    except ValidationError as exc:
        return back_with_errors(request, exc, "knowledge:onboarding-mine")
    messages.success(request, _("Done: %(step)s") % {"step": step.display_title})
    return _back(request)


@login_required
@require_POST
def step_acknowledge(request, enrolment_id: int, step_id: int):
    enrolment, step = _enrolment_step(request, enrolment_id, step_id)
    try:
        services.step_acknowledge(actor=request.user, enrolment=enrolment, step=step)
    except ValidationError as exc:
        return back_with_errors(request, exc, "knowledge:onboarding-mine")
    messages.success(
        request, _("Acknowledged: %(procedure)s") % {"procedure": step.procedure.title}
    )
    return _back(request)


@login_required
def track_list(request):
    require(request.user, "portal.read")
    may_edit = can(request.user, "track.edit")
    form = TrackForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        require(request.user, "track.edit")
        if form.is_valid():
            try:
                track = services.track_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                return redirect("knowledge:track-edit", track_id=track.pk)
    return render(
        request,
        "knowledge/track_list.html",
        {"tracks": selectors.tracks_with_step_counts(), "may_edit": may_edit, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def track_edit(request, track_id: int):
    track = get_object_or_404(selectors.tracks_for_editor(), pk=track_id)
    require(request.user, "track.edit", track)
    form = TrackStepForm(request.POST or None, track=track)
    if request.method == "POST" and form.is_valid():
        try:
            services.track_step_create(actor=request.user, track=track, **form.service_kwargs())
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Step added."))
            return redirect("knowledge:track-edit", track_id=track.pk)
    return render(
        request,
        "knowledge/track_edit.html",
        {"track": track, "steps": selectors.ordered_steps(track), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def track_step_delete(request, track_id: int, step_id: int):
    step = get_object_or_404(
        TrackStep.objects.select_related("track"), pk=step_id, track_id=track_id
    )
    services.track_step_delete(actor=request.user, step=step)
    messages.success(request, _("Step removed."))
    return redirect("knowledge:track-edit", track_id=track_id)
