"""The skills pages and the sections they add cost the same queries with 3 people
and 3 skills as with 30 and 30."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills.models import PersonSkill, RoleSkill, Skill, SkillComponent


def _grow(start: int, count: int, role) -> None:
    User = get_user_model()
    skills = Skill.objects.bulk_create(
        Skill(slug=f"skill-{n}", name=f"Skill {n}", order=n) for n in range(start, start + count)
    )
    SkillComponent.objects.bulk_create(
        SkillComponent(skill=s, component_name=f"Component {s.order}") for s in skills
    )
    people = User.objects.bulk_create(
        User(username=f"person-{n}") for n in range(start, start + count)
    )
    PersonSkill.objects.bulk_create(
        PersonSkill(user=p, skill=s, level=(i + j) % 4, confirmed_level=2 if j % 2 else None)
        for i, p in enumerate(people)
        for j, s in enumerate(skills)
    )
    RoleSkill.objects.bulk_create(RoleSkill(role=role, skill=s, level=2) for s in skills)
    # The first skill's page lists everyone's level in it.
    first = Skill.objects.order_by("pk").first()
    PersonSkill.objects.bulk_create(
        (PersonSkill(user=p, skill=first, level=2) for p in people), ignore_conflicts=True
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/skills/",
        "/skills/coverage/",
        "/skills/coverage/?confirmed=1",
        "/skills/skill-1/",
        "/skills/mine/",
        "/knowledge/people/carol/",
        "/knowledge/matrix/",
        "/inventory/components/",
        "/api/v1/skills/levels/",
        "/api/v1/skills/catalogue/",
        "/api/v1/skills/coverage/",
    ],
)
def test_skills_pages_are_constant(client_for, carol, role_in_group, running_component, url):
    client = client_for(carol)
    role = role_in_group("MLOps engineer", [carol])
    _grow(1, 3, role)
    running_component("Component 1")
    _queries(client, url)  # warm the caches other panels keep
    small = _queries(client, url)
    _grow(100, 30, role)
    for n in range(100, 110):
        running_component(f"Component {n}")
    assert _queries(client, url) == small


def test_the_home_card_is_constant(client_for, carol, role_in_group):
    from django.core.cache import cache

    client = client_for(carol)
    role = role_in_group("MLOps engineer", [carol])
    _grow(1, 3, role)
    cache.clear()
    small = _queries(client, "/")
    _grow(100, 30, role)
    cache.clear()
    assert _queries(client, "/") == small
