"""Skills tests: a small catalogue, roles staffed through Django groups (as a
Keycloak sign-in would), and components the inventory sees."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def skill_factory(alice):
    from skills.services import skill_create

    def make(slug, *, components=(), elements=("software",), **kwargs):
        kwargs.setdefault("name", slug.replace("-", " ").capitalize())
        return skill_create(
            actor=alice, slug=slug, components=list(components), elements=list(elements), **kwargs
        )

    return make


@pytest.fixture
def role_in_group(alice):
    """role_in_group("mlops", [dave]) → a RACI role whose group holds those people."""
    from knowledge.services import role_create

    def make(name, people=(), *, group=None):
        group = group or name.lower().replace(" ", "-")
        django_group, _ = Group.objects.get_or_create(name=group)
        for person in people:
            person.groups.add(django_group)
        return role_create(actor=alice, name=name, keycloak_group=f"/team/{group}")

    return make


@pytest.fixture
def level():
    """level(person, skill, 2, confirmed_by=bob) → the PersonSkill, set by the person."""
    from skills.services import person_skill_confirm, person_skill_set

    def make(person, skill, value, *, confirmed_by=None):
        ps = person_skill_set(actor=person, user=person, skill=skill, level=value)
        if confirmed_by is not None:
            ps = person_skill_confirm(actor=confirmed_by, person_skill=ps)
        return ps

    return make


@pytest.fixture
def running_component(db):
    """running_component("MLflow") → a present component in a cluster."""
    from inventory.models import Cluster, Component

    def make(name, *, gone=False):
        from django.utils import timezone

        now = timezone.now()
        cluster, _ = Cluster.objects.get_or_create(name="prod")
        n = Component.objects.count()
        return Component.objects.create(
            first_seen_at=now,
            changed_at=now,
            cluster=cluster,
            namespace="ml",
            kind="Deployment",
            workload_name=f"{name.lower().replace(' ', '-')}-{n}",
            name=name,
            category="ml",
            gone_at=now if gone else None,
        )

    return make
