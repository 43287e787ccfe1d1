"""The one function that writes audit events. Services call it inside their
transaction, so an event exists exactly when its change does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from portal.models import AuditEvent
from portal.request_context import current_request_id


class AuditJSONEncoder(DjangoJSONEncoder):
    """Dates, times, decimals and UUIDs as DjangoJSONEncoder writes them (ISO 8601);
    anything else it does not know by its text, so an audit row is never refused.
    (Passing ``default=str`` beside ``cls`` would replace DjangoJSONEncoder's own
    ``default`` and store dates as ``"2026-01-01 00:00:00+00:00"``.)"""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def jsonable(value: Any) -> Any:
    """A value as plain JSON data, the way audit rows and notifications store it."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=AuditJSONEncoder))


# Called with every new event inside the writing transaction; a listener that wants
# the committed state registers its own transaction.on_commit (notifications do).
_LISTENERS: list[Callable[[AuditEvent], None]] = []


def add_audit_listener(listener: Callable[[AuditEvent], None]) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def audit_record(
    *,
    actor,
    verb: str,
    obj=None,
    before: dict | None = None,
    after: dict | None = None,
    object_repr: str | None = None,
) -> AuditEvent:
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=(actor.get_username() if is_user else (str(actor) if actor else "system"))[
            :150
        ],
        verb=verb,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(
            object_repr if object_repr is not None else str(obj) if obj is not None else ""
        )[:300],
        before=jsonable(before),
        after=jsonable(after),
        request_id=current_request_id() or "",
    )
    for listener in _LISTENERS:
        listener(event)
    return event
