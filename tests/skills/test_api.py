"""The skills API: a person sets their own level, leads confirm, editors keep the
catalogue and the roles' needs, viewers read; bad input is a 4xx and changes nothing."""

import pytest

from portal.models import AuditEvent
from skills.models import PersonSkill, RoleSkill, Skill


def test_a_person_sets_their_level_and_a_lead_confirms(api_for, carol, bob, skill_factory):
    skill_factory("kubernetes")
    response = api_for(carol).post(
        "/api/v1/skills/levels/", {"skill": "kubernetes", "level": 2}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["user"], body["level"], body["confirmed"]) == ("carol", 2, False)
    confirm = f"/api/v1/skills/levels/{body['id']}/confirm/"
    assert api_for(carol).post(confirm).status_code == 403
    response = api_for(bob).post(confirm)
    assert response.status_code == 200
    assert response.json()["confirmed"] is True and response.json()["confirmed_by"] == "bob"
    assert api_for(bob).post(confirm).status_code == 409
    listed = api_for(carol).get("/api/v1/skills/levels/?user=carol").json()
    assert [r["skill"] for r in listed["results"]] == ["kubernetes"]


@pytest.mark.parametrize(
    "body",
    [
        {"skill": "kubernetes", "level": 7},
        {"skill": "kubernetes", "level": "high"},
        {"skill": "no-such-skill", "level": 1},
        {"level": 1},
        {"skill": ["kubernetes"], "level": 1},
    ],
)
def test_bad_levels_are_400(api_for, carol, skill_factory, body):
    skill_factory("kubernetes")
    response = api_for(carol).post("/api/v1/skills/levels/", body, format="json")
    assert response.status_code == 400
    assert not PersonSkill.objects.exists()


def test_editors_keep_the_catalogue_and_viewers_read(api_for, alice, carol):
    body = {
        "slug": "feature-stores",
        "name": "Feature stores",
        "name_ru": "Хранилища признаков",
        "elements": ["data"],
        "components": ["Feast"],
    }
    assert api_for(carol).post("/api/v1/skills/catalogue/", body, format="json").status_code == 403
    response = api_for(alice).post("/api/v1/skills/catalogue/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["components"] == ["Feast"]
    bad = api_for(alice).post(
        "/api/v1/skills/catalogue/", {**body, "slug": "x", "elements": ["nope"]}, format="json"
    )
    assert bad.status_code == 400
    patched = api_for(alice).patch(
        "/api/v1/skills/catalogue/feature-stores/", {"name": "Feature store"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["name"] == "Feature store"
    assert api_for(carol).get("/api/v1/skills/catalogue/").json()["count"] == 1
    assert Skill.objects.count() == 1
    assert AuditEvent.objects.filter(verb__startswith="skills.skill_").count() == 2


def test_role_needs_and_coverage(api_for, alice, carol, dave, skill_factory, role_in_group, level):
    k8s = skill_factory("kubernetes")
    role_in_group("MLOps engineer", [carol])
    need = {"role": "mlops-engineer", "skill": "kubernetes", "level": 2}
    assert api_for(carol).post("/api/v1/skills/role-needs/", need, format="json").status_code == 403
    response = api_for(alice).post("/api/v1/skills/role-needs/", need, format="json")
    assert response.status_code == 200, response.content
    bad = api_for(alice).post(
        "/api/v1/skills/role-needs/", {**need, "role": "nobody"}, format="json"
    )
    assert bad.status_code == 400
    level(dave, k8s, 3)
    cov = api_for(carol).get("/api/v1/skills/coverage/").json()
    assert cov["skills"] == [{"skill": "kubernetes", "holders": ["dave"], "bus_factor_one": True}]
    assert cov["gaps"] == [{"role": "mlops-engineer", "skill": "kubernetes", "level": 2}]
    assert cov["dragon"] == {"person": "dave", "sole_holder_of": ["kubernetes"]}
    assert {f["code"] for f in cov["findings"]} == {"bus_factor_one"}
    assert api_for(carol).get("/api/v1/skills/coverage/?confirmed=maybe").status_code == 400
    rs = RoleSkill.objects.get()
    assert api_for(alice).delete(f"/api/v1/skills/role-needs/{rs.pk}/").status_code == 204
    assert not RoleSkill.objects.exists()


def test_the_schema_documents_the_skills_api(api_for, carol):
    schema = api_for(carol).get("/api/schema/?format=json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/skills/catalogue/",
        "/api/v1/skills/levels/",
        "/api/v1/skills/levels/{id}/confirm/",
        "/api/v1/skills/role-needs/",
        "/api/v1/skills/coverage/",
    } <= paths


@pytest.mark.parametrize("params", ["?user=%00", "?skill=a%00b", "?user=" + "x" * 200])
def test_bad_filters_are_400(api_for, carol, params):
    assert api_for(carol).get(f"/api/v1/skills/levels/{params}").status_code == 400
