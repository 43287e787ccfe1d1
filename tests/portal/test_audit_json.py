"""Audit rows keep dates as ISO 8601, the form notifications and the API read back."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from portal.audit import audit_record, jsonable

pytestmark = pytest.mark.django_db


def test_it_stores_dates_as_iso_8601(alice):
    when = dt.datetime(2026, 1, 1, 9, 30, tzinfo=dt.UTC)
    event = audit_record(
        actor=alice, verb="test.thing", obj=alice, after={"at": when, "day": when.date()}
    )
    event.refresh_from_db()
    assert event.after == {"at": "2026-01-01T09:30:00Z", "day": "2026-01-01"}


def test_it_keeps_what_json_does_not_know_as_text():
    marker = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert jsonable({"id": marker, "n": Decimal("1.50"), "other": object}) == {
        "id": str(marker),
        "n": "1.50",
        "other": str(object),
    }
