"""Reference rows survive the flush that ends every transactional test."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from portal.models import Element
from procedures.models import Category


@pytest.mark.django_db(transaction=True)
def test_a_flush_puts_the_reference_rows_back():
    Element.objects.all().delete()
    Group.objects.all().delete()
    call_command("flush", "--noinput", verbosity=0)
    assert Element.objects.count() == 7
    assert Category.objects.count() == 7
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "portal-viewer", "portal-editor", "portal-approver", "portal-admin",
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_starts_with_them():
    assert Element.objects.count() == 7
    assert Category.objects.count() == 7
