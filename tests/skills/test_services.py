"""Levels: a person sets their own, a lead (or their buddy) confirms; every write is
audited; refused writes change nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from portal.errors import WorkflowError
from portal.models import AuditEvent
from portal.policy import PolicyDenied
from skills import services
from skills.models import PersonSkill


def _verbs() -> list[tuple[str, str]]:
    return [
        (e.verb, e.actor_label)
        for e in AuditEvent.objects.filter(verb__startswith="skills.level").order_by("pk")
    ]


def test_a_person_sets_their_own_level_and_a_lead_confirms_it(carol, bob, skill_factory):
    skill = skill_factory("kubernetes")
    ps = services.person_skill_set(actor=carol, user=carol, skill=skill, level=2)
    assert (ps.level, ps.confirmed) == (2, False)
    services.person_skill_confirm(actor=bob, person_skill=ps)
    ps.refresh_from_db()
    assert (ps.confirmed, ps.confirmed_by, ps.confirmed_level) == (True, bob, 2)
    assert _verbs() == [("skills.level_set", "carol"), ("skills.level_confirm", "bob")]
    event = AuditEvent.objects.get(verb="skills.level_confirm")
    assert event.before["confirmed_level"] is None and event.after["confirmed_level"] == 2


def test_changing_a_confirmed_level_makes_it_unconfirmed(carol, bob, skill_factory, level):
    ps = level(carol, skill_factory("terraform"), 1, confirmed_by=bob)
    assert ps.confirmed
    ps = services.person_skill_set(actor=carol, user=carol, skill=ps.skill, level=2)
    assert not ps.confirmed and ps.confirmed_level == 1


def test_setting_the_same_level_writes_nothing(carol, skill_factory):
    skill = skill_factory("ansible")
    services.person_skill_set(actor=carol, user=carol, skill=skill, level=1)
    services.person_skill_set(actor=carol, user=carol, skill=skill, level=1)
    assert len(_verbs()) == 1


def test_nobody_sets_someone_elses_level(alice, dave, carol, skill_factory):
    skill = skill_factory("sso")
    for actor in (alice, dave):
        with pytest.raises(PolicyDenied):
            services.person_skill_set(actor=actor, user=carol, skill=skill, level=3)
    assert not PersonSkill.objects.exists()


@pytest.mark.parametrize("bad", [-1, 4, "two", None, 2.5])
def test_a_level_is_zero_to_three(carol, skill_factory, bad):
    with pytest.raises(ValidationError):
        services.person_skill_set(actor=carol, user=carol, skill=skill_factory("ci-cd"), level=bad)
    assert not PersonSkill.objects.exists()


def test_viewers_editors_and_oneself_do_not_confirm(alice, bob, carol, skill_factory, level):
    ps = level(carol, skill_factory("monitoring"), 2)
    for actor in (carol, alice):
        with pytest.raises(PolicyDenied):
            services.person_skill_confirm(actor=actor, person_skill=ps)
    own = level(bob, ps.skill, 3)
    with pytest.raises(PolicyDenied):
        services.person_skill_confirm(actor=bob, person_skill=own)
    assert not PersonSkill.objects.filter(confirmed_level__isnull=False).exists()


def test_confirming_twice_is_a_conflict(carol, bob, dave, skill_factory, level):
    ps = level(carol, skill_factory("networking"), 2, confirmed_by=bob)
    with pytest.raises(WorkflowError):
        services.person_skill_confirm(actor=dave, person_skill=ps)
    assert PersonSkill.objects.get().confirmed_by == bob


def test_only_editors_say_what_a_role_needs(alice, carol, skill_factory, role_in_group):
    role, skill = role_in_group("MLOps"), skill_factory("gpu-operations")
    with pytest.raises(PolicyDenied):
        services.role_skill_set(actor=carol, role=role, skill=skill, level=2)
    need = services.role_skill_set(actor=alice, role=role, skill=skill, level=3)
    assert need.level == 3
    with pytest.raises(ValidationError):
        services.role_skill_set(actor=alice, role=role, skill=skill, level=0)
    services.role_skill_remove(actor=alice, role_skill=need)
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="skills.role")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == ["skills.role_need_set", "skills.role_need_remove"]


def test_skill_tags_are_checked(alice, skill_factory):
    with pytest.raises(ValidationError):
        skill_factory("bad", elements=["nonsense"])
    skill = skill_factory("serving", components=["KServe", "BentoML", " "])
    assert sorted(c.component_name for c in skill.components.all()) == ["BentoML", "KServe"]
    services.skill_update(actor=alice, skill=skill, components=["KServe"], name="Serving")
    assert [c.component_name for c in skill.components.all()] == ["KServe"]
    assert AuditEvent.objects.filter(verb="skills.skill_update").get().after["name"] == "Serving"


# --- onboarding: "reach level 2 in <skill>", done when the buddy confirms -------------


@pytest.fixture
def enrolled(alice, bob, carol, skill_factory, role_in_group):
    """carol on the data scientist's track built from the role's needs; alice is her buddy."""
    from knowledge.services import enrolment_create

    role = role_in_group("Data scientist", [carol])
    tracking, ml = skill_factory("experiment-tracking"), skill_factory("ml-engineering")
    services.role_skill_set(actor=alice, role=role, skill=tracking, level=2)
    services.role_skill_set(actor=alice, role=role, skill=ml, level=1)
    steps = services.track_add_skill_steps(actor=alice, role=role)
    enrolment = enrolment_create(
        actor=bob, user=carol, track=role.track, start_date=datetime.date(2026, 11, 2), buddy=alice
    )
    return enrolment, steps, tracking


def test_a_track_is_built_from_the_roles_needed_skills(enrolled, alice):
    enrolment, steps, _tracking = enrolled
    assert [(s.kind, s.skill, s.phase) for s in steps] == [
        ("skill_level", "experiment-tracking", "first_month"),
        ("skill_level", "ml-engineering", "first_month"),
    ]
    assert steps[0].title == "Reach level 2 in Experiment tracking"
    # Building again adds nothing that is there.
    assert services.track_add_skill_steps(actor=alice, role=enrolment.track.role) == []


def test_the_step_is_done_when_the_buddy_confirms_the_level(enrolled, alice, carol, level):
    from knowledge.selectors.onboarding import progress_for

    enrolment, steps, tracking = enrolled
    ps = level(carol, tracking, 2)
    assert progress_for(enrolment).for_step(steps[0].pk).state == "open"
    services.person_skill_confirm(actor=alice, person_skill=ps)
    progress = progress_for(enrolment)
    assert progress.for_step(steps[0].pk).state == "done"
    assert progress.for_step(steps[1].pk).state == "open"
    assert AuditEvent.objects.filter(verb="onboarding.step_confirm", actor=alice).count() == 1


def test_a_lead_confirming_does_not_close_the_buddys_step(enrolled, bob, carol, level):
    from knowledge.selectors.onboarding import progress_for

    enrolment, steps, tracking = enrolled
    level(carol, tracking, 3, confirmed_by=bob)
    assert progress_for(enrolment).for_step(steps[0].pk).state == "open"


def test_level_one_confirmed_by_the_buddy_does_not_close_the_step(enrolled, alice, carol, level):
    from knowledge.selectors.onboarding import progress_for

    enrolment, steps, tracking = enrolled
    level(carol, tracking, 1, confirmed_by=alice)
    assert progress_for(enrolment).for_step(steps[0].pk).state == "open"


def test_the_person_cannot_mark_a_skill_step_done(enrolled, carol, bob):
    from knowledge.services import step_complete, step_confirm

    enrolment, steps, _tracking = enrolled
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=steps[0])
    for actor in (carol, bob):  # the person, and a lead who is not the buddy
        with pytest.raises(PolicyDenied):
            step_confirm(actor=actor, enrolment=enrolment, step=steps[0])
