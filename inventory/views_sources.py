"""Sources configured in the portal: a form per kind with help per field, and *Test
connection*, which reads once with what the form holds and stores nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.choices import SourceKind
from inventory.forms import SOURCE_FORMS
from inventory.models import Cluster, InventorySource
from inventory.services import source_create, source_test, source_update
from portal.policy import require


def _form_class(kind: str):
    try:
        return SOURCE_FORMS[SourceKind(kind)]
    except ValueError as exc:
        raise Http404 from exc


@login_required
def source_list(request):
    require(request.user, "inventory.manage")
    clusters = Cluster.objects.prefetch_related("sources").order_by("name")
    return render(
        request,
        "inventory/source_list.html",
        {"cluster_list": clusters, "kinds": SourceKind.choices},
    )


def _save(request, form, *, cluster, kind, source=None):
    fields = {
        "name": form.cleaned_data["name"],
        "enabled": form.cleaned_data["enabled"],
        "sync_interval_seconds": form.cleaned_data["sync_interval_seconds"],
        "config": form.config(),
    }
    try:
        if source is None:
            source = source_create(actor=request.user, cluster=cluster, kind=kind, **fields)
        else:
            source = source_update(actor=request.user, source=source, **fields)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None
    messages.success(request, _("Source %(name)s saved.") % {"name": source.name})
    return redirect(reverse("inventory:source-list"))


def _form_page(request, form, *, cluster, kind, source=None, status=200):
    response = render(
        request,
        "inventory/source_form.html",
        {
            "form": form,
            "cluster": cluster,
            "kind": kind,
            "kind_label": SourceKind(kind).label,
            "source": source,
            "test_url": reverse("inventory:source-test", args=[cluster.pk, kind]),
        },
    )
    response.status_code = status
    return response


@login_required
def source_new(request, cluster_pk: int, kind: str):
    cluster = get_object_or_404(Cluster, pk=cluster_pk)
    require(request.user, "inventory.manage", cluster)
    form_class = _form_class(kind)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and (saved := _save(request, form, cluster=cluster, kind=kind)):
            return saved
        return _form_page(request, form, cluster=cluster, kind=kind, status=400)
    form = form_class(initial={"sync_interval_seconds": cluster.sync_interval_seconds})
    return _form_page(request, form, cluster=cluster, kind=kind)


@login_required
def source_edit(request, pk: int):
    source = get_object_or_404(InventorySource.objects.select_related("cluster"), pk=pk)
    require(request.user, "inventory.manage", source)
    form_class = _form_class(source.kind)
    kwargs = {"cluster": source.cluster, "kind": source.kind, "source": source}
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and (saved := _save(request, form, **kwargs)):
            return saved
        return _form_page(request, form, status=400, **kwargs)
    return _form_page(request, form_class(initial=form_class.initial_from(source)), **kwargs)


@login_required
@require_POST
def source_test_view(request, cluster_pk: int, kind: str):
    cluster = get_object_or_404(Cluster, pk=cluster_pk)
    data = request.POST.copy()
    # Only the configuration matters for a test: a name or interval not yet filled in
    # must not stop it.
    for field, default in (("name", "test"), ("sync_interval_seconds", "300")):
        if not data.get(field):
            data[field] = default
    form = _form_class(kind)(data)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        result = None
    else:
        errors = []
        result = source_test(actor=request.user, cluster=cluster, kind=kind, config=form.config())
    return render(request, "inventory/_source_test.html", {"result": result, "form_errors": errors})
