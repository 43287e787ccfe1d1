"""Sources configured in Django's admin go through the same service (policy, audit,
validation) as the API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from inventory.models import InventorySource
from portal.models import AuditEvent

from .builders import make_cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(user)
    return client


def test_an_admin_adds_a_source_in_the_admin(root):
    cluster = make_cluster()
    response = root.post(
        "/admin/inventory/inventorysource/add/",
        {
            "cluster": cluster.pk,
            "name": "api",
            "kind": "kubernetes",
            "config": '{"in_cluster": true}',
            "enabled": "on",
            "sync_interval_seconds": "300",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = InventorySource.objects.get()
    assert source.config == {"in_cluster": True}
    assert AuditEvent.objects.filter(verb="inventory.source_create").count() == 1


def test_a_secret_in_the_config_is_refused_in_the_admin(root):
    cluster = make_cluster()
    response = root.post(
        "/admin/inventory/inventorysource/add/",
        {
            "cluster": cluster.pk,
            "name": "api",
            "kind": "kubernetes",
            "config": '{"kubeconfig": "/k", "token": "s3cret"}',
            "enabled": "on",
            "sync_interval_seconds": "300",
        },
    )
    assert response.status_code == 200
    assert "looks like a secret" in response.content.decode()
    assert not InventorySource.objects.exists()


def test_the_inventory_itself_is_read_only_in_the_admin(root):
    assert root.get("/admin/inventory/node/add/").status_code == 403
