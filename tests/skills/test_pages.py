"""The skills pages, the sections they add to other apps' pages, and bad input."""

import pytest

from skills import services
from skills.models import PersonSkill


@pytest.fixture
def team(alice, bob, carol, dave, skill_factory, role_in_group, level, running_component):
    """dave alone runs Kubernetes and GPUs; MLflow has two holders; Feast runs and
    nobody holds its skill; the MLOps role is Accountable for a GPU activity."""
    from knowledge.services import activity_create, assignment_set

    k8s = skill_factory("kubernetes", components=["NVIDIA GPU Operator"])
    gpu = skill_factory("gpu-operations", name="GPU operations", elements=["hardware"])
    tracking = skill_factory("experiment-tracking", components=["MLflow"])
    feast = skill_factory("feature-stores", components=["Feast"], elements=["data"])
    level(dave, k8s, 3, confirmed_by=bob)
    level(dave, gpu, 2)
    level(alice, tracking, 2, confirmed_by=bob)
    level(carol, tracking, 2)
    level(carol, k8s, 1)
    mlops = role_in_group("MLOps engineer", [alice])
    services.role_skill_set(actor=alice, role=mlops, skill=gpu, level=2)
    activity = activity_create(actor=alice, name="Keep GPU nodes schedulable")
    assignment_set(actor=alice, activity=activity, role=mlops, letter="A")
    running_component("MLflow")
    running_component("Feast")
    running_component("NVIDIA GPU Operator")
    return {"k8s": k8s, "gpu": gpu, "tracking": tracking, "feast": feast, "mlops": mlops}


def test_the_coverage_page_draws_a_heatmap_and_names_the_risks(client_for, carol, team):
    text = client_for(carol).get("/skills/coverage/").content.decode()
    assert 'class="heatmap"' in text and "grid-template-columns" in text
    assert 'class="c h3"' in text  # dave's confirmed Kubernetes
    assert 'class="c h2 u"' in text  # dave's unconfirmed GPU operations, striped
    assert 'data-code="bus_factor_one"' in text
    assert 'data-code="accountable_without_skill"' in text
    assert 'data-code="component_nobody_runs"' in text and "Feast" in text
    assert "is the only holder of 2 skills" in text  # dave: Kubernetes and GPU operations
    assert 'data-skill="experiment-tracking">2<' in text


def test_confirmed_only_counts_the_confirmed(client_for, carol, team):
    from skills.selectors import coverage

    assert [u.username for u in coverage().holders[team["tracking"].pk]] == ["alice", "carol"]
    confirmed = coverage(confirmed_only=True)
    assert [u.username for u in confirmed.holders[team["tracking"].pk]] == ["alice"]
    assert team["gpu"] in confirmed.uncovered
    assert client_for(carol).get("/skills/coverage/?confirmed=1").status_code == 200


def test_the_catalogue_and_a_skill_page(client_for, carol, bob, team):
    text = client_for(carol).get("/skills/").content.decode()
    assert "Kubernetes" in text and "MLflow" in text
    page = client_for(bob).get("/skills/experiment-tracking/").content.decode()
    assert "confirmed" in page and "unconfirmed" in page
    carol_level = PersonSkill.objects.get(user__username="carol", skill=team["tracking"])
    assert f"/skills/confirm/{carol_level.pk}/" in page  # bob may confirm carol's
    assert "/skills/confirm/" not in client_for(carol).get("/skills/kubernetes/").content.decode()


def test_the_person_page_shows_skills_and_onboarding(client_for, carol, alice, bob, team):
    import datetime

    from knowledge.services import enrolment_create, track_create

    track = track_create(actor=alice, role=team["mlops"], title="MLOps onboarding")
    enrolment_create(
        actor=bob, user=carol, track=track, start_date=datetime.date(2026, 11, 2), buddy=alice
    )
    text = client_for(alice).get("/knowledge/people/carol/").content.decode()
    assert 'id="skills"' in text and "Experiment tracking" in text and "unconfirmed" in text
    assert 'id="onboarding"' in text and "MLOps onboarding" in text
    mine = client_for(carol).get("/knowledge/people/carol/").content.decode()
    assert "/skills/mine/" in mine


