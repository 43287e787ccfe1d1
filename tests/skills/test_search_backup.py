"""Skills in the search index and in a portal backup."""

from portal.backup.run import portal_export, portal_import
from skills.models import PersonSkill, RoleSkill, Skill


def test_a_skill_is_found_in_english_and_russian(client_for, carol, skill_factory):
    from portal.search import search_reindex_kind

    skill_factory(
        "feature-stores", name="Feature stores", name_ru="Хранилища признаков", components=["Feast"]
    )
    search_reindex_kind("skill")
    for q in ("feature", "хранилища", "Feast"):
        text = client_for(carol).get("/search/", {"q": q}).content.decode()
        assert "/skills/feature-stores/" in text, q


def test_a_backup_restores_levels_confirmations_and_needs(
    tmp_path, alice, bob, carol, skill_factory, role_in_group, level
):
    from django.contrib.auth import get_user_model

    from knowledge.models import Role
    from portal.models import AuditEvent
    from skills.services import role_skill_set

    skill = skill_factory("kubernetes", components=["NVIDIA GPU Operator"], elements=["hardware"])
    level(carol, skill, 2, confirmed_by=bob)
    role_skill_set(actor=alice, role=role_in_group("MLOps engineer"), skill=skill, level=3)
    portal_export(directory=tmp_path)
    assert (tmp_path / "skills" / "levels.json").exists()
    for model in (Skill, Role, AuditEvent, get_user_model()):
        model._default_manager.all().delete()
    portal_import(directory=tmp_path)
    ps = PersonSkill.objects.select_related("skill", "user", "confirmed_by").get()
    assert (ps.user.username, ps.skill.slug, ps.level, ps.confirmed, ps.confirmed_by.username) == (
        "carol",
        "kubernetes",
        2,
        True,
        "bob",
    )
    restored = Skill.objects.get()
    assert [e.code for e in restored.elements.all()] == ["hardware"]
    assert [c.component_name for c in restored.components.all()] == ["NVIDIA GPU Operator"]
    need = RoleSkill.objects.select_related("role").get()
    assert (need.role.name, need.level) == ("MLOps engineer", 3)
