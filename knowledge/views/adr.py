"""Pages of decision records. Thin: read with selectors, write with services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory.models import Component
from knowledge import services
from knowledge.choices import STATUS_ACTIONS, AdrStatus, LinkKind
from knowledge.forms import AdrForm, ComponentLinkForm, LinkForm, StatusNoteForm, SupersedeForm
from knowledge.models import Adr, AdrLink, AdrRevision, Tag
from knowledge.models.adr import SECTION_FIELDS
from knowledge.selectors import adr as selectors
from knowledge.selectors import adr_graph as adr_graph_selectors
from knowledge.selectors.adr_components import components_of
from knowledge.views._common import add_form_errors, back_with_errors
from portal import diffing
from portal.elements import ElementCode
from portal.errors import WorkflowError
from portal.lookup import lookup_response
from portal.page_cache import cached_page
from portal.policy import can, require
from portal.views import bad_request


@login_required
def index(request):
    require(request.user, "portal.read")
    return render(request, "knowledge/index.html")


@login_required
@cached_page("content")
def adr_list(request):
    require(request.user, "portal.read")
    status = request.GET.get("status", "")
    tag = request.GET.get("tag", "")
    element = request.GET.get("element", "")
    q = request.GET.get("q", "").strip()
    view = "timeline" if request.GET.get("view") == "timeline" else "log"
    if status and status not in AdrStatus.values:
        status = ""
    if element and element not in ElementCode.values:
        element = ""
    # The log shows no section text: leave the eight text columns in the table.
    adrs = selectors.adr_list(status=status, tag=tag, element=element, q=q).defer(*SECTION_FIELDS)
    page = Paginator(adrs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/adr_list.html",
        {
            "page": page,
            "timeline": selectors.timeline(list(page.object_list)) if view == "timeline" else None,
            "view": view,
            "status": status,
            "tag": tag,
            "element": element,
            "q": q,
            "statuses": AdrStatus.choices,
            "elements": ElementCode.choices,
            "tags": Tag.objects.order_by("name").values_list("name", flat=True),
        },
    )


def _get_adr(number: int) -> Adr:
    try:
        return Adr.objects.for_page().get(number=number)
    except Adr.DoesNotExist as exc:
        raise Http404 from exc


# Buttons say what they do; the statuses they lead to are shown as badges.
ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "reject": gettext_lazy("Reject"),
    "deprecate": gettext_lazy("Deprecate"),
}


def _open_read_step(request, adr: Adr):
    """The person's open onboarding step asking them to read this record, if any:
    the page then offers "mark read" and the way back to the track."""
    from knowledge.selectors.onboarding import open_read_step

    return open_read_step(request.user, adr)


@login_required
@cached_page("content", "inventory")
def adr_detail(request, number: int):
    require(request.user, "portal.read")
    adr = _get_adr(number)
    changes, revisions = selectors.history_of(adr)
    sections = [
        (name, Adr._meta.get_field(name).verbose_name, getattr(adr, name))
        for name in SECTION_FIELDS
    ]
    return render(
        request,
        "knowledge/adr_detail.html",
        {
            "adr": adr,
            "sections": sections,
            "links": selectors.links_of(adr),
            "changes": changes,
            "revisions": revisions,
            "status_actions": [
                (action, ACTION_LABELS[action])
                for action, (allowed, _to) in STATUS_ACTIONS.items()
                if adr.status in allowed
            ],
            "proposals": list(adr.supersede_proposals.select_related("old")),
            "successors": [
                link.source for link in adr.links_in.all() if link.kind == LinkKind.SUPERSEDES
            ],
            "step": _open_read_step(request, adr),
            "note_form": StatusNoteForm(),
            "supersede_form": SupersedeForm(adr=adr),
            "link_form": LinkForm(adr=adr),
            "components": components_of(adr),
            # Built only for editors: the choices are every running component.
            "component_form": (ComponentLinkForm() if can(request.user, "adr.edit", adr) else None),
        },
    )


@login_required
def adr_create(request):
    require(request.user, "adr.create")
    form = AdrForm(request.POST or None, initial=AdrForm.initial_for(None))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                adr = services.adr_create(actor=request.user, **form.service_kwargs())
                if form.cleaned_data["supersedes"]:
                    services.adr_supersede_propose(
                        actor=request.user, adr=adr, olds=form.cleaned_data["supersedes"]
                    )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("%(code)s created.") % {"code": adr.code})
            return redirect(adr)
    return render(
        request,
        "knowledge/adr_editor.html",
        {"form": form, "adr": None},
        status=400 if form.errors else 200,
    )


@login_required
def adr_edit(request, number: int):
    adr = _get_adr(number)
    require(request.user, "adr.edit", adr)
    form = AdrForm(request.POST or None, initial=AdrForm.initial_for(adr))
    del form.fields["supersedes"]  # proposed with the record; later through its page
    if request.method == "POST" and form.is_valid():
        revision = form.cleaned_data.get("revision") or adr.revision
        try:
            adr = services.adr_update(
                actor=request.user, adr=adr, revision=revision, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("%(code)s saved.") % {"code": adr.code})
            return redirect(adr)
    return render(
        request,
        "knowledge/adr_editor.html",
        {"form": form, "adr": adr},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def adr_preview(request):
    require(request.user, "portal.read")
    sections = [
        (name, Adr._meta.get_field(name).verbose_name, request.POST.get(name, ""))
        for name in SECTION_FIELDS
    ]
    return render(
        request,
        "knowledge/_adr_preview.html",
        {"title": request.POST.get("title", ""), "sections": sections},
    )


@login_required
@require_POST
def adr_status(request, number: int, action: str):
    if action not in STATUS_ACTIONS:
        raise Http404
    adr = get_object_or_404(Adr, number=number)
    form = StatusNoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    service = {
        "accept": services.adr_accept,
        "reject": services.adr_reject,
        "deprecate": services.adr_deprecate,
    }[action]
    service(actor=request.user, adr=adr, note=note)
    messages.success(
        request,
        _("%(code)s is now %(status)s.")
        % {"code": adr.code, "status": AdrStatus(STATUS_ACTIONS[action][1]).label.lower()},
    )
    return redirect(adr)


def _form_errors(form) -> ValidationError:
    """What was wrong with a small form on the record's page, for the page's messages."""
    return ValidationError(
        [
            f"{form.fields[name].label}: {e}" if name in form.fields else e
            for name, errors in form.errors.items()
            for e in errors
        ]
    )


@login_required
@require_POST
def adr_supersede(request, number: int):
    adr = get_object_or_404(Adr, number=number)
    form = SupersedeForm(request.POST, adr=adr)
    if not form.is_valid():
        return back_with_errors(request, _form_errors(form), adr.get_absolute_url())
    if adr.status == AdrStatus.PROPOSED:
        # A proposed record only proposes: it supersedes once it is accepted.
        try:
            services.adr_supersede_propose(
                actor=request.user, adr=adr, olds=[form.cleaned_data["old"]]
            )
        except ValidationError as exc:
            return back_with_errors(request, exc, adr.get_absolute_url())
        messages.success(
            request,
            _("%(new)s will supersede %(old)s once it is accepted.")
            % {"new": adr.code, "old": form.cleaned_data["old"].code},
        )
        return redirect(adr)
    try:
        services.adr_supersede(
            actor=request.user,
            adr=adr,
            old=form.cleaned_data["old"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        return back_with_errors(request, exc, adr.get_absolute_url())
    messages.success(
        request,
        _("%(new)s supersedes %(old)s.") % {"new": adr.code, "old": form.cleaned_data["old"].code},
    )
    return redirect(adr)


@login_required
@require_POST
def adr_link_add(request, number: int):
    adr = get_object_or_404(Adr, number=number)
    require(request.user, "adr.edit", adr)
    form = LinkForm(request.POST, adr=adr)
    if not form.is_valid():
        return back_with_errors(request, _form_errors(form), adr.get_absolute_url())
    try:
        services.adr_link_add(
            actor=request.user,
            source=adr,
            target=form.cleaned_data["target"],
            kind=form.cleaned_data["kind"],
        )
    except (ValidationError, WorkflowError) as exc:
        return back_with_errors(request, exc, adr.get_absolute_url())
    return redirect(adr)


@login_required
@require_POST
def adr_link_remove(request, number: int, link_id: int):
    adr = get_object_or_404(Adr, number=number)
    link = get_object_or_404(
        AdrLink.objects.select_related("source", "target"), pk=link_id, source=adr
    )
    services.adr_link_remove(actor=request.user, link=link)
    return redirect(adr)


@login_required
@require_POST
def adr_component_link(request, number: int):
    adr = get_object_or_404(Adr, number=number)
    require(request.user, "adr.edit", adr)
    form = ComponentLinkForm(request.POST)
    if not form.is_valid():
        return back_with_errors(
            request,
            ValidationError(_("Choose a running software component.")),
            adr.get_absolute_url(),
        )
    services.adr_component_link(
        actor=request.user, adr=adr, component=form.cleaned_data["component"]
    )
    return redirect(adr)


@login_required
@require_POST
def adr_component_unlink(request, number: int, component_id: int):
    adr = get_object_or_404(Adr, number=number)
    component = get_object_or_404(Component.objects.select_related("cluster"), pk=component_id)
    services.adr_component_unlink(actor=request.user, adr=adr, component=component)
    return redirect(adr)


@login_required
def adr_diff(request, number: int):
    require(request.user, "portal.read")
    adr = get_object_or_404(Adr, number=number)
    try:
        a = int(request.GET.get("a", adr.revision - 1))
        b = int(request.GET.get("b", adr.revision))
        mode = request.GET.get("mode") if request.GET.get("mode") in diffing.MODES else "unified"
        diff = selectors.revision_diff(adr, a, b, mode)
    except (ValueError, AdrRevision.DoesNotExist) as exc:
        raise Http404 from exc
    return render(
        request, "knowledge/adr_diff.html", {"adr": adr, "a": a, "b": b, "diff": diff, "mode": mode}
    )


@login_required
@cached_page("content")
def adr_graph(request):
    """A neighbourhood by default (around ``?around=`` or the latest links), the whole
    graph with ``?all=1``."""
    require(request.user, "portal.read")
    context = {"depths": adr_graph_selectors.DEPTHS, "max_nodes": adr_graph_selectors.MAX_NODES}
    if request.GET.get("all") == "1":
        context.update(graph=adr_graph_selectors.whole_graph(), whole=True)
        return render(request, "knowledge/adr_graph.html", context)
    around_text = request.GET.get("around", "").strip()
    depth_text = request.GET.get("depth", "1")
    depth = int(depth_text) if depth_text in ("1", "2") else None
    around = selectors.parse_number(around_text) if around_text else None
    if depth is None or (around_text and around is None):
        return bad_request(
            request, _("Name a record by its number (42 or ADR-0042) and a depth of 1 or 2.")
        )
    if around is None:
        seeds = adr_graph_selectors.latest_linked()
    else:
        seeds = list(Adr.objects.filter(number=around).values_list("pk", flat=True))
        if not seeds:
            raise Http404
    context.update(
        graph=adr_graph_selectors.neighbourhood(seeds, depth),
        around=around,
        depth=depth,
    )
    return render(request, "knowledge/adr_graph.html", context)


@login_required
def adr_lookup(request):
    """Suggestions for the fields that name a record: ``?q=`` → up to 20
    ``{key, number, title, status, status_label}``."""
    require(request.user, "portal.read")
    return lookup_response(request, selectors.adr_lookup)


@login_required
def adr_import(request):
    require(request.user, "adr.import")
    report = None
    status = 200
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, _("Choose one or more Markdown files."))
            status = 400
        else:
            report = services.adr_import(
                actor=request.user, files=[(f.name, f.read()) for f in files]
            )
            status = (
                400
                if report.errors and not (report.created or report.updated or report.unchanged)
                else 200
            )
    return render(request, "knowledge/adr_import.html", {"report": report}, status=status)
