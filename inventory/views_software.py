"""The software element's pages: certificates (and the domain names they serve) and
storage (classes and volume claims)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.utils import timezone

from inventory.certificates import EXPIRY_WARNING_DAYS, certificate_list
from inventory.models import Volume
from inventory.views import _int, _page, _render
from portal.policy import require


@login_required
def certificates(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    gone = request.GET.get("gone") == "1"
    now = timezone.now()
    return _render(
        request,
        "inventory/certificate_list.html",
        "inventory/_certificate_list.html",
        {
            "page": _page(request, certificate_list(cluster_id=cluster_id, include_gone=gone)),
            "cluster_id": cluster_id,
            "gone": gone,
            "now": now,
            "soon": now + timedelta(days=EXPIRY_WARNING_DAYS),
            "warning_days": EXPIRY_WARNING_DAYS,
        },
    )


@login_required
def storage(request):
    require(request.user, "inventory.read")
    cluster_id = _int(request.GET.get("cluster"))
    gone = request.GET.get("gone") == "1"
    qs = Volume.objects.select_related("cluster")
    if not gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id is not None:
        qs = qs.filter(cluster_id=cluster_id)
    qs = qs.order_by("kind", "namespace", "name", "pk")
    return _render(
        request,
        "inventory/storage_list.html",
        "inventory/_storage_list.html",
        {"page": _page(request, qs), "cluster_id": cluster_id, "gone": gone},
    )
