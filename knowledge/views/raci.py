"""The responsibility matrix: one page, cells edited in place with htmx."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge import services
from knowledge.choices import RaciLetter
from knowledge.models import Activity, Assignment, Role
from knowledge.selectors.raci import raci_matrix, responsibilities_of
from knowledge.views._common import validation_messages
from portal.errors import WorkflowError
from portal.page_cache import cached_page
from portal.policy import can, require

CYCLE = ["", "R", "A", "C", "I"]


@login_required
@cached_page("content")
def matrix(request):
    require(request.user, "portal.read")
    return render(
        request,
        "knowledge/matrix.html",
        {
            "matrix": raci_matrix(),
            "may_edit": can(request.user, "matrix.edit"),
            "letters": RaciLetter.choices,
        },
    )


@login_required
@require_POST
def matrix_cells(request):
    """A click in the matrix's one form: ``cell=<activity>-<role>[-<letter>]``; the
    answer replaces that cell out of band."""
    parts = request.POST.get("cell", "").split("-")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts[:2]):
        return HttpResponseBadRequest(_("Which cell?"))
    letter = parts[2] if len(parts) == 3 else "next"
    return _cell_click(request, int(parts[0]), int(parts[1]), letter, oob=True)


@login_required
@require_POST
def matrix_cell(request, activity_id: int, role_id: int):
    return _cell_click(request, activity_id, role_id, request.POST.get("letter", "next"))


def _cell_click(request, activity_id: int, role_id: int, wanted: str, *, oob: bool = False):
    activity = get_object_or_404(Activity, pk=activity_id)
    role = get_object_or_404(Role, pk=role_id)
    require(request.user, "matrix.edit", activity)
    current = _current(activity, role)
    if wanted == "next":
        wanted = CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)]
    error = ""
    status = 200
    try:
        services.assignment_set(actor=request.user, activity=activity, role=role, letter=wanted)
        current = wanted.upper()
    except WorkflowError as exc:
        error = str(exc)
        status = 409
    except ValidationError as exc:
        error = " ".join(validation_messages(exc))
        status = 400
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("knowledge:matrix")
    response = render(
        request,
        "knowledge/_matrix_cell.html",
        {
            "activity": activity,
            "role": role,
            "letter": _current(activity, role) if error else current,
            # The next click after a refused A moves on to C instead of asking again.
            "next_letter": "C" if error and wanted == "A" else "",
            "error": error,
            "may_edit": True,
            "oob": oob,
        },
    )
    # htmx swaps only 2xx by default: send the message with 200 and mark the conflict.
    if status != 200:
        response["X-Portal-Status"] = str(status)
    return response


def _current(activity, role) -> str:
    return (
        Assignment.objects.filter(activity=activity, role=role)
        .values_list("letter", flat=True)
        .first()
        or ""
    )


@login_required
def matrix_csv(request):
    require(request.user, "portal.read")
    data = raci_matrix()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="raci-matrix.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 (Russian names) only with a BOM
    writer = csv.writer(response)
    writer.writerow([_("IS element"), _("Activity"), *[r.display_name for r in data.roles]])
    for group in data.groups:
        for row in group.rows:
            writer.writerow(
                [
                    group.label,
                    row.activity.display_name,
                    *[letter for _role_id, letter in row.cells],
                ]
            )
    return response


@login_required
def person(request, username: str):
    require(request.user, "portal.read")
    user = get_object_or_404(get_user_model(), username=username)
    roles, assignments = responsibilities_of(user)
    by_letter = [
        (label, [a for a in assignments if a.letter == letter])
        for letter, label in RaciLetter.choices
    ]
    return render(
        request,
        "knowledge/person.html",
        {"person": user, "roles": roles, "by_letter": by_letter},
    )
