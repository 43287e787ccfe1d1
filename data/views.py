"""Data and networks pages: thin, every write through ``data.services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from data import selectors, services
from data.advisor import advise
from data.drawing import history_chart, interval_chart, site_map
from data.findings import findings_compute
from data.forms import (
    AdvisorForm,
    DatasetFilterForm,
    DatasetForm,
    DvcUploadForm,
    Iperf3UploadForm,
    LinkForm,
    MeasurementForm,
    PlacementForm,
    SiteForm,
    StoreForm,
)
from data.imports import dvc_import, iperf3_import
from data.models import ClusterPlacement, Dataset, DataStore, NetworkLink, Site
from inventory.models import Cluster
from portal.policy import require


def _page(request, qs, size: int = 50):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _edit(request, pk, *, model, form_class, create, update, kwarg: str, new_title: str):
    """One shape for every create/edit page: ``pk`` None creates (``create``), else
    edits (``update``, the object passed as ``kwarg``); GET shows the form, POST calls
    the service and a refused value comes back on the form with a 400."""
    instance = get_object_or_404(model, pk=pk) if pk else None
    if instance is None:
        title = new_title

        def save(values):
            return create(actor=request.user, **values)
    else:
        title = _("Edit %(name)s") % {"name": getattr(instance, "name", instance)}

        def save(values):
            return update(actor=request.user, **{kwarg: instance}, **values)

    template = "data/edit.html"
    require(request.user, "data.edit", instance)
    form = form_class(request.POST or None, instance=instance)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = (
                form.service_values()
                if hasattr(form, "service_values")
                else {n: form.cleaned_data[n] for n in form.Meta.fields}
            )
            try:
                obj = save(values)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(obj.get_absolute_url())
        status = 400
    return render(
        request, template, {"form": form, "object": instance, "title": title}, status=status
    )


def _delete(request, obj, service, kwarg: str, next_url: str):
    try:
        service(actor=request.user, **{kwarg: obj})
    except ProtectedError:
        messages.error(request, _("It is still in use."))
        return redirect(obj.get_absolute_url())
    messages.success(request, _("Deleted."))
    return redirect(next_url)


# --- Datasets -----------------------------------------------------------------------


@login_required
def dataset_list(request):
    require(request.user, "data.read")
    form = DatasetFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.dataset_list(
        q=data.get("q", "").strip(),
        store_id=data.get("store"),
        kind=data.get("kind", ""),
        versioning=data.get("versioning", ""),
    )
    return render(
        request,
        "data/dataset_list.html",
        {"page": _page(request, qs), "form": form, "totals": selectors.kind_totals()},
    )


@login_required
def dataset_detail(request, pk: int):
    require(request.user, "data.read")
    try:
        dataset, used_on = selectors.dataset_detail(pk)
    except Dataset.DoesNotExist as exc:
        raise Http404 from exc
    network = selectors.network_load()
    deliveries = sorted(
        (network.delivery(dataset, cluster_id) for cluster_id in network.cluster_names),
        key=lambda d: (d.cluster_id not in used_on, d.first_s is None, d.first_s or 0),
    )
    return render(
        request,
        "data/dataset_detail.html",
        {
            "dataset": dataset,
            "deliveries": deliveries,
            "used_on": used_on,
            "limit_hours": settings.DATA_DELIVERY_MAX_HOURS,
        },
    )


@login_required
def dataset_edit(request, pk: int | None = None):
    return _edit(
        request,
        pk,
        model=Dataset,
        form_class=DatasetForm,
        create=services.dataset_create,
        update=services.dataset_update,
        kwarg="dataset",
        new_title=_("New dataset"),
    )


@login_required
@require_POST
def dataset_delete(request, pk: int):
    dataset = get_object_or_404(Dataset, pk=pk)
    return _delete(request, dataset, services.dataset_delete, "dataset", "data:dataset-list")


@login_required
def dvc_upload(request):
    require(request.user, "data.edit")
    form = DvcUploadForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            files = [(f.name, f.read()) for f in form.cleaned_data["files"]]
            report = dvc_import(actor=request.user, files=files, store=form.cleaned_data["store"])
            status = 400 if report.errors and len(report.errors) == len(files) else 200
        else:
            status = 400
    return render(request, "data/dvc_upload.html", {"form": form, "report": report}, status=status)


# --- Stores -------------------------------------------------------------------------


@login_required
def store_list(request):
    require(request.user, "data.read")
    return render(request, "data/store_list.html", {"page": _page(request, selectors.store_list())})


@login_required
def store_detail(request, pk: int):
    require(request.user, "data.read")
    store = get_object_or_404(selectors.store_list(), pk=pk)
    datasets = _page(request, store.datasets.order_by("name"))
    return render(request, "data/store_detail.html", {"store": store, "page": datasets})


@login_required
def store_edit(request, pk: int | None = None):
    return _edit(
        request,
        pk,
        model=DataStore,
        form_class=StoreForm,
        create=services.store_create,
        update=services.store_update,
        kwarg="store",
        new_title=_("New data store"),
    )


@login_required
@require_POST
def store_delete(request, pk: int):
    store = get_object_or_404(DataStore, pk=pk)
    return _delete(request, store, services.store_delete, "store", "data:store-list")


# --- Sites --------------------------------------------------------------------------


@login_required
def site_list(request):
    require(request.user, "data.read")
    return render(request, "data/site_list.html", {"page": _page(request, selectors.site_list())})


@login_required
def site_detail(request, pk: int):
    require(request.user, "data.read")
    site = get_object_or_404(Site, pk=pk)
    placements = ClusterPlacement.objects.filter(site=site).select_related("cluster")
    links = NetworkLink.objects.filter(site_a=site) | NetworkLink.objects.filter(site_b=site)
    return render(
        request,
        "data/site_detail.html",
        {
            "site": site,
            "stores": site.stores.order_by("name"),
            "placements": placements.order_by("cluster__name"),
            "links": links.select_related("site_a", "site_b"),
            "placement_form": PlacementForm(),
        },
    )


@login_required
def site_edit(request, pk: int | None = None):
    return _edit(
        request,
        pk,
        model=Site,
        form_class=SiteForm,
        create=services.site_create,
        update=services.site_update,
        kwarg="site",
        new_title=_("New site"),
    )


@login_required
@require_POST
def site_delete(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    return _delete(request, site, services.site_delete, "site", "data:site-list")


@login_required
@require_POST
def site_place(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    form = PlacementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a cluster."))
        return redirect(site.get_absolute_url())
    services.cluster_place(actor=request.user, cluster=form.cleaned_data["cluster"], site=site)
    messages.success(request, _("Saved."))
    return redirect(site.get_absolute_url())


@login_required
@require_POST
def cluster_unplace(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    placement = ClusterPlacement.objects.filter(cluster=cluster).select_related("site").first()
    services.cluster_place(actor=request.user, cluster=cluster, site=None)
    messages.success(request, _("Saved."))
    return redirect(placement.site.get_absolute_url() if placement else "data:site-list")


# --- Links --------------------------------------------------------------------------


@login_required
def link_list(request):
    require(request.user, "data.read")
    return render(request, "data/link_list.html", {"page": _page(request, selectors.link_list())})


@login_required
def link_detail(request, pk: int):
    require(request.user, "data.read")
    link = get_object_or_404(NetworkLink.objects.select_related("site_a", "site_b"), pk=pk)
    history = selectors.link_history(link)
    latest = history[-1] if history else None
    return render(
        request,
        "data/link_detail.html",
        {
            "link": link,
            "history": history[::-1][:20],
            "chart": history_chart(history, link.bandwidth_gbps),
            "intervals": interval_chart(latest.intervals) if latest else None,
            "latest": latest,
            "upload_form": Iperf3UploadForm(),
            "measure_form": MeasurementForm(),
        },
    )


@login_required
def link_edit(request, pk: int | None = None):
    return _edit(
        request,
        pk,
        model=NetworkLink,
        form_class=LinkForm,
        create=services.link_create,
        update=services.link_update,
        kwarg="link",
        new_title=_("New network link"),
    )


@login_required
@require_POST
def link_delete(request, pk: int):
    link = get_object_or_404(NetworkLink, pk=pk)
    return _delete(request, link, services.link_delete, "link", "data:link-list")


@login_required
@require_POST
def link_measure(request, pk: int):
    """A typed figure or uploaded ``iperf3 -J`` files."""
    link = get_object_or_404(NetworkLink, pk=pk)
    require(request.user, "data.edit", link)
    if request.FILES:
        form = Iperf3UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose one or more iperf3 -J files."))
            return redirect(link.get_absolute_url())
        files = [(f.name, f.read()) for f in form.cleaned_data["files"]]
        report = iperf3_import(actor=request.user, link=link, files=files)
        for result in report.files:
            (messages.success if result.ok else messages.error)(
                request, f"{result.name}: {result.message}" if result.ok else result.message
            )
        return redirect(link.get_absolute_url())
    form = MeasurementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the measured bandwidth in Gbit/s."))
        return redirect(link.get_absolute_url())
    services.measurement_record(
        actor=request.user,
        link=link,
        gbps=form.cleaned_data["gbps"],
        measured_at=form.cleaned_data["measured_at"] or timezone.now(),
        how=form.cleaned_data["how"] or _("typed in"),
    )
    messages.success(request, _("Saved."))
    return redirect(link.get_absolute_url())


# --- Findings, map, advisor ---------------------------------------------------------


@login_required
def findings(request):
    require(request.user, "data.read")
    network = selectors.network_load()
    return render(
        request,
        "data/findings.html",
        {
            "groups": findings_compute(network=network),
            "limit_hours": settings.DATA_DELIVERY_MAX_HOURS,
        },
    )


@login_required
def network_map(request):
    require(request.user, "data.read")
    network = selectors.network_load()
    return render(request, "data/map.html", {"map": site_map(network)})


@login_required
def advisor(request):
    require(request.user, "data.read")
    require(request.user, "inventory.read")
    form = AdvisorForm(request.GET or None)
    rows = None
    if form.is_valid():
        rows = advise(
            dataset=form.cleaned_data["dataset"],
            model_gb=form.cleaned_data["model_gb"],
            batch_gb=form.cleaned_data["batch_gb"],
            gpu_count=form.cleaned_data["gpu_count"],
        )
    status = 400 if request.GET and not form.is_valid() else 200
    return render(
        request,
        "data/advisor.html",
        {
            "form": form,
            "rows": rows,
            "dataset": form.cleaned_data.get("dataset") if rows is not None else None,
        },
        status=status,
    )