def test_the_matrix_and_the_component_list_show_skill_findings(client_for, carol, team):
    matrix = client_for(carol).get("/knowledge/matrix/").content.decode()
    assert 'id="skill-findings"' in matrix and "GPU operations" in matrix
    components = client_for(carol).get("/inventory/components/").content.decode()
    assert 'id="who-runs"' in components
    section = components[components.index('id="who-runs"') :]
    assert "MLflow" in section and "Alice" in section and "Carol" in section
    assert "nobody" in section  # Feast


def test_the_home_page_has_the_people_card(client_for, carol, team):
    text = client_for(carol).get("/").content.decode()
    assert "skills with bus factor 1" in text


def test_a_person_saves_their_levels(client_for, carol, team):
    client = client_for(carol)
    response = client.post("/skills/mine/", {"level-feature-stores": "2", "level-kubernetes": "2"})
    assert response.status_code == 302
    levels = dict(PersonSkill.objects.filter(user=carol).values_list("skill__slug", "level"))
    assert levels["feature-stores"] == 2 and levels["kubernetes"] == 2


@pytest.mark.parametrize(
    "data", [{"level-kubernetes": "9"}, {"level-kubernetes": "x"}, {"level-nonexistent": "1"}]
)
def test_bad_levels_are_refused_and_change_nothing(client_for, carol, team, data):
    before = list(PersonSkill.objects.values_list("pk", "level"))
    response = client_for(carol).post("/skills/mine/", data)
    assert response.status_code == 400
    assert list(PersonSkill.objects.values_list("pk", "level")) == before


def test_confirming_through_the_page(client_for, bob, carol, team):
    ps = PersonSkill.objects.get(user=carol, skill=team["tracking"])
    assert client_for(carol).post(f"/skills/confirm/{ps.pk}/").status_code == 403
    response = client_for(bob).post(f"/skills/confirm/{ps.pk}/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/skills/experiment-tracking/"
    ps.refresh_from_db()
    assert ps.confirmed and ps.confirmed_by == bob


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/skills/no-such-skill/"),
        ("post", "/skills/confirm/999999/"),
        ("post", "/skills/roles/no-such-role/track/"),
        ("get", "/skills/confirm/1/"),
    ],
)
def test_unknown_things_are_4xx(client_for, bob, team, method, url):
    response = getattr(client_for(bob), method)(url)
    assert 400 <= response.status_code < 500


def test_an_editor_builds_a_track_from_the_page(client_for, alice, carol, team):
    url = f"/skills/roles/{team['mlops'].slug}/track/"
    assert client_for(carol).post(url).status_code == 403
    assert client_for(alice).post(url).status_code == 302
    assert team["mlops"].track.steps.filter(kind="skill_level", skill="gpu-operations").exists()


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get("/skills/coverage/").status_code == 302


def test_an_editor_says_on_the_skill_page_what_a_role_needs(client_for, alice, carol, team):
    from skills.models import RoleSkill

    url = "/skills/feature-stores/needs/"
    data = {"role": team["mlops"].slug, "level": "3"}
    assert client_for(carol).post(url, data).status_code == 403
    assert client_for(alice).post(url, data).status_code == 302
    need = RoleSkill.objects.get(skill=team["feast"])
    assert need.level == 3
    for bad in ({"role": "nobody", "level": "2"}, {"role": team["mlops"].slug, "level": "0"}):
        assert client_for(alice).post(url, bad).status_code == 302
    assert RoleSkill.objects.get(skill=team["feast"]).level == 3
    page = client_for(alice).get("/skills/feature-stores/").content.decode()
    assert f"/skills/needs/{need.pk}/remove/" in page
    assert client_for(alice).post(f"/skills/needs/{need.pk}/remove/").status_code == 302
    assert not RoleSkill.objects.filter(skill=team["feast"]).exists()


def test_the_pages_speak_russian(client_for, carol, team, skill_factory):
    skill_factory("sso", name="SSO / Keycloak", name_ru="Единый вход / Keycloak")
    client = client_for(carol)
    coverage = client.get("/skills/coverage/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Покрытие навыками" in coverage and "Тепловая карта" in coverage
    assert "Единый вход / Keycloak" in coverage
    catalogue = client.get("/skills/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Каталог навыков" in catalogue


def test_a_nul_in_a_role_is_refused_without_a_500(client_for, alice, team):
    response = client_for(alice).post("/skills/kubernetes/needs/", {"role": "a\x00b", "level": "2"})
    assert response.status_code == 302
