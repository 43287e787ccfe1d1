"""Inventory pages. Each list renders a partial that htmx re-renders when the "last
change" check moves (views_live; the same URL answers an htmx request with the partial
alone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import selectors
from inventory.capacity import capacity_advice
from inventory.findings import RULES, Scope, findings_counts, findings_list, findings_summary
from inventory.forms import CapacityForm, ChangeFilterForm, ComponentFilterForm
from inventory.models import Cluster, Node
from inventory.services import cluster_sync_request
from inventory.usage import RANGES, model_usage, node_usage
from portal.page_cache import cached_page
from portal.policy import require
from portal.views import bad_request


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _render(request, template: str, partial: str, context: dict):
    context = {**context, "partial": partial, "clusters": Cluster.objects.all()}
    if request.htmx:
        return render(request, partial, context)
    return render(request, template, context)


def _page(request, qs, size: int = 50):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _usage_range(request) -> str | None:
    """The sparklines' range (``?usage=day|week``, a day by default); None if unknown."""
    value = request.GET.get("usage", "day")
    return value if value in RANGES else None


def _unknown_range(request):
    return bad_request(request, _("The usage range must be “day” or “week”."))


@login_required
@cached_page("content", "inventory")
def overview(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    usage = _usage_range(request)
    if usage is None:
        return _unknown_range(request)
    data = selectors.inventory_overview(cluster_id=cluster_id)
    by_model = model_usage(cluster_id=cluster_id, hours=RANGES[usage])
    # The counts are cached per sync; on a miss the rules reuse the sources read above.
    counts = findings_counts(Scope(cluster_id=cluster_id, _sources=data.sources))
    return _render(
        request,
        "inventory/overview.html",
        "inventory/_overview.html",
        {
            "o": data,
            "cluster_id": cluster_id,
            "usage": usage,
            "models": [(m, by_model.get(m["product"])) for m in data.gpus_by_model],
            "summary": findings_summary(counts=counts),
            "findings_count": sum(counts.values()),
        },
    )


@login_required
@cached_page("content", "inventory")
def node_list(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    gone = request.GET.get("gone") == "1"
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.node_list(cluster_id=cluster_id, include_gone=gone, q=q)
    return _render(
        request,
        "inventory/node_list.html",
        "inventory/_node_list.html",
        {"page": _page(request, qs), "cluster_id": cluster_id, "gone": gone, "q": q},
    )


@login_required
@cached_page("content", "inventory")
def node_detail(request, pk: int):
    require(request.user, "inventory.read")
    usage = _usage_range(request)
    if usage is None:
        return _unknown_range(request)
    try:
        node, gpus, changes = selectors.node_detail(pk)
    except Node.DoesNotExist as exc:
        raise Http404 from exc
    return _render(
        request,
        "inventory/node_detail.html",
        "inventory/_node_detail.html",
        {
            "node": node,
            "gpus": gpus,
            "changes": changes,
            "usage": usage,
            "series": node_usage(node.pk, hours=RANGES[usage]),
        },
    )


@login_required
@cached_page("content", "inventory")
def gpu_list(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    product = request.GET.get("product", "").strip()[:100]
    node = request.GET.get("node", "").strip()[:253]
    uuid = request.GET.get("uuid", "").strip()[:100]
    gone = request.GET.get("gone") == "1"
    qs = selectors.gpu_list(
        cluster_id=cluster_id, product=product, node=node, uuid=uuid, include_gone=gone
    )
    return _render(
        request,
        "inventory/gpu_list.html",
        "inventory/_gpu_list.html",
        {
            "page": _page(request, qs),
            "cluster_id": cluster_id,
            "product": product,
            "node": node,
            "uuid": uuid,
            "gone": gone,
        },
    )


@login_required
@cached_page("content", "inventory")
def component_list(request):
    require(request.user, "inventory.read")
    form = ComponentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    gone = request.GET.get("gone") == "1"
    qs = selectors.component_list(
        cluster_id=data.get("cluster"),
        category=data.get("category", ""),
        q=data.get("q", "").strip(),
        include_gone=gone,
    )
    return _render(
        request,
        "inventory/component_list.html",
        "inventory/_component_list.html",
        {"page": _page(request, qs), "form": form, "gone": gone, "cluster_id": data.get("cluster")},
    )


@login_required
@cached_page("content", "inventory")
def change_list(request):
    require(request.user, "inventory.read")
    form = ChangeFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.change_list(
        cluster_id=data.get("cluster"),
        object_kind=data.get("kind", ""),
        since=data.get("since"),
    )
    return _render(
        request,
        "inventory/change_list.html",
        "inventory/_change_list.html",
        {"page": _page(request, qs), "form": form, "cluster_id": data.get("cluster")},
    )


@login_required
def syncrun_list(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    source_id = _int(request.GET.get("source"))
    status = request.GET.get("status", "")[:20]
    qs = selectors.syncrun_list(cluster_id=cluster_id, source_id=source_id, status=status)
    return _render(
        request,
        "inventory/syncrun_list.html",
        "inventory/_syncrun_list.html",
        {"page": _page(request, qs), "cluster_id": cluster_id, "status": status},
    )


@login_required
@cached_page("content", "inventory")
def findings(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    code = request.GET.get("code", "")
    code = code if code in RULES else ""
    found = findings_list(cluster_id=cluster_id, code=code or None)
    return _render(
        request,
        "inventory/findings.html",
        "inventory/_findings.html",
        {
            "page": _page(request, found),
            "summary": findings_summary(counts=found.counts),
            "rules": [(rule.code, str(rule.title)) for rule in RULES.values()],
            "code": code,
            "cluster_id": cluster_id,
        },
    )


@login_required
@cached_page("content", "inventory")
def capacity(request):
    require(request.user, "inventory.read")
    form = CapacityForm(request.GET or None)
    advice = None
    if form.is_valid():
        data = form.cleaned_data
        advice = capacity_advice(
            model_gb=data["model_gb"],
            batch_gb=data["batch_gb"],
            dataset_bytes=int(data["dataset_gb"] * 10**9),
            gpu_count=data["gpu_count"],
            cluster_id=data.get("cluster"),
        )
    status = 400 if request.GET and not form.is_valid() else 200
    response = render(
        request,
        "inventory/capacity.html",
        {"form": form, "advice": advice, "clusters": Cluster.objects.all()},
    )
    response.status_code = status
    return response


@login_required
@require_POST
def cluster_sync_now(request, pk: int):
    cluster = get_object_or_404(Cluster, pk=pk)
    started = cluster_sync_request(actor=request.user, cluster=cluster)
    if not started.started:
        messages.warning(
            request,
            _("Nothing can run: every source of %(cluster)s is disabled.") % {"cluster": cluster},
        )
        return redirect(cluster.get_absolute_url())
    what = list(started.sources)
    if started.agents:
        what.append(_("a report from every GPU agent"))
    runs = reverse("inventory:syncrun-list") + f"?cluster={cluster.pk}"
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Sync of %(cluster)s started: %(what)s.")
            % {"cluster": cluster, "what": ", ".join(str(w) for w in what)},
            runs,
            _("See its runs"),
        ),
    )
    return redirect(cluster.get_absolute_url())
