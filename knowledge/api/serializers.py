from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from knowledge.choices import LinkKind, Phase, RaciLetter, StepKind
from knowledge.models import Activity, Adr, AdrLink, Assignment, Enrolment, Role, Track, TrackStep
from knowledge.models.adr import SECTION_FIELDS
from knowledge.models.onboarding import STEP_FIELDS
from portal.elements import ElementCode
from procedures.models import Procedure


class AdrRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Adr
        fields = ["number", "code", "title", "status"]


class AdrLinkSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="number", queryset=Adr.objects.all())
    target = serializers.SlugRelatedField(slug_field="number", queryset=Adr.objects.all())
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    label = serializers.CharField(read_only=True)
    reverse_label = serializers.CharField(read_only=True)

    class Meta:
        model = AdrLink
        fields = ["id", "source", "target", "kind", "label", "reverse_label", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []  # the service answers a duplicate with a clear 409


class LinkViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="link.pk")
    label = serializers.CharField()
    kind = serializers.CharField(source="link.kind")
    outgoing = serializers.BooleanField()
    other = AdrRefSerializer()


class AdrSerializer(serializers.ModelSerializer):
    elements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    procedures = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Adr
        fields = [
            "number",
            "code",
            "title",
            "slug",
            "status",
            "date",
            "decision_makers",
            "consulted",
            "informed",
            "elements",
            "tags",
            "procedures",
            *SECTION_FIELDS,
            "revision",
            "links",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_links(self, adr) -> list[dict]:
        from knowledge.selectors.adr import links_of

        if (
            not hasattr(adr, "_prefetched_objects_cache")
            or "links_out" not in adr._prefetched_objects_cache
        ):
            return []
        return LinkViewSerializer(links_of(adr), many=True).data


class AdrComponentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.CharField()
    cluster = serializers.CharField(source="cluster.name")
    namespace = serializers.CharField()
    kind = serializers.CharField()
    gone = serializers.BooleanField(source="is_gone")


class AdrDetailSerializer(AdrSerializer):
    """One record with the software components it is about."""

    components = serializers.SerializerMethodField()

    class Meta(AdrSerializer.Meta):
        fields = [*AdrSerializer.Meta.fields, "components"]
        read_only_fields = fields

    @extend_schema_field(AdrComponentSerializer(many=True))
    def get_components(self, adr) -> list[dict]:
        from knowledge.selectors.adr_components import components_of

        return AdrComponentSerializer(components_of(adr), many=True).data


class ComponentLinkSerializer(serializers.Serializer):
    component = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class AdrWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    date = serializers.DateField(required=False)
    decision_makers = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False
    )
    consulted = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    informed = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    elements = serializers.ListField(
        child=serializers.ChoiceField(choices=ElementCode.choices), required=False
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    procedures = serializers.SlugRelatedField(
        slug_field="slug", queryset=Procedure.objects.all(), many=True, required=False
    )
    context = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    drivers = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    options = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    outcome = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    consequences = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    confirmation = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    pros_cons = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    more_info = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    revision = serializers.IntegerField(required=False, min_value=1)


class StatusNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SupersedeSerializer(serializers.Serializer):
    old = serializers.SlugRelatedField(slug_field="number", queryset=Adr.objects.all())
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ImportFileErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.IntegerField())
    updated = serializers.ListField(child=serializers.IntegerField())
    unchanged = serializers.ListField(child=serializers.IntegerField())
    links_added = serializers.IntegerField()
    errors = ImportFileErrorSerializer(many=True)
    # Imported as well as could be (a status outside the five, an unknown key).
    warnings = ImportFileErrorSerializer(many=True)


class ImportUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["id", "slug", "name", "name_ru", "description", "keycloak_group", "order"]
        read_only_fields = ["id"]
        extra_kwargs = {"slug": {"required": False}}


class ActivitySerializer(serializers.ModelSerializer):
    elements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    element_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=ElementCode.choices), write_only=True, required=False
    )
    procedure = serializers.SlugRelatedField(
        slug_field="slug", queryset=Procedure.objects.all(), required=False, allow_null=True
    )
    letters = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "slug",
            "name",
            "name_ru",
            "description",
            "elements",
            "element_codes",
            "procedure",
            "order",
            "letters",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"slug": {"required": False}}

    def get_letters(self, activity) -> dict[str, str]:
        return {a.role.slug: a.letter for a in activity.assignments.all()}


class AssignmentSerializer(serializers.ModelSerializer):
    activity = serializers.SlugRelatedField(slug_field="slug", queryset=Activity.objects.all())
    role = serializers.SlugRelatedField(slug_field="slug", queryset=Role.objects.all())
    letter = serializers.ChoiceField(choices=RaciLetter.choices, allow_blank=True)

    class Meta:
        model = Assignment
        fields = ["id", "activity", "role", "letter"]
        read_only_fields = ["id"]
        validators = []


class TrackStepSerializer(serializers.ModelSerializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    kind = serializers.ChoiceField(choices=StepKind.choices)
    procedure = serializers.SlugRelatedField(
        slug_field="slug", queryset=Procedure.objects.all(), required=False, allow_null=True
    )
    adr = serializers.SlugRelatedField(
        slug_field="number", queryset=Adr.objects.all(), required=False, allow_null=True
    )
    depends_on = serializers.PrimaryKeyRelatedField(
        queryset=TrackStep.objects.all(), many=True, required=False
    )

    class Meta:
        model = TrackStep
        fields = ["id", *STEP_FIELDS, "depends_on"]
        read_only_fields = ["id"]


class TrackSerializer(serializers.ModelSerializer):
    role = serializers.SlugRelatedField(slug_field="slug", queryset=Role.objects.all())
    steps = TrackStepSerializer(many=True, read_only=True)

    class Meta:
        model = Track
        fields = ["id", "role", "title", "title_ru", "description", "steps"]
        read_only_fields = ["id"]
        validators = []


class EnrolmentSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    buddy = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    track = serializers.PrimaryKeyRelatedField(queryset=Track.objects.all())

    class Meta:
        model = Enrolment
        fields = ["id", "user", "track", "start_date", "buddy", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators = []


class StepProgressSerializer(serializers.Serializer):
    step = serializers.IntegerField(source="step.pk")
    title = serializers.CharField(source="step.display_title")
    phase = serializers.CharField(source="step.phase")
    kind = serializers.CharField(source="step.kind")
    state = serializers.CharField()
    due = serializers.DateField()
    overdue = serializers.BooleanField()


class ProgressSerializer(serializers.Serializer):
    enrolment = serializers.IntegerField(source="enrolment.pk")
    user = serializers.CharField(source="enrolment.user.username")
    track = serializers.IntegerField(source="enrolment.track_id")
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    steps = StepProgressSerializer(many=True)


class CompleteStepSerializer(serializers.Serializer):
    step = serializers.PrimaryKeyRelatedField(queryset=TrackStep.objects.all())
