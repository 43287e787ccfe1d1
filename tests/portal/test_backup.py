"""export_portal / import_portal: a backup people can read, restored with the same
content hashes into an empty database, all or nothing."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from inventory import services as inventory_services
from inventory.models import Cluster, InventorySource
from knowledge import services as knowledge_services
from knowledge.choices import LinkKind, Phase, StepKind
from knowledge.models import (
    Activity,
    Adr,
    AdrCounter,
    Enrolment,
    Role,
    StepCompletion,
    Tag,
    Track,
    TrackStep,
)
from portal.backup import BackupError
from portal.backup.run import portal_export, portal_import
from portal.models import AuditEvent, OidcIdentity
from procedures import services as procedure_services
from procedures.content import version_sha256
from procedures.models import Acknowledgement, Category, Procedure, ProcedureVersion, Review

BODY = "## Purpose\n\nEvery dataset version is reproducible: «данные» included.\n"


def _publish(version, author, approver):
    version = procedure_services.version_submit(actor=author, version=version)
    procedure_services.version_approve(
        actor=approver, version=version, content_sha256=version.content_sha256
    )
    version.refresh_from_db()
    return version


@pytest.fixture
def portal_data(alice, bob, carol, dave):
    """A bit of everything, made through the services as people make it."""
    procedure = procedure_services.procedure_create(
        actor=alice,
        title="Dataset rules",
        slug="dataset-rules",
        category=Category.objects.get(slug="dataset-versioning"),
        body=BODY,
        elements=["data", "procedures"],
    )
    _publish(procedure.versions.get(), alice, bob)
    procedure_services.procedure_acknowledge(actor=carol, procedure=procedure)
    minor = procedure_services.version_create(
        actor=alice, procedure=procedure, body=BODY + "\nTypo fixed.\n", change_kind="minor"
    )
    _publish(minor, alice, bob)
    major = procedure_services.version_create(
        actor=alice, procedure=procedure, body=BODY + "\n## New rule\n\nSign it.\n"
    )
    major = procedure_services.version_submit(actor=alice, version=major)
    procedure_services.version_request_changes(actor=bob, version=major, comment="Say why.")

    first = knowledge_services.adr_create(
        actor=alice,
        title="Использовать MLflow",
        date=datetime.date(2025, 3, 1),
        elements=["software"],
        tags=["tracking"],
        procedures=[procedure],
        context="We need one experiment tracker.",
        outcome="MLflow.",
    )
    knowledge_services.adr_update(actor=alice, adr=first, revision=1, context="Still one.")
    knowledge_services.adr_accept(actor=bob, adr=first)
    second = knowledge_services.adr_create(
        actor=alice, title="Keycloak for sign-in", date=datetime.date(2025, 4, 1)
    )
    knowledge_services.adr_link_add(
        actor=alice, source=second, target=first, kind=LinkKind.RELATES_TO
    )

    role = knowledge_services.role_create(actor=alice, name="ML engineer", keycloak_group="ml")
    lead = knowledge_services.role_create(actor=alice, name="Team lead")
    activity = knowledge_services.activity_create(
        actor=alice, name="Version datasets", elements=["data"], procedure=procedure
    )
    knowledge_services.assignment_set(actor=alice, activity=activity, role=lead, letter="A")
    knowledge_services.assignment_set(actor=alice, activity=activity, role=role, letter="R")
    track = knowledge_services.track_create(actor=alice, role=role, title="ML onboarding")
    task = knowledge_services.track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title="Meet"
    )
    knowledge_services.track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.READ_ADR,
        title="Read the tracker decision",
        adr=first,
        depends_on=[task],
    )
    enrolment = knowledge_services.enrolment_create(
        actor=bob, user=carol, track=track, start_date=datetime.date(2026, 11, 2), buddy=alice
    )
    knowledge_services.step_complete(actor=carol, enrolment=enrolment, step=task)

    procedure_services.system_user()
    OidcIdentity.objects.create(
        user=alice, issuer="https://sso.example.org/realms/ml", subject="a1b2"
    )
    cluster = inventory_services.cluster_create(actor=dave, name="gpu-prod")
    inventory_services.source_create(
        actor=dave,
        cluster=cluster,
        name="api",
        kind="kubernetes",
        config={"kubeconfig": "/etc/portal/kubeconfig", "context": "prod"},
    )
    return procedure


def _wipe() -> None:
    """Everything the backup covers, children first, as an empty database has it."""
    for model in (
        StepCompletion,
        Enrolment,
        TrackStep,
        Track,
        Activity,
        Role,
        Adr,
        Tag,
        AdrCounter,
        Acknowledgement,
        Review,
        ProcedureVersion,
        Procedure,
        Cluster,
        AuditEvent,
    ):
        model._default_manager.all().delete()
    get_user_model().objects.all().delete()


def _files(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _hashes() -> dict:
    return {
        "versions": {
            (v.procedure.slug, v.number): v.content_sha256
            for v in ProcedureVersion.objects.select_related("procedure")
        },
        "reviews": sorted(
            (r.reviewer.username, r.decision, r.meaning, r.content_sha256, r.created_at)
            for r in Review.objects.select_related("reviewer")
        ),
        "adrs": sorted(Adr.objects.values_list("number", "title")),
    }


def _round_trip(tmp_path: Path) -> tuple[dict, dict]:
    before = _hashes()
    portal_export(directory=tmp_path / "a")
    _wipe()
    portal_import(directory=tmp_path / "a")
    assert _hashes() == before
    portal_export(directory=tmp_path / "b")
    return _files(tmp_path / "a"), _files(tmp_path / "b")


def _assert_same_backup(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for name in first.keys() - {"manifest.json", "audit/events.json"}:
        assert first[name] == second[name], name
    # The restored log is the exported one plus the record of the restore itself.
    old = json.loads(first["audit/events.json"])
    new = json.loads(second["audit/events.json"])
    assert new[:-1] == old
    assert new[-1]["verb"] == "portal.backup_import"
    manifests = [json.loads(m) for m in (first["manifest.json"], second["manifest.json"])]
    for manifest in manifests:
        del manifest["created_at"]
        del manifest["files"]["audit/events.json"]
        del manifest["counts"]["portal.AuditEvent"]
    assert manifests[0] == manifests[1]


def test_it_restores_everything_with_the_same_hashes(portal_data, tmp_path):
    first, second = _round_trip(tmp_path)
    _assert_same_backup(first, second)
    for version in ProcedureVersion.objects.exclude(status="draft"):
        assert version_sha256(version) == version.content_sha256
    assert (
        Acknowledgement.objects.filter(user__username="carol", procedure__slug="dataset-rules")
        .get()
        .major
        == 1
    )
    assert StepCompletion.objects.filter(enrolment__user__username="carol").count() == 1
    assert list(TrackStep.objects.get(kind=StepKind.READ_ADR).depends_on.values_list("title")) == [
        ("Meet",)
    ]
    carol = get_user_model().objects.get(username="carol")
    assert not carol.is_active and not carol.has_usable_password()
    assert list(carol.groups.values_list("name", flat=True)) == ["portal-viewer"]
    # The portal's own account has no password and acts for the seeders: it acts again.
    assert get_user_model().objects.get(username="portal").is_active
    # Signing in through Keycloak finds the restored account, not a new one.
    assert OidcIdentity.objects.get(subject="a1b2").user.username == "alice"


@pytest.mark.postgres
def test_it_restores_on_postgresql_and_new_rows_get_fresh_keys(portal_data, tmp_path, dave):
    first, second = _round_trip(tmp_path)
    _assert_same_backup(first, second)
    alice = get_user_model().objects.get(username="alice")
    alice.is_active = True
    alice.save()
    # Keys were restored as they were: the sequences must have moved past them.
    procedure = procedure_services.procedure_create(
        actor=alice,
        title="After the restore",
        slug="after-restore",
        category=Category.objects.get(slug="dataset-versioning"),
        body=BODY,
    )
    assert procedure.pk > Procedure.objects.exclude(pk=procedure.pk).latest("pk").pk
    adr = knowledge_services.adr_create(actor=alice, title="Next decision")
    assert adr.number == Adr.objects.exclude(pk=adr.pk).order_by("-number").first().number + 1


def test_it_writes_files_a_person_can_read(portal_data, tmp_path):
    manifest = portal_export(directory=tmp_path)
    files = _files(tmp_path)
    for name, facts in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == facts["sha256"]
    assert manifest["format_version"] == 1
    assert manifest["counts"]["procedures.ProcedureVersion"] == 3
    text = files["procedures/dataset-rules/1.0.md"].decode()
    assert text.startswith("---\nslug: dataset-rules\n")
    assert "«данные»" in text and "by: bob" in text
    assert (
        "content_sha256: " + ProcedureVersion.objects.get(major=1, minor=0).content_sha256 in text
    )
    adr_file = next(n for n in files if n.startswith("knowledge/adr/0001-"))
    assert "# Использовать MLflow" in files[adr_file].decode()
    assert "Still one." in files[adr_file].decode()
    assert "| Version datasets | " in files["knowledge/raci.md"].decode()
    users = json.loads(files["users.json"])
    assert "password" not in files["users.json"].decode()
    assert {u["username"] for u in users} >= {"alice", "bob", "carol", "dave"}


def test_it_keeps_source_paths_and_drops_credentials(portal_data, tmp_path):
    # The service refuses credential keys; an older row might still carry one.
    InventorySource.objects.filter(name="api").update(
        config={"kubeconfig": "/etc/portal/kubeconfig", "bearer_token": "s3cr3t"}
    )
    portal_export(directory=tmp_path)
    sources = (tmp_path / "inventory" / "sources.json").read_text()
    assert "/etc/portal/kubeconfig" in sources
    assert "s3cr3t" not in sources and "bearer_token" not in sources


def test_it_refuses_a_database_that_is_not_empty(portal_data, tmp_path):
    portal_export(directory=tmp_path)
    events = AuditEvent.objects.count()
    with pytest.raises(BackupError, match=r"not empty \(procedures\.Procedure \(1\)"):
        portal_import(directory=tmp_path)
    assert AuditEvent.objects.count() == events


def test_it_refuses_a_tampered_file_before_writing_anything(portal_data, tmp_path):
    portal_export(directory=tmp_path)
    _wipe()
    path = tmp_path / "procedures" / "dataset-rules" / "1.0.md"
    path.write_text(path.read_text().replace("reproducible", "optional"))
    with pytest.raises(CommandError, match=r"procedures/dataset-rules/1.0.md does not match"):
        call_command("import_portal", str(tmp_path))
    assert get_user_model().objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_it_rolls_back_when_a_text_no_longer_gives_its_signed_hash(portal_data, tmp_path):
    """Someone edits a text and fixes up the manifest: the signatures give it away, and
    the restore undoes the rows it had already written."""
    portal_export(directory=tmp_path)
    _wipe()
    name = "procedures/dataset-rules/1.0.md"
    path = tmp_path / name
    path.write_text(path.read_text().replace("reproducible", "optional"))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    data = path.read_bytes()
    manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="does not give the content hash"):
        portal_import(directory=tmp_path)
    assert get_user_model().objects.count() == 0
    assert Procedure.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "manifest.json").unlink(), "no manifest.json"),
        (lambda d: (d / "extra.json").write_text("{}"), "not in the manifest: extra.json"),
        (lambda d: (d / "users.json").unlink(), "users.json is listed in the manifest but missing"),
        (
            lambda d: (d / "manifest.json").write_text(
                json.dumps({"format": "mlops-portal-backup", "format_version": 99})
            ),
            "format version 99",
        ),
    ],
)
def test_it_refuses_a_broken_backup(alice, tmp_path, damage, message):
    portal_export(directory=tmp_path)
    get_user_model().objects.all().delete()
    AuditEvent.objects.all().delete()
    damage(tmp_path)
    with pytest.raises(BackupError, match=message):
        portal_import(directory=tmp_path)
    assert get_user_model().objects.count() == 0


def test_it_will_not_write_over_a_directory_with_files(alice, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("export_portal", str(tmp_path))
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_export_and_import_are_audited(alice, tmp_path):
    call_command("export_portal", str(tmp_path / "a"))
    event = AuditEvent.objects.get(verb="portal.backup_export")
    assert event.actor_label == "manage.py export_portal"
    assert event.after["counts"]["auth.User"] == 1
    get_user_model().objects.all().delete()
    AuditEvent.objects.all().delete()
    call_command("import_portal", str(tmp_path / "a"))
    assert AuditEvent.objects.filter(verb="portal.backup_import").count() == 1
    assert get_user_model().objects.get(username="alice").is_active is False


def test_it_keeps_accounts_the_database_has_and_adds_the_missing_ones(alice, bob, tmp_path):
    portal_export(directory=tmp_path)
    bob.delete()
    AuditEvent.objects.all().delete()
    portal_import(directory=tmp_path)
    alice.refresh_from_db()
    assert alice.is_active and alice.check_password("alice-password")
    bob = get_user_model().objects.get(username="bob")
    assert not bob.is_active and not bob.has_usable_password()
    assert bob.email == "bob@example.org"


def test_the_export_costs_the_same_queries_for_more_records(alice, bob, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        for i in range(n):
            procedure = procedure_services.procedure_create(
                actor=alice,
                title=f"Rule {i}",
                slug=f"rule-{i}-{Procedure.objects.count()}",
                category=Category.objects.get(slug="dataset-versioning"),
                body=BODY,
                elements=["data"],
            )
            _publish(procedure.versions.get(), alice, bob)
            knowledge_services.adr_create(
                actor=alice, title=f"Decision {i}", tags=[f"t{i}"], procedures=[procedure]
            )

    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            portal_export(directory=tmp_path / name)
        return len(captured)

    add(1)
    few = queries("few")
    add(6)
    assert queries("more") == few
