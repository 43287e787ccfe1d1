"""Every kind the issue names is found from the one search box: decision records,
activities, roles, onboarding steps, nodes, GPUs and components — each kept current
by its app's provider, including after an inventory sync's bulk writes."""

import datetime

import pytest
from django.utils import timezone, translation

from portal.models import SearchEntry
from portal.search.query import search
from tests.portal.publishing import tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def knowledge_records(alice, django_capture_on_commit_callbacks):
    from knowledge.services.adr import adr_create
    from knowledge.services.onboarding import track_create, track_step_create
    from knowledge.services.raci import activity_create, role_create

    with django_capture_on_commit_callbacks(execute=True):
        adr = adr_create(
            actor=alice,
            title="Use MLflow for experiment tracking",
            context="Experiments were logged to spreadsheets.",
            outcome="Adopt **MLflow** with a Postgres backend.",
            elements=["software", "data"],
        )
        role = role_create(actor=alice, name="ML engineer", name_ru="ML-инженер")
        activity = activity_create(
            actor=alice,
            name="Rotate object storage keys",
            name_ru="Ротация ключей объектного хранилища",
            elements=["networks"],
        )
        track = track_create(actor=alice, role=role, title="ML engineer onboarding")
        step = track_step_create(
            actor=alice,
            track=track,
            phase="first_week",
            kind="task",
            title="Run a training job on the cluster",
            title_ru="Запустить обучение на кластере",
        )
    return {"adr": adr, "role": role, "activity": activity, "step": step}


def _kinds(query, **filters):
    return [
        (h.kind, h.title.replace("<mark>", "").replace("</mark>", ""))
        for h in search(query, **filters).hits
    ]


def test_knowledge_records_are_searchable(knowledge_records):
    assert _kinds("mlflow") == [("adr", "ADR-0001 Use MLflow for experiment tracking")]
    assert _kinds("spreadsheets", kind="adr")[0][0] == "adr"
    assert ("role", "ML engineer") in _kinds("инженер")
    assert _kinds("хранилища", element="networks") == [("activity", "Rotate object storage keys")]
    assert _kinds("обучение") == [("onboarding_step", "Run a training job on the cluster")]


def test_records_named_in_two_languages_show_the_readers_name(knowledge_records):
    """Found by a word of either language, shown in the reader's only (the other
    when the reader's is empty), the matched words marked."""
    with translation.override("ru"):
        assert ("role", "ML-инженер") in _kinds("engineer")
        assert [h.title for h in search("storage").hits] == ["Ротация ключей объектного хранилища"]
        assert [h.title for h in search("ключей").hits] == [
            "Ротация <mark>ключей</mark> объектного хранилища"
        ]
        assert _kinds("", kind="onboarding_step") == [
            ("onboarding_step", "Запустить обучение на кластере")
        ]
        step = knowledge_records["step"]
        step.title_ru = ""
        step.save()
        assert _kinds("", kind="onboarding_step") == [
            ("onboarding_step", "Run a training job on the cluster")
        ]
    with translation.override("en"):
        assert [h.title for h in search("ротация").hits] == ["Rotate object storage keys"]
        assert [h.title for h in search("rotate").hits] == [
            "<mark>Rotate</mark> object storage keys"
        ]


def test_accepting_a_decision_updates_its_status_in_the_index(
    bob, knowledge_records, django_capture_on_commit_callbacks
):
    from knowledge.services.adr import adr_accept

    with django_capture_on_commit_callbacks(execute=True):
        adr_accept(actor=bob, adr=knowledge_records["adr"])
    assert search("mlflow").hits[0].status == "accepted"


def _snapshot(nodes, gpus=(), components=()):
    from inventory.sources.facts import Snapshot

    return Snapshot(
        source="test",
        nodes=list(nodes),
        gpus=list(gpus),
        components=list(components),
        covers=frozenset({"nodes", "gpus", "components"}),
        gpu_nodes=frozenset(n.name for n in nodes),
    )


def _sync(cluster, snapshot):
    from inventory.choices import SyncStatus
    from inventory.models import SyncRun
    from inventory.reconcile import reconcile

    run = SyncRun(
        cluster=cluster,
        source_kind="kubernetes",
        status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)


