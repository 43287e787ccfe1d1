"""Naming a procedure in another app's form by its slug, with suggestions as one
types (``portal.lookup``), instead of a dropdown of every procedure."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.urls import reverse_lazy

from portal.lookup import MAX_RESULTS, ReferenceField, lookup_response
from portal.policy import require
from procedures.models import Procedure

_SLUG = re.compile(r"[-a-z0-9_]{1,120}")


def parse_slug(text: str) -> str | None:
    slug = text.strip().lower()
    return slug if _SLUG.fullmatch(slug) else None


def procedure_lookup(q: str) -> list[dict]:
    """Procedures whose slug or title contains ``q``: one query, two columns."""
    qs = Procedure.objects.order_by("title")
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(slug__icontains=q))
    return [
        {"key": row["slug"], "title": row["title"]}
        for row in qs.values("slug", "title")[:MAX_RESULTS]
    ]


@login_required
def lookup(request):
    require(request.user, "portal.read")
    return lookup_response(request, procedure_lookup)


def procedure_field(*, multiple: bool = False, **kwargs) -> ReferenceField:
    return ReferenceField(
        queryset=Procedure.objects.all(),
        to_field="slug",
        parse=parse_slug,
        display=lambda procedure: procedure.slug,
        lookup_url=reverse_lazy("procedures:lookup"),
        multiple=multiple,
        **kwargs,
    )
