"""API shapes. Serializers validate form only; the services decide everything else."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.models import Element
from procedures.choices import ChangeKind, SignatureMeaning
from procedures.models import Acknowledgement, Category, Procedure, ProcedureVersion, Review
from procedures.reference import CATEGORIES

SHA256_REGEX = r"^[0-9a-f]{64}$"


class UsernameField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.get_username()


class SignatureSerializer(serializers.ModelSerializer):
    by = UsernameField(source="reviewer")
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Review
        fields = ["by", "at", "meaning", "content_sha256"]


class ProcedureSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = UsernameField()
    elements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    current_version = serializers.CharField(
        source="current_number",
        read_only=True,
        help_text="Number of the version in force, empty when none is.",
    )
    current_effective_from = serializers.DateTimeField(read_only=True, allow_null=True)
    open_version = serializers.CharField(source="open_number", read_only=True)
    open_status = serializers.CharField(read_only=True, allow_null=True)
    open_version_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Id of the open version (draft or in review) for /procedure-versions/{id}/.",
    )
    review_overdue = serializers.BooleanField(source="is_review_overdue", read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "id",
            "slug",
            "title",
            "category",
            "owner",
            "elements",
            "review_interval_days",
            "required_approvals",
            "review_due_at",
            "review_overdue",
            "withdrawn_at",
            "current_version",
            "current_effective_from",
            "open_version",
            "open_version_id",
            "open_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


CATEGORY_SLUGS = [slug for slug, _name, _name_ru in CATEGORIES]


@extend_schema_field(
    {
        "type": "string",
        "enum": CATEGORY_SLUGS,
        "description": "Slug of a category; these are the portal's own, admins may add more.",
    }
)
class CategorySlugField(serializers.SlugRelatedField):
    pass


class ProcedureCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=120)
    category = CategorySlugField(slug_field="slug", queryset=Category.objects.all())
    elements = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Element.objects.all(), required=False
    )
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, default=365)
    required_approvals = serializers.IntegerField(min_value=1, max_value=20, default=1)
    change_summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ProcedureUpdateSerializer(serializers.Serializer):
    category = CategorySlugField(slug_field="slug", queryset=Category.objects.all(), required=False)
    elements = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Element.objects.all(), required=False
    )
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    required_approvals = serializers.IntegerField(min_value=1, max_value=20, required=False)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class VersionSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    number = serializers.CharField(read_only=True)
    author = UsernameField()

    class Meta:
        model = ProcedureVersion
        fields = [
            "id",
            "procedure",
            "number",
            "major",
            "minor",
            "title",
            "change_kind",
            "change_summary",
            "author",
            "status",
            "effective_from",
            "content_sha256",
            "revision",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    # Filled by the view's prefetch (approving reviews only).
    signatures = SignatureSerializer(source="approval_reviews", many=True, read_only=True)
    authors = serializers.SlugRelatedField(
        slug_field="username",
        many=True,
        read_only=True,
        help_text="Everyone who changed this version's content; none of them may approve it.",
    )
    approvals_needed = serializers.IntegerField(
        read_only=True,
        help_text="Approvals that publish this version: fixed when it was submitted.",
    )

    class Meta(VersionSerializer.Meta):
        fields = [
            *VersionSerializer.Meta.fields,
            "body",
            "authors",
            "approvals_needed",
            "signatures",
        ]
        read_only_fields = fields


class VersionCreateSerializer(serializers.Serializer):
    procedure = serializers.SlugRelatedField(slug_field="slug", queryset=Procedure.objects.all())
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    change_kind = serializers.ChoiceField(choices=ChangeKind.choices, default=ChangeKind.MINOR)
    change_summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    effective_from = serializers.DateTimeField(required=False, allow_null=True)


class VersionUpdateSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1, help_text="The revision this edit started from (optimistic locking)."
    )
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)
    change_kind = serializers.ChoiceField(choices=ChangeKind.choices, required=False)
    change_summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    effective_from = serializers.DateTimeField(required=False, allow_null=True)


class SubmitSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1, required=False, help_text="Refuse if the draft moved past this revision."
    )


class ApproveSerializer(serializers.Serializer):
    content_sha256 = serializers.RegexField(
        SHA256_REGEX, help_text="The hash of the content the approver read."
    )
    meaning = serializers.ChoiceField(
        choices=SignatureMeaning.choices, default=SignatureMeaning.APPROVED
    )
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10_000)


class ReviewSerializer(serializers.ModelSerializer):
    procedure = serializers.CharField(source="version.procedure.slug", read_only=True)
    version_number = serializers.CharField(source="version.number", read_only=True)
    reviewer = UsernameField()

    class Meta:
        model = Review
        fields = [
            "id",
            "version",
            "procedure",
            "version_number",
            "reviewer",
            "decision",
            "meaning",
            "comment",
            "content_sha256",
            "created_at",
        ]
        read_only_fields = fields


class AcknowledgementSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version_number = serializers.CharField(source="version.number", read_only=True)
    user = UsernameField()

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "procedure",
            "version",
            "version_number",
            "major",
            "user",
            "acknowledged_at",
        ]
        read_only_fields = fields
