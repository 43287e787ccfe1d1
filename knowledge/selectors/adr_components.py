"""Reads of the software components a decision is about, and of the decisions about
a component."""

from __future__ import annotations

from django.db.models import QuerySet

from inventory.models import Component
from knowledge.models import Adr


def components_of(adr: Adr) -> list[Component]:
    """The components linked to ``adr``, gone ones included (the page marks them), in
    one query; the result is kept on the instance so a page and a serializer share it."""
    cached = getattr(adr, "_components", None)
    if cached is None:
        cached = list(
            Component.objects.filter(adr_links__adr=adr)
            .select_related("cluster")
            .order_by("name", "cluster__name", "namespace", "pk")
        )
        adr._components = cached
    return cached


def component_choices() -> QuerySet[Component]:
    """What an editor may link: components still running somewhere."""
    return (
        Component.objects.present()
        .select_related("cluster")
        .order_by("name", "cluster__name", "namespace", "pk")
    )


def adrs_of_component(component: Component) -> QuerySet[Adr]:
    return Adr.objects.filter(component_links__component=component).order_by("-number")
