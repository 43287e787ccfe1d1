"""The platform map's own machinery: a short-lived cache for panels whose figures
are expensive, and the *data* and *networks* panels, which are not owned by any app
but made of whatever records the apps tagged with those elements (read from the
search index, so the portal needs no app's models)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import get_language

from portal.elements import ElementCode
from portal.policy import roles_of
from portal.registry import HomePanel, registry

PANEL_TTL = 60
RECENT = 5


def cached_panel(
    key: str, ttl: int, build: Callable[[], dict], *, request=None, per: str = "all"
) -> dict:
    """``build()`` at most once per ``ttl`` seconds. ``per`` says whose figures they
    are: "all" (the same for everyone), "roles" (depends on the roles held) or
    "user" (personal, such as "awaiting my review"). The language is always part of
    the key because panels carry translated labels. The result must be picklable
    (plain dicts and lists, not querysets)."""
    parts = ["home-panel", key, get_language() or ""]
    if per == "user":
        parts.append(f"u{getattr(getattr(request, 'user', None), 'pk', '')}")
    elif per == "roles":
        parts.append(",".join(sorted(roles_of(getattr(request, "user", None)))))
    elif per != "all":
        raise ValueError(f"per must be 'all', 'roles' or 'user', not {per!r}")
    cache_key = ":".join(parts)
    value = cache.get(cache_key)
    if value is None:
        value = build()
        cache.set(cache_key, value, ttl)
    return value


def tagged_records(element: str) -> dict:
    """Counts by kind and the latest few of everything tagged with ``element``:
    two queries whatever the size of the index."""
    from portal.search.models import SearchEntry

    tagged = SearchEntry.objects.filter(elements__contains=f"|{element}|")
    counts = dict(tagged.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    recent = list(tagged.order_by("-updated_at", "-id").values("kind", "title", "url")[:RECENT])
    search_url = reverse("search")
    kinds = []
    for provider in registry.search_kinds():
        n = counts.get(provider.kind, 0)
        if n:
            query = urlencode({"element": element, "kind": provider.kind})
            kinds.append({"label": str(provider.label), "count": n, "url": f"{search_url}?{query}"})
    labels = {p.kind: str(p.label) for p in registry.search_kinds()}
    for row in recent:
        row["kind_label"] = labels.get(row["kind"], row["kind"])
    return {
        "element": element,
        "total": sum(counts.values()),
        "kinds": kinds,
        "recent": recent,
        "all_url": f"{search_url}?{urlencode({'element': element})}",
    }


def _tagged_panel(element: str):
    def build(request) -> dict:
        return cached_panel(
            f"tagged-{element}", PANEL_TTL, lambda: tagged_records(element), request=request
        )

    return build


def register() -> None:
    for element in (ElementCode.DATA, ElementCode.NETWORKS):
        registry.add_home_panel(
            HomePanel(
                key=f"tagged-{element}",
                element=element,
                template="portal/_home_tagged.html",
                build=_tagged_panel(element.value),
                order=50,
            )
        )
