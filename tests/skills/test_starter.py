"""The starter catalogue (English and Russian), what the starter roles need, and the
demo people's levels; seeding twice adds nothing."""

import io

from knowledge.starter import seed_knowledge
from portal.registry import registry
from skills.models import PersonSkill, RoleSkill, Skill, SkillComponent
from skills.selectors import coverage
from skills.starter import CATALOGUE, seed_skills


def _counts():
    return (
        Skill.objects.count(),
        SkillComponent.objects.count(),
        RoleSkill.objects.count(),
        PersonSkill.objects.count(),
    )


def test_the_seeder_is_registered_after_knowledge():
    names = [name for _order, name, _func in registry.seeders]
    assert names.index("knowledge") < names.index("skills")


def test_the_catalogue_is_seeded_in_both_languages_and_once(db):
    seed_knowledge(stdout=io.StringIO(), demo=False)
    seed_skills(stdout=io.StringIO(), demo=False)
    first = _counts()
    assert first[0] == len(CATALOGUE) == 16 and first[3] == 0
    seed_skills(stdout=io.StringIO(), demo=False)
    assert _counts() == first
    assert all(s.name_ru for s in Skill.objects.all())
    assert Skill.objects.get(slug="feature-stores").name_ru == "Хранилища признаков (Feast)"
    serving = Skill.objects.get(slug="model-serving")
    assert {"KServe", "Seldon Core", "BentoML"} <= {
        c.component_name for c in serving.components.all()
    }
    assert RoleSkill.objects.filter(role__slug="devops-engineer", skill__slug="terraform").exists()


def test_component_names_are_the_ones_the_inventory_recognises(db):
    from inventory.sources.components import PRODUCTS

    products = {p.name for p in PRODUCTS}
    for _slug, _name, _ru, _elements, components, _description in CATALOGUE:
        assert set(components) <= products, components


def test_the_demo_has_levels_confirmed_and_not_and_a_dragon(people):
    seed_knowledge(stdout=io.StringIO(), demo=True)
    seed_skills(stdout=io.StringIO(), demo=True)
    levels = PersonSkill.objects.all()
    assert levels.filter(confirmed_level__isnull=False).exists()
    assert levels.filter(confirmed_level__isnull=True).exists()
    cov = coverage()
    assert cov.dragon[0].username == "dave" and len(cov.dragon[1]) >= 3
    carol_steps = people["carol"].enrolments.get().track.steps.filter(kind="skill_level")
    assert set(carol_steps.values_list("skill", flat=True)) == {
        "experiment-tracking",
        "ml-engineering",
    }
    before = _counts()
    seed_skills(stdout=io.StringIO(), demo=True)
    assert _counts() == before
