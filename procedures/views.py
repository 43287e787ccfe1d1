"""Pages of the procedures app. Thin: read through selectors, write through services,
show what the policy allows."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal import diffing
from portal.page_cache import cached_page
from portal.policy import can, require
from portal.views import bad_request
from procedures import selectors, services
from procedures.choices import OPEN_STATUSES
from procedures.forms import ProcedureCreateForm, ProcedureFilterForm, WithdrawForm
from procedures.models import Category, Procedure, ProcedureVersion

NUMBER_RE = re.compile(r"^(\d{1,6})\.(\d{1,6})$")


def _read(request) -> None:
    require(request.user, "portal.read")


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _procedure(slug: str) -> Procedure:
    try:
        return selectors.procedure_for_page(slug)
    except Procedure.DoesNotExist as exc:
        raise Http404(_("No such procedure.")) from exc


def _version(procedure: Procedure, major: int, minor: int) -> ProcedureVersion:
    try:
        return selectors.version_for_page(procedure, major, minor)
    except ProcedureVersion.DoesNotExist as exc:
        raise Http404(_("No such version.")) from exc


@login_required
@require_GET
@cached_page("content")
def procedure_list(request):
    _read(request)
    categories = list(Category.objects.all())
    form = ProcedureFilterForm(request.GET or None, categories=categories)
    if form.is_bound and not form.is_valid():
        # An unknown category or status is a wrong address, not "show everything".
        procedures, status = Procedure.objects.none(), 400
    else:
        filters = form.cleaned_data if form.is_bound else {}
        procedures, status = (
            selectors.procedure_list(
                category=filters.get("category", ""),
                status=filters.get("status", ""),
                element=filters.get("element", ""),
                q=filters.get("q", ""),
                user=request.user,
            ),
            200,
        )
    page = Paginator(procedures, 50).get_page(request.GET.get("page"))
    readers = selectors.readers().count()
    selectors.coverage(page.object_list, readers)
    return render(
        request,
        "procedures/list.html",
        {
            "page": page,
            "form": form,
            "readers": readers,
            "may_create": can(request.user, "procedure.create"),
        },
        status=status,
    )


@login_required
def procedure_create(request):
    require(request.user, "procedure.create")
    form = ProcedureCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                procedure = services.procedure_create(
                    actor=request.user,
                    title=data["title"],
                    slug=data["slug"],
                    category=data["category"],
                    elements=data["elements"],
                    review_interval_days=data["review_interval_days"],
                    required_approvals=data["required_approvals"],
                    change_summary=data["change_summary"],
                    body=data["body"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The procedure was created as a draft."))
                version = procedure.versions.get()
                return redirect(
                    "procedures:version-edit", procedure.slug, version.major, version.minor
                )
        status = 400
    return render(
        request, "procedures/editor.html", {"form": form, "creating": True}, status=status
    )


@login_required
@require_GET
@cached_page("content")
def procedure_detail(request, slug):
    _read(request)
    procedure = _procedure(slug)
    versions = selectors.history_of(procedure)
    current = next((v for v in versions if v.pk == procedure.current_version_id), None)
    open_version = next((v for v in versions if v.status in OPEN_STATUSES), None)
    reading = selectors.reading_of(request.user, procedure, current)
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "current": current,
            "open_version": open_version,
            "versions": versions,
            "acks": selectors.acknowledgement_status(procedure, current),
            "reading": reading,
            "acknowledged": reading["ack"] is not None,
            "may_acknowledge": can(request.user, "procedure.acknowledge", procedure)
            and current is not None
            and not procedure.is_withdrawn,
            "may_new_version": can(request.user, "version.create", procedure)
            and open_version is None
            and not procedure.is_withdrawn,
            "may_withdraw": can(request.user, "procedure.withdraw", procedure)
            and not procedure.is_withdrawn,
        },
    )


@login_required
@require_GET
def procedure_history(request, slug):
    _read(request)
    procedure = _procedure(slug)
    return render(
        request,
        "procedures/history.html",
        {"procedure": procedure, "versions": selectors.history_of(procedure)},
    )


def _parse_number(value: str) -> tuple[int, int] | None:
    """ "1.0" or "v1.0", as the history and the links write it."""
    match = NUMBER_RE.match((value or "").strip().removeprefix("v"))
    return (int(match.group(1)), int(match.group(2))) if match else None


@login_required
@require_GET
def procedure_diff(request, slug):
    _read(request)
    procedure = _procedure(slug)
    versions = selectors.history_of(procedure)
    if len(versions) < 2:
        return render(
            request,
            "procedures/diff.html",
            {"procedure": procedure, "versions": versions, "too_few": True},
        )
    numbers = {}
    for key in ("from", "to"):
        if key in request.GET:
            numbers[key] = _parse_number(request.GET[key])
            if numbers[key] is None:
                return bad_request(
                    request,
                    _("“%(value)s” is not a version number: write it as 1.0 or v1.0.")
                    % {"value": request.GET[key][:20]},
                )
    by_number = {(v.major, v.minor): v for v in versions}
    new = by_number.get(numbers["to"]) if "to" in numbers else versions[0]
    if "from" in numbers:
        old = by_number.get(numbers["from"])
    else:
        # By default: what the newest version changes against the one in force.
        old = selectors.baseline_of(new) if new else None
        old = old or next((v for v in versions if v.pk != getattr(new, "pk", None)), None)
    if old is None or new is None:
        raise Http404(_("No such version."))
    mode = request.GET.get("mode") if request.GET.get("mode") in diffing.MODES else "unified"
    return render(
        request,
        "procedures/diff.html",
        {
            "procedure": procedure,
            "versions": versions,
            "old": old,
            "new": new,
            "mode": mode,
            "diff": selectors.compare(old, new, mode),
        },
    )


@login_required
@require_POST
def procedure_acknowledge(request, slug):
    procedure = get_object_or_404(Procedure, slug=slug)
    services.procedure_acknowledge(actor=request.user, procedure=procedure)
    if request.htmx:
        procedure = _procedure(slug)
        current = selectors.current_version_of(procedure)
        return render(
            request,
            "procedures/_acknowledge.html",
            {
                "procedure": procedure,
                "current": current,
                "reading": selectors.reading_of(request.user, procedure, current),
                "acknowledged": True,
                "may_acknowledge": True,
            },
        )
    messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect("procedures:detail", slug)


@login_required
@require_POST
def procedure_withdraw(request, slug):
    procedure = get_object_or_404(Procedure, slug=slug)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return bad_request(request, " ".join(m for ms in form.errors.values() for m in ms))
    services.procedure_withdraw(
        actor=request.user, procedure=procedure, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("The procedure was withdrawn."))
    return redirect("procedures:detail", slug)


@login_required
@require_GET
def review_queue(request):
    _read(request)
    page = Paginator(selectors.review_queue(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "procedures/review_queue.html",
        {"page": page, "may_review": can(request.user, "version.review")},
    )


@login_required
@require_GET
def overdue(request):
    _read(request)
    page = Paginator(selectors.overdue_procedures(), 50).get_page(request.GET.get("page"))
    return render(request, "procedures/overdue.html", {"page": page})
