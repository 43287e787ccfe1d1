"""Links from decision records to the inventory's software components. Stored as
``AdrSubject`` rows so the inventory never has to know about decisions."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.models import Component
from knowledge.models import Adr, AdrSubject
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
def adr_component_link(*, actor, adr: Adr, component: Component) -> tuple[AdrSubject, bool]:
    """Link ``component`` to ``adr``; returns the row and whether it is new. Linking
    twice is not an error: the second call finds the row and writes no audit event,
    so a retried request is harmless."""
    require(actor, "adr.edit", adr)
    content_type = ContentType.objects.get_for_model(Component)
    existing = AdrSubject.objects.filter(
        adr=adr, content_type=content_type, object_id=str(component.pk)
    ).first()
    if existing is not None:
        return existing, False
    if component.is_gone:
        # A decision about something no longer running is history, not a new link.
        raise ValidationError(
            {"component": _("%(name)s is gone from the inventory.") % {"name": component.name}}
        )
    subject, created = AdrSubject.objects.get_or_create(
        adr=adr, content_type=content_type, object_id=str(component.pk)
    )
    if created:
        audit_record(actor=actor, verb="adr.component_link", obj=adr, after=_subject(component))
    return subject, created


@transaction.atomic
def adr_component_unlink(*, actor, adr: Adr, component: Component) -> bool:
    """Remove the link; returns whether there was one (unlinking twice is harmless)."""
    require(actor, "adr.edit", adr)
    content_type = ContentType.objects.get_for_model(Component)
    deleted, _rows = AdrSubject.objects.filter(
        adr=adr, content_type=content_type, object_id=str(component.pk)
    ).delete()
    if deleted:
        audit_record(actor=actor, verb="adr.component_unlink", obj=adr, before=_subject(component))
    return bool(deleted)
