"""Read-only admin: writes go through the services, which audit them."""

from django.contrib import admin

from knowledge.admin import ReadOnlyAdmin
from skills.models import PersonSkill, RoleSkill, Skill


@admin.register(Skill)
class SkillAdmin(ReadOnlyAdmin):
    list_display = ["name", "name_ru", "slug"]
    search_fields = ["name", "name_ru"]


@admin.register(PersonSkill)
class PersonSkillAdmin(ReadOnlyAdmin):
    list_display = ["user", "skill", "level", "confirmed_level", "confirmed_by"]
    list_filter = ["level"]


@admin.register(RoleSkill)
class RoleSkillAdmin(ReadOnlyAdmin):
    list_display = ["role", "skill", "level"]
