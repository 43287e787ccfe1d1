"""Reads of the software components a decision is about (``AdrSubject`` rows that
point at inventory components), and of the decisions about a component."""

from __future__ import annotations

from django.db.models import BigIntegerField, QuerySet
from django.db.models.functions import Cast

from inventory.models import Component
from knowledge.models import Adr, AdrSubject

COMPONENT_TYPE = {"content_type__app_label": "inventory", "content_type__model": "component"}


def component_subjects() -> QuerySet[AdrSubject]:
    # Filtering the content type by its natural key joins instead of asking the
    # ContentType cache, so the first page after a restart costs what later ones do.
    return AdrSubject.objects.filter(**COMPONENT_TYPE)


def components_of(adr: Adr) -> list[Component]:
    """The components linked to ``adr``, gone ones included (the page marks them), in
    one query; the result is kept on the instance so a page and a serializer share it."""
    cached = getattr(adr, "_components", None)
    if cached is None:
        ids = (
            component_subjects()
            .filter(adr=adr)
            .annotate(component_id=Cast("object_id", BigIntegerField()))
            .values("component_id")
        )
        cached = list(
            Component.objects.filter(pk__in=ids)
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
    numbers = component_subjects().filter(object_id=str(component.pk)).values("adr_id")
    return Adr.objects.filter(pk__in=numbers).order_by("-number")