def test_an_inventory_sync_refreshes_nodes_gpus_and_components(
    django_capture_on_commit_callbacks,
):
    from tests.inventory.builders import component, gpu, make_cluster, node

    cluster = make_cluster("prod")
    first = _snapshot(
        nodes=[node("gpu-a100-01", gpus=2), node("cpu-01", gpus=0)],
        gpus=[gpu("gpu-a100-01", 0), gpu("gpu-a100-01", 1)],
        components=[component("MLflow"), component("Grafana", category="auxiliary")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        _sync(cluster, first)
    assert [k for k, _t in _kinds("gpu-a100-01", kind="node")] == ["node"]
    assert len(search("A100", kind="gpu").hits) == 2
    assert _kinds("mlflow", element="software") == [("component", "MLflow 1.0.0")]

    second = _snapshot(
        nodes=[node("cpu-01", gpus=0)], components=[component("Grafana", category="auxiliary")]
    )
    with django_capture_on_commit_callbacks(execute=True):
        _sync(cluster, second)
    # Gone items leave the index; the unchanged ones stay.
    assert search("gpu-a100-01").total == 0
    assert search("mlflow").total == 0
    assert search("cpu-01", kind="node").total == 1


def test_an_unchanged_sync_does_not_touch_the_index(django_capture_on_commit_callbacks):
    from tests.inventory.builders import make_cluster, node

    cluster = make_cluster("prod")
    snapshot = _snapshot(nodes=[node("cpu-01", gpus=0)])
    with django_capture_on_commit_callbacks(execute=True):
        _sync(cluster, snapshot)
    indexed_at = SearchEntry.objects.get(kind="node").indexed_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _sync(cluster, snapshot)
    assert callbacks == []
    assert SearchEntry.objects.get(kind="node").indexed_at == indexed_at


def test_overdue_onboarding_and_decisions_are_notified(
    people, knowledge_records, django_capture_on_commit_callbacks
):
    from knowledge.services.adr import adr_accept
    from knowledge.services.onboarding import enrolment_create
    from portal.models import Notification
    from portal.notifications.services import notifications_run_checks

    alice, bob, carol, dave = (people[n] for n in ("alice", "bob", "carol", "dave"))
    with django_capture_on_commit_callbacks(execute=True):
        adr_accept(actor=bob, adr=knowledge_records["adr"])
        enrolment_create(
            actor=dave,
            user=carol,
            track=knowledge_records["step"].track,
            start_date=timezone.localdate() - datetime.timedelta(days=10),
            buddy=alice,
        )
        notifications_run_checks(every="daily")
        notifications_run_checks(every="daily")
    translation.activate("en")  # an earlier page in Russian leaves its language active
    assert [n.text for n in Notification.objects.filter(recipient=alice, kind="adr_decided")] == [
        "bob accepted “ADR-0001 Use MLflow for experiment tracking”"
    ]
    overdue = Notification.objects.filter(kind="onboarding_overdue")
    assert sorted(n.recipient.username for n in overdue) == ["alice", "carol"]
    assert "Run a training job on the cluster" in overdue[0].text


def test_admins_hear_of_a_new_inventory_finding_once(people, django_capture_on_commit_callbacks):
    from portal.models import Notification
    from portal.notifications.services import notifications_run_checks
    from tests.inventory.builders import make_cluster, node

    cluster = make_cluster("prod")
    # A node with GPUs that Kubernetes cannot schedule: the device plugin is missing.
    broken = node("gpu-07", gpus=8, allocatable={"cpu": "96"}, gpu_allocatable=0)
    _sync(cluster, _snapshot(nodes=[broken]))
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications_run_checks(every="hourly")
        again = notifications_run_checks(every="hourly")
    assert first >= 1 and again == 0
    recipients = set(
        Notification.objects.filter(kind="finding_opened").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"dave"}
    assert any("gpu-07" in n.text for n in Notification.objects.filter(kind="finding_opened"))


def test_a_sync_re_reads_only_what_it_changed(django_capture_on_commit_callbacks):
    from dataclasses import replace

    from tests.inventory.builders import make_cluster, node

    cluster = make_cluster("prod")
    nodes = [node(f"cpu-{i:02}", gpus=0) for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        _sync(cluster, _snapshot(nodes=nodes))
    before = dict(SearchEntry.objects.filter(kind="node").values_list("title", "indexed_at"))

    nodes[2] = replace(nodes[2], kernel_version="6.8.0-custom")
    with django_capture_on_commit_callbacks(execute=True):
        _sync(cluster, _snapshot(nodes=nodes))
    after = dict(SearchEntry.objects.filter(kind="node").values_list("title", "indexed_at"))
    assert [t for t in after if after[t] != before[t]] == ["cpu-02"]
    assert search("6.8.0-custom", kind="node").total == 1
