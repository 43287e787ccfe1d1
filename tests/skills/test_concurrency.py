"""Two saves of one person's first level in a skill, and two leads confirming one
level, at the same moment on two real PostgreSQL connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portal.models import AuditEvent
from skills import services
from skills.models import PersonSkill, Skill
from tests.conftest import make_person


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_saves_at_once_make_one_row():
    carol = make_person("carol", ["portal-viewer"])
    skill = Skill.objects.create(slug="kubernetes", name="Kubernetes")

    results = _race(
        [
            lambda: services.person_skill_set(actor=carol, user=carol, skill=skill, level=1),
            lambda: services.person_skill_set(actor=carol, user=carol, skill=skill, level=2),
        ]
    )

    assert all(isinstance(r, PersonSkill) for r in results), results
    ps = PersonSkill.objects.get()
    assert ps.level in (1, 2)
    events = list(AuditEvent.objects.filter(verb="skills.level_set").order_by("pk"))
    assert events[-1].after["level"] == ps.level


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_leads_confirming_at_once_confirm_once():
    carol = make_person("carol", ["portal-viewer"])
    bob = make_person("bob", ["portal-approver"])
    erin = make_person("erin", ["portal-approver"])
    skill = Skill.objects.create(slug="kubernetes", name="Kubernetes")
    ps = services.person_skill_set(actor=carol, user=carol, skill=skill, level=2)

    results = _race(
        [
            lambda: services.person_skill_confirm(
                actor=bob, person_skill=PersonSkill.objects.get(pk=ps.pk)
            ),
            lambda: services.person_skill_confirm(
                actor=erin, person_skill=PersonSkill.objects.get(pk=ps.pk)
            ),
        ]
    )

    outcomes = sorted(type(r).__name__ for r in results)
    assert outcomes == ["PersonSkill", "WorkflowError"], results
    assert AuditEvent.objects.filter(verb="skills.level_confirm").count() == 1
