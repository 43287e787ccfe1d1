"""The starter content: roles, activities with one A each, founding decisions and a
track per role; seeding twice adds nothing."""

import io

import pytest

from knowledge.models import Activity, Adr, Assignment, Role, Track, TrackStep
from knowledge.selectors.raci import raci_matrix
from knowledge.starter import seed_knowledge


def _counts():
    return (
        Role.objects.count(),
        Activity.objects.count(),
        Assignment.objects.count(),
        Adr.objects.count(),
        Track.objects.count(),
        TrackStep.objects.count(),
    )


def test_seeding_is_complete_consistent_and_idempotent(db):
    seed_knowledge(stdout=io.StringIO(), demo=False)
    first = _counts()
    assert first[0] == 7 and first[1] >= 10 and first[3] == 3 and first[4] == 7
    seed_knowledge(stdout=io.StringIO(), demo=False)
    assert _counts() == first
    codes = {f.code for f in raci_matrix().findings}
    # Only "nobody holds this role": people join the groups when they sign in.
    assert codes == {"role_without_people"}
    assert set(Adr.objects.values_list("status", flat=True)) == {"accepted"}
    assert Role.objects.get(slug="team-lead").name_ru == "Руководитель команды"
    assert Activity.objects.get(slug="deploy-models").name_ru == "Развёртывать модели"


@pytest.mark.parametrize(
    ("lang", "title"), [("en", "Keycloak for single sign-on"), ("ru", "Keycloak для единого входа")]
)
def test_starter_decisions_follow_the_starter_language(db, monkeypatch, lang, title):
    monkeypatch.setenv("STARTER_LANGUAGE", lang)
    seed_knowledge(stdout=io.StringIO(), demo=False)
    adr = Adr.objects.get(title=title)
    # The language changes the words only, not what the decision is about.
    assert sorted(t.name for t in adr.tags.all()) == ["security", "sso"]
    assert sorted(e.code for e in adr.elements.all()) == ["networks", "people", "software"]


def test_the_demo_staffs_roles_as_the_realm_does_and_enrols_carol(people):
    from knowledge.models import Enrolment
    from knowledge.selectors.raci import role_members

    seed_knowledge(stdout=io.StringIO(), demo=True)
    seed_knowledge(stdout=io.StringIO(), demo=True)
    enrolment = Enrolment.objects.get(user=people["carol"])
    assert enrolment.track.role.slug == "data-scientist" and enrolment.buddy == people["alice"]
    staffed = role_members(list(Role.objects.all()))
    by_slug = {r.slug: [u.username for u in staffed[r.pk]] for r in Role.objects.all()}
    assert by_slug["data-scientist"] == ["carol"]
    assert by_slug["team-lead"] == ["bob"]
