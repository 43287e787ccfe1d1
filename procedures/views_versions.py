"""The pages of one version of a procedure: the editor (new, edit, the live preview),
the version page with its review, and the submit, review and withdraw actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal import diffing
from portal.errors import ConflictError
from portal.markdown import render_markdown, validate_markdown
from portal.policy import can, require
from portal.views import bad_request
from procedures import selectors, services, workflow
from procedures.choices import ReviewDecision, SignatureMeaning
from procedures.forms import ReviewForm, VersionContentForm, VersionEditForm
from procedures.models import ProcedureVersion
from procedures.views import _add_errors, _procedure, _read, _version


@login_required
def version_new(request, slug):
    procedure = _procedure(slug)
    require(request.user, "version.create", procedure)
    current = selectors.current_version_of(procedure)
    base = current or procedure.versions.order_by("-major", "-minor").first()
    initial = {
        "title": base.title if base else procedure.title,
        "body": base.body if base else "",
        "change_kind": "minor",
    }
    form = VersionContentForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.version_create(
                    actor=request.user,
                    procedure=procedure,
                    **{field: data[field] for field in ProcedureVersion.CONTENT_FIELDS},
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                if request.POST.get("then") == "submit":
                    return _submit_saved(request, version)
                messages.success(request, _("Draft %(number)s saved.") % {"number": version.number})
                return redirect("procedures:version-edit", slug, version.major, version.minor)
        status = 400
    return _editor(
        request, {"form": form, "procedure": procedure, "new_version": True}, status=status
    )


@login_required
@require_GET
def version_detail(request, slug, major, minor):
    _read(request)
    procedure = _procedure(slug)
    version = _version(procedure, major, minor)
    return render(request, "procedures/version.html", _version_context(request, version))


def _version_context(request, version, review_form=None) -> dict:
    user = request.user
    status = version.status
    baseline = selectors.baseline_of(version)
    mode = request.GET.get("mode") if request.GET.get("mode") in diffing.MODES else "unified"
    reviews = list(version.reviews.all())
    signatures = [
        r
        for r in reviews
        if r.decision == ReviewDecision.APPROVE and r.content_sha256 == version.content_sha256
    ]
    counted = [r for r in signatures if r.meaning == SignatureMeaning.APPROVED]
    signed_by_me = any(r.reviewer_id == user.pk for r in signatures)
    return {
        "procedure": version.procedure,
        "version": version,
        "reviews": reviews,
        "signatures": signatures,
        "signature_count": len(counted),
        "may_edit": workflow.allowed("edit", status) and can(user, "version.edit", version),
        "may_submit": workflow.allowed("submit", status) and can(user, "version.submit", version),
        "may_review": workflow.allowed("approve", status)
        and can(user, "version.review", version)
        and not signed_by_me,
        "may_withdraw": workflow.allowed("withdraw", status)
        and can(user, "version.withdraw", version),
        "is_author": version.is_authored_by(user),
        "baseline": baseline,
        "baseline_in_force": baseline is not None and baseline.pk == version.current_id,
        "diff": selectors.compare(baseline, version, mode) if baseline else None,
        "mode": mode,
        "review_form": review_form
        or ReviewForm(initial={"content_sha256": version.content_sha256}),
    }


def _submit_saved(request, version):
    """ "Save and submit" from the editor: one click, and nothing typed is left behind."""
    slug = version.procedure.slug
    try:
        services.version_submit(actor=request.user, version=version, revision=version.revision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("procedures:version-edit", slug, version.major, version.minor)
    messages.success(request, _("Saved and submitted for review."))
    return redirect("procedures:version", slug, version.major, version.minor)


def _editor(request, context: dict, status: int = 200):
    """The editor page, with who will review the text and what it is compared with."""
    procedure = context.get("procedure")
    if procedure is not None:
        context["reviewers"] = selectors.reviewers_for(procedure, request.user)
        context["in_force"] = selectors.current_version_of(procedure)
    return render(request, "procedures/editor.html", context, status=status)


def _edit_initial(version) -> dict:
    initial = {field: getattr(version, field) for field in ProcedureVersion.CONTENT_FIELDS}
    return initial | {"revision": version.revision}


@login_required
def version_edit(request, slug, major, minor):
    procedure = _procedure(slug)
    version = _version(procedure, major, minor)
    require(request.user, "version.edit", version)
    if request.method != "POST":
        if not version.is_editable:
            return redirect("procedures:version", slug, major, minor)
        form = VersionEditForm(initial=_edit_initial(version))
        return _editor(request, {"form": form, "version": version, "procedure": procedure})
    form = VersionEditForm(request.POST)
    if not form.is_valid():
        return _editor(
            request, {"form": form, "version": version, "procedure": procedure}, status=400
        )
    data = form.cleaned_data
    try:
        saved = services.version_update(
            actor=request.user,
            version=version,
            revision=data["revision"],
            **{field: data[field] for field in ProcedureVersion.CONTENT_FIELDS},
        )
    except ConflictError as exc:
        # Lose nothing: show their text next to the saved one, on the latest revision.
        latest = ProcedureVersion.objects.get(pk=version.pk)
        fresh = VersionEditForm(initial=_edit_initial(latest))
        return _editor(
            request,
            {
                "form": fresh,
                "version": latest,
                "procedure": procedure,
                "conflict": str(exc),
                "their_text": data["body"],
                "their_title": data["title"],
                "their_summary": data["change_summary"],
                "conflict_diff": diffing.diff(
                    latest.body,
                    data["body"],
                    old_label=_("Saved"),
                    new_label=_("Yours"),
                    mode="side",
                ),
            },
            status=409,
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _editor(
            request, {"form": form, "version": version, "procedure": procedure}, status=400
        )
    if request.POST.get("then") == "submit":
        return _submit_saved(request, saved)
    messages.success(request, _("Draft %(number)s saved.") % {"number": saved.number})
    return redirect("procedures:version-edit", slug, saved.major, saved.minor)


@login_required
@require_POST
def version_submit(request, slug, major, minor):
    procedure = _procedure(slug)
    version = _version(procedure, major, minor)
    revision = request.POST.get("revision")
    try:
        revision = int(revision) if revision else None
    except ValueError:
        return bad_request(request, _("The revision must be a number."))
    try:
        services.version_submit(actor=request.user, version=version, revision=revision)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("procedures:version-edit", slug, major, minor)
    messages.success(request, _("Submitted for review."))
    return redirect("procedures:version", slug, major, minor)


@login_required
@require_POST
def version_review(request, slug, major, minor):
    procedure = _procedure(slug)
    version = _version(procedure, major, minor)
    require(request.user, "version.review", version)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "procedures/version.html",
            _version_context(request, version, form),
            status=400,
        )
    data = form.cleaned_data
    try:
        if data["decision"] == ReviewDecision.APPROVE:
            services.version_approve(
                actor=request.user,
                version=version,
                content_sha256=data["content_sha256"],
                meaning=data["meaning"] or SignatureMeaning.APPROVED,
                comment=data["comment"],
            )
            done = _("Your signature is recorded.")
        elif data["decision"] == ReviewDecision.REQUEST_CHANGES:
            services.version_request_changes(
                actor=request.user, version=version, comment=data["comment"]
            )
            done = _("Changes requested.")
        else:
            services.version_reject(actor=request.user, version=version, comment=data["comment"])
            done = _("The version was rejected.")
    except ValidationError as exc:
        _add_errors(form, exc)
        return render(
            request,
            "procedures/version.html",
            _version_context(request, version, form),
            status=400,
        )
    messages.success(request, done)
    return redirect("procedures:version", slug, major, minor)


@login_required
@require_POST
def version_withdraw(request, slug, major, minor):
    procedure = _procedure(slug)
    version = _version(procedure, major, minor)
    services.version_withdraw(actor=request.user, version=version)
    messages.success(request, _("The version was withdrawn."))
    return redirect("procedures:detail", slug)


@login_required
@require_POST
def preview(request):
    """The editor's live preview: the same rendering readers will see."""
    require(request.user, "portal.read")
    body = request.POST.get("body", "")
    try:
        validate_markdown(body)
    except ValidationError as exc:
        return render(
            request, "procedures/_preview.html", {"error": " ".join(exc.messages)}, status=400
        )
    return render(request, "procedures/_preview.html", {"html": render_markdown(body)})
