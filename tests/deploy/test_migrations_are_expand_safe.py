"""Migrations must be safe to apply while the previous version still serves.

During a rolling upgrade the migrations Job runs first and the old pods keep
serving on the new schema until they are replaced (README, "Upgrades"). So a
migration may only *expand* the schema. These operations break the old code and
are refused here:

- RemoveField, DeleteModel: the old code still reads and writes them;
- RenameField, RenameModel, AlterModelTable: the old code uses the old names;
- AddField that is NOT NULL without ``db_default`` on a table that already exists:
  the old code's INSERTs leave the column out and fail;
- AlterField from NULL to NOT NULL without ``db_default``: the old code still
  writes NULLs.

A *contract* step (the second half of expand/contract, shipped a release after
the code stopped using the old column or table) says so with a line starting with
``# contract:`` and the reason in the migration file; it is then not checked.
RunSQL and RunPython are not inspected: review them by hand.

Migrations of the first release created the schema on an empty database, with no
old version serving, so they are the baseline and are not checked.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ModelState, ProjectState
from django.db.models.fields import NOT_PROVIDED

PROJECT_APPS = ("portal", "procedures", "inventory", "knowledge")
# The last migration of each app in the first release (0.1.0); later ones are checked.
FIRST_RELEASE = {
    "portal": "0005_notifications_and_webhooks",
    "procedures": "0004_one_approval_per_reviewer_per_content",
    "inventory": "0001_inventory_model",
    "knowledge": "0001_adrs_raci_onboarding",
}
CONTRACT_MARKER = re.compile(r"^# contract: \S", re.M)
ALWAYS_UNSAFE = (
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.RenameField,
    migrations.RenameModel,
    migrations.AlterModelTable,
)


def _number(name: str) -> int:
    return int(name.split("_", 1)[0])


def _not_null_without_db_default(field) -> bool:
    return (
        not field.null
        and not field.many_to_many
        and getattr(field, "db_default", NOT_PROVIDED) is NOT_PROVIDED
    )


def unsafe_operations(app_label: str, operations, state: ProjectState) -> list[str]:
    """What in ``operations`` would break the previous version, given the schema
    ``state`` before them."""
    state = state.clone()
    created_here: set[str] = set()
    problems = []
    flat = []
    for operation in operations:
        if isinstance(operation, migrations.SeparateDatabaseAndState):
            flat.extend((op, True) for op in operation.database_operations)
            flat.extend((op, False) for op in operation.state_operations)
        else:
            flat.append((operation, True))
    for operation, touches_database in flat:
        if touches_database:
            name = type(operation).__name__
            if isinstance(operation, migrations.CreateModel):
                created_here.add(operation.name_lower)
            elif isinstance(operation, ALWAYS_UNSAFE):
                problems.append(f"{name} {operation.describe()}")
            elif isinstance(operation, migrations.AddField):
                existing = operation.model_name_lower not in created_here and (
                    (app_label, operation.model_name_lower) in state.models
                )
                if existing and _not_null_without_db_default(operation.field):
                    problems.append(
                        f"AddField {operation.model_name}.{operation.name} is NOT NULL "
                        "without db_default on an existing table"
                    )
            elif isinstance(operation, migrations.AlterField):
                model = state.models.get((app_label, operation.model_name_lower))
                before = model.fields.get(operation.name) if model else None
                if (
                    before is not None
                    and before.null
                    and _not_null_without_db_default(operation.field)
                ):
                    problems.append(
                        f"AlterField {operation.model_name}.{operation.name} makes it NOT NULL "
                        "without db_default"
                    )
        operation.state_forwards(app_label, state)
    return problems


def declares_contract(migration) -> bool:
    source = Path(sys.modules[type(migration).__module__].__file__)
    return bool(CONTRACT_MARKER.search(source.read_text(encoding="utf-8")))


def checked_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label not in PROJECT_APPS or _number(name) <= _number(FIRST_RELEASE[app_label]):
            continue
        yield loader, app_label, name, migration


def test_every_project_app_has_a_baseline_that_exists():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app_label, name in FIRST_RELEASE.items():
        assert (app_label, name) in loader.disk_migrations, (app_label, name)


def test_migrations_after_the_first_release_only_expand_the_schema():
    problems = []
    for loader, app_label, name, migration in checked_migrations():
        if declares_contract(migration):
            continue
        state = loader.project_state((app_label, name), at_end=False)
        for problem in unsafe_operations(app_label, migration.operations, state):
            problems.append(f"{app_label}.{name}: {problem}")
    assert problems == [], (
        "These would break the version still serving during the upgrade. Expand first "
        "(nullable or db_default columns, new names alongside old), contract a release "
        "later in a migration marked '# contract: <reason>'. See README, 'Upgrades'.\n"
        + "\n".join(problems)
    )


# --- The checker itself -------------------------------------------------------------


@pytest.fixture
def shop_state() -> ProjectState:
    state = ProjectState()
    state.add_model(
        ModelState(
            "shop",
            "item",
            [
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=50)),
                ("note", models.TextField(null=True)),
            ],
        )
    )
    return state


@pytest.mark.parametrize(
    "operation",
    [
        migrations.RemoveField("item", "note"),
        migrations.RenameField("item", "name", "title"),
        migrations.RenameModel("item", "article"),
        migrations.DeleteModel("item"),
        migrations.AlterModelTable("item", "shop_items"),
        migrations.AddField("item", "sku", models.CharField(max_length=20, default="x")),
        migrations.AlterField("item", "note", models.TextField(default="")),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RemoveField("item", "note")]
        ),
    ],
    ids=lambda op: type(op).__name__,
)
def test_the_checker_refuses(shop_state, operation):
    assert unsafe_operations("shop", [operation], shop_state) != []


@pytest.mark.parametrize(
    "operation",
    [
        migrations.AddField("item", "sku", models.CharField(max_length=20, null=True)),
        migrations.AddField(
            "item", "sku", models.CharField(max_length=20, default="", db_default="")
        ),
        migrations.AlterField("item", "note", models.TextField(default="", db_default="")),
        migrations.AlterField("item", "name", models.CharField(max_length=80)),
        migrations.AddIndex("item", models.Index(fields=["name"], name="item_name_idx")),
        migrations.CreateModel("tag", [("id", models.AutoField(primary_key=True))]),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField("item", "note")]
        ),
    ],
    ids=lambda op: type(op).__name__,
)
def test_the_checker_allows_expansion(shop_state, operation):
    assert unsafe_operations("shop", [operation], shop_state) == []


def test_a_not_null_column_on_a_table_created_in_the_same_migration_is_fine(shop_state):
    operations = [
        migrations.CreateModel("tag", [("id", models.AutoField(primary_key=True))]),
        migrations.AddField("tag", "label", models.CharField(max_length=20, default="")),
    ]
    assert unsafe_operations("shop", operations, shop_state) == []


def test_the_contract_marker_is_a_comment_with_a_reason():
    assert CONTRACT_MARKER.search("x = 1\n# contract: v0.3 stopped reading Item.note\n")
    assert not CONTRACT_MARKER.search("# contract:\n")
    assert not CONTRACT_MARKER.search("    # contract: indented, inside code\n")
