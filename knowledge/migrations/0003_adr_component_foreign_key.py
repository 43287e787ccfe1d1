"""ADR subjects become a plain foreign key to inventory components (their only kind):
the rows pointing at components are copied into AdrComponent. The generic table
stays for the version still serving during the upgrade (it may add rows); the next
release copies those once more and drops it in a contract migration."""

import django.db.models.deletion
from django.db import migrations, models


def copy_component_subjects(apps, schema_editor):
    AdrSubject = apps.get_model("knowledge", "AdrSubject")
    AdrComponent = apps.get_model("knowledge", "AdrComponent")
    Component = apps.get_model("inventory", "Component")
    rows = AdrSubject.objects.filter(
        content_type__app_label="inventory", content_type__model="component"
    ).values_list("adr_id", "object_id")
    wanted = [(adr_id, int(oid)) for adr_id, oid in rows if oid.isdigit()]
    present = set(
        Component.objects.filter(pk__in={c for _a, c in wanted}).values_list("pk", flat=True)
    )
    AdrComponent.objects.bulk_create(
        [AdrComponent(adr_id=a, component_id=c) for a, c in wanted if c in present],
        ignore_conflicts=True,
    )


def copy_back(apps, schema_editor):
    AdrSubject = apps.get_model("knowledge", "AdrSubject")
    AdrComponent = apps.get_model("knowledge", "AdrComponent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="inventory", model="component")
    AdrSubject.objects.bulk_create(
        [
            AdrSubject(adr_id=a, content_type=content_type, object_id=str(c))
            for a, c in AdrComponent.objects.values_list("adr_id", "component_id")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0001_inventory_model"),
        ("knowledge", "0002_allow_adr_0000_and_label_raci_letters"),
    ]

    operations = [
        migrations.CreateModel(
            name="AdrComponent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "adr",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="component_links",
                        to="knowledge.adr",
                    ),
                ),
                (
                    "component",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="adr_links",
                        to="inventory.component",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("adr", "component"), name="adr_component_unique")
                ],
            },
        ),
        migrations.RunPython(copy_component_subjects, copy_back),
    ]
