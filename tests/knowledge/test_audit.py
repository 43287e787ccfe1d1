"""Every service that changes state writes its audit event, with the acting person."""

import datetime

from knowledge import services
from knowledge.choices import LinkKind, Phase, StepKind
from portal.models import AuditEvent


def _verbs_since(mark: int) -> list[tuple[str, str]]:
    return [(e.verb, e.actor_label) for e in AuditEvent.objects.filter(pk__gt=mark).order_by("pk")]


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


def test_adr_services_are_audited(alice, bob):
    m = _mark()
    a = services.adr_create(actor=alice, title="A")
    b = services.adr_create(actor=alice, title="B")
    services.adr_update(actor=alice, adr=a, revision=1, context="Why")
    services.adr_accept(actor=bob, adr=a)
    services.adr_deprecate(actor=bob, adr=a)
    c = services.adr_create(actor=alice, title="C")
    services.adr_reject(actor=bob, adr=c)
    link = services.adr_link_add(actor=alice, source=b, target=c, kind=LinkKind.RELATES_TO)
    services.adr_link_remove(actor=alice, link=link)
    services.adr_supersede(actor=bob, adr=b, old=a)
    services.adr_import(
        actor=alice,
        files=[("0010-x.md", "# 10. X\n\n## Status\n\nAccepted\n\nAmends [1. A](0001-a.md)\n")],
    )
    assert _verbs_since(m) == [
        ("adr.create", "alice"),
        ("adr.create", "alice"),
        ("adr.update", "alice"),
        ("adr.accept", "bob"),
        ("adr.deprecate", "bob"),
        ("adr.create", "alice"),
        ("adr.reject", "bob"),
        ("adr.link_add", "alice"),
        ("adr.link_remove", "alice"),
        ("adr.superseded", "bob"),
        ("adr.supersede", "bob"),
        ("adr.import_create", "alice"),
        ("adr.link_add", "alice"),
    ]
    accept = AuditEvent.objects.get(verb="adr.accept")
    assert (accept.before, accept.after["status"], accept.object_id) == (
        {"status": "proposed"},
        "accepted",
        str(a.pk),
    )


def test_matrix_services_are_audited(alice):
    m = _mark()
    role = services.role_create(actor=alice, name="Team lead")
    services.role_update(actor=alice, role=role, keycloak_group="/ml/leads")
    activity = services.activity_create(actor=alice, name="Deploy models", elements=["software"])
    services.assignment_set(actor=alice, activity=activity, role=role, letter="A")
    services.assignment_set(
        actor=alice, activity=activity, role=role, letter="A"
    )  # no change, no event
    assert _verbs_since(m) == [
        ("raci.role_create", "alice"),
        ("raci.role_update", "alice"),
        ("raci.activity_create", "alice"),
        ("raci.assignment_set", "alice"),
    ]
    assert AuditEvent.objects.get(verb="raci.assignment_set").after == {
        "role": "team-lead",
        "letter": "A",
    }


def test_onboarding_services_are_audited(alice, bob, carol, publish):
    procedure = publish("code-versioning")
    m = _mark()
    role = services.role_create(actor=alice, name="ML engineer")
    track = services.track_create(actor=alice, role=role, title="ML onboarding")
    task = services.track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title="Meet"
    )
    services.track_step_update(
        actor=alice, step=task, title="Meet your buddy", title_ru="Знакомство с наставником"
    )
    update = AuditEvent.objects.get(verb="onboarding.step_update")
    assert (update.before["title"], update.after["title"]) == ("Meet", "Meet your buddy")
    # Every field an editor sets is recorded, the Russian title included.
    assert (update.before["title_ru"], update.after["title_ru"]) == ("", "Знакомство с наставником")
    ack = services.track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.ACKNOWLEDGE,
        title="Read",
        procedure=procedure,
    )
    enrolment = services.enrolment_create(
        actor=bob, user=carol, track=track, start_date=datetime.date(2026, 11, 2)
    )
    services.step_complete(actor=carol, enrolment=enrolment, step=task)
    services.step_acknowledge(actor=carol, enrolment=enrolment, step=ack)
    spare = services.track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_MONTH, kind=StepKind.TASK, title="Spare"
    )
    services.track_step_delete(actor=alice, step=spare)
    assert _verbs_since(m) == [
        ("raci.role_create", "alice"),
        ("onboarding.track_create", "alice"),
        ("onboarding.step_create", "alice"),
        ("onboarding.step_update", "alice"),
        ("onboarding.step_create", "alice"),
        ("onboarding.enrol", "bob"),
        ("onboarding.step_complete", "carol"),
        ("procedure.acknowledge", "carol"),
        ("onboarding.step_create", "alice"),
        ("onboarding.step_delete", "alice"),
    ]
