"""Record numbers are assigned on creation, unique and without gaps, even when many
people create records at the same moment."""

import threading

import pytest
from django.db import connection, connections

from knowledge.models import Adr


def test_it_numbers_records_in_order_from_one(make_adr):
    numbers = [make_adr(f"Decision {i}").number for i in range(3)]
    assert numbers == [1, 2, 3]
    assert Adr.objects.get(number=2).code == "ADR-0002"


def test_a_failed_creation_leaves_no_gap(make_adr, alice):
    from django.core.exceptions import ValidationError

    from knowledge.services import adr_create

    make_adr("First")
    with pytest.raises(ValidationError):
        adr_create(actor=alice, title="Bad", context="x\x00y")
    assert make_adr("Second").number == 2


def test_numbers_continue_after_imported_records(make_adr, alice):
    from knowledge.services import adr_import

    adr_import(
        actor=alice, files=[("0007-imported.md", "# 7. Imported\n\n## Status\n\nAccepted\n")]
    )
    assert make_adr("Next").number == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_people_creating_at_once_get_twenty_consecutive_numbers(alice):
    from knowledge.services import adr_create

    assert connection.vendor == "postgresql"
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            adr_create(actor=alice, title=f"Concurrent decision {i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(Adr.objects.values_list("number", flat=True)) == list(range(1, 21))
