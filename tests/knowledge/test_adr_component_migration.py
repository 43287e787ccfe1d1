"""Migrating the generic ADR subjects to the component foreign key keeps every link to
a component that exists, and nothing else."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("knowledge", "0002_allow_adr_0000_and_label_raci_letters"),
    ("inventory", "0001_inventory_model"),
]
AFTER = [("knowledge", "0003_adr_component_foreign_key")]


@pytest.mark.django_db(transaction=True)
def test_component_subjects_become_component_links():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    now = timezone.now()
    cluster = old.get_model("inventory", "Cluster").objects.create(name="prod")
    component = old.get_model("inventory", "Component").objects.create(
        cluster=cluster,
        namespace="mlflow",
        kind="Deployment",
        workload_name="mlflow",
        name="MLflow",
        category="ml",
        first_seen_at=now,
        changed_at=now,
    )
    adr = old.get_model("knowledge", "Adr").objects.create(
        number=7, title="Track experiments", date=now.date()
    )
    ContentType = old.get_model("contenttypes", "ContentType")
    component_type, _ = ContentType.objects.get_or_create(app_label="inventory", model="component")
    other_type, _ = ContentType.objects.get_or_create(app_label="inventory", model="cluster")
    Subject = old.get_model("knowledge", "AdrSubject")
    Subject.objects.create(adr=adr, content_type=component_type, object_id=str(component.pk))
    Subject.objects.create(adr=adr, content_type=component_type, object_id="999999")  # gone
    Subject.objects.create(adr=adr, content_type=other_type, object_id=str(cluster.pk))

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    links = new.get_model("knowledge", "AdrComponent").objects.values_list("adr_id", "component_id")
    assert list(links) == [(adr.pk, component.pk)]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
