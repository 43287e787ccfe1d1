"""The cheap check behind live pages: has anything in the inventory changed?

Every inventory page asks it every few seconds (static/js/inventory-live.js) and
re-renders its partial only when the answer differs from the last one. The answer is
the newest InventoryChange and SyncRun ids: two primary-key lookups, whatever the size
of the inventory, and with an ETag a browser that already has the answer gets a 304.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from inventory.models import InventoryChange, SyncRun
from portal.policy import require


def live_token() -> str:
    """Moves whenever a sync, a watch batch or a GPU report wrote something."""
    change = InventoryChange.objects.aggregate(last=Max("id"))["last"] or 0
    run = SyncRun.objects.aggregate(last=Max("id"))["last"] or 0
    return f"{change}.{run}"


def _etag(request) -> str | None:
    return live_token() if request.user.is_authenticated else None


@login_required
@cache_control(private=True, no_cache=True)
@condition(etag_func=_etag)
def last_change(request):
    require(request.user, "inventory.read")
    return JsonResponse({"token": live_token()})
