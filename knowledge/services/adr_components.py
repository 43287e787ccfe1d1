"""Links from decision records to the inventory's software components
(``AdrComponent`` rows: knowledge points at the inventory, never the other way)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.models import Component
from knowledge.models import Adr, AdrComponent
from portal.audit import audit_record
from portal.policy import require


def _subject(component: Component) -> dict:
    return {
        "component": component.pk,
        "name": component.name,
        "version": component.version,
        "cluster": component.cluster.name,
        "namespace": component.namespace,
    }


@transaction.atomic
def adr_component_link(*, actor, adr: Adr, component: Component) -> tuple[AdrComponent, bool]:
    """Link ``component`` to ``adr``; returns the row and whether it is new. Linking
    twice is not an error: the second call finds the row and writes no audit event,
    so a retried request is harmless."""
    require(actor, "adr.edit", adr)
    existing = AdrComponent.objects.filter(adr=adr, component=component).first()
    if existing is not None:
        return existing, False
    if component.is_gone:
        # A decision about something no longer running is history, not a new link.
        raise ValidationError(
            {"component": _("%(name)s is gone from the inventory.") % {"name": component.name}}
        )
    subject, created = AdrComponent.objects.get_or_create(adr=adr, component=component)
    if created:
        audit_record(actor=actor, verb="adr.component_link", obj=adr, after=_subject(component))
    return subject, created


@transaction.atomic
def adr_component_unlink(*, actor, adr: Adr, component: Component) -> bool:
    """Remove the link; returns whether there was one (unlinking twice is harmless)."""
    require(actor, "adr.edit", adr)
    deleted, _rows = AdrComponent.objects.filter(adr=adr, component=component).delete()
    if deleted:
        audit_record(actor=actor, verb="adr.component_unlink", obj=adr, before=_subject(component))
    return bool(deleted)
