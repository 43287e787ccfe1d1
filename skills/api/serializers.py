from __future__ import annotations

from rest_framework import serializers

from skills.choices import Level
from skills.models import PersonSkill, RoleSkill, Skill


class SkillSerializer(serializers.ModelSerializer):
    elements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    components = serializers.SerializerMethodField()
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Skill
        fields = [
            "id",
            "slug",
            "name",
            "name_ru",
            "display_name",
            "description",
            "description_ru",
            "elements",
            "components",
            "order",
        ]

    def get_components(self, skill) -> list[str]:
        return [c.component_name for c in skill.components.all()]


class SkillWriteSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=80)
    name = serializers.CharField(max_length=120)
    name_ru = serializers.CharField(max_length=120, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    description_ru = serializers.CharField(required=False, allow_blank=True)
    elements = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    components = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class PersonSkillSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)
    skill = serializers.SlugRelatedField(slug_field="slug", queryset=Skill.objects.all())
    level = serializers.ChoiceField(choices=Level.choices)
    confirmed = serializers.BooleanField(read_only=True)
    confirmed_level = serializers.IntegerField(read_only=True, allow_null=True)
    confirmed_by = serializers.CharField(
        source="confirmed_by.username", read_only=True, default=None
    )

    class Meta:
        model = PersonSkill
        fields = [
            "id",
            "user",
            "skill",
            "level",
            "confirmed",
            "confirmed_level",
            "confirmed_by",
            "confirmed_at",
            "updated_at",
        ]
        read_only_fields = ["confirmed_level", "confirmed_at", "updated_at"]
        # The service decides what a second level for the same skill means (an update).
        validators = []


class RoleSkillSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    skill = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = RoleSkill
        fields = ["id", "role", "skill", "level"]


class RoleSkillWriteSerializer(serializers.Serializer):
    role = serializers.SlugField()
    skill = serializers.SlugField()
    # A role needs at least level 1 of a skill (0, "none", is no need at all).
    level = serializers.IntegerField(min_value=1, max_value=Level.CAN_TEACH)


class GapSerializer(serializers.Serializer):
    role = serializers.CharField(source="role.slug")
    skill = serializers.CharField(source="skill.slug")
    level = serializers.IntegerField()


class CoverageSkillSerializer(serializers.Serializer):
    skill = serializers.CharField()
    holders = serializers.ListField(child=serializers.CharField())
    bus_factor_one = serializers.BooleanField()


class SkillFindingSerializer(serializers.Serializer):
    level = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    skills = CoverageSkillSerializer(many=True)
    gaps = GapSerializer(many=True)
    dragon = serializers.DictField(allow_null=True)
    findings = SkillFindingSerializer(many=True)
