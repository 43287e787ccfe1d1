import django_filters
from django.utils import timezone

from portal.api.filters import WholeNumberFilter
from portal.elements import ElementCode
from procedures.choices import ChangeKind, ReviewDecision, SignatureMeaning, VersionStatus
from procedures.models import Acknowledgement, Procedure, ProcedureVersion, Review


class ProcedureFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug", help_text="Category slug.")
    element = django_filters.ChoiceFilter(
        field_name="elements__code", choices=ElementCode.choices, help_text="IS element code."
    )
    withdrawn = django_filters.BooleanFilter(
        field_name="withdrawn_at", lookup_expr="isnull", exclude=True
    )
    in_force = django_filters.BooleanFilter(
        method="filter_in_force", help_text="Has a version in force."
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Review date passed.")
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains")

    class Meta:
        model = Procedure
        fields = ["category", "element", "withdrawn", "in_force", "overdue", "q"]

    def filter_in_force(self, queryset, name, value):
        return queryset.filter(current_version_id__isnull=not value)

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(pk__in=Procedure.objects.overdue(now).values("pk"))


class VersionFilter(django_filters.FilterSet):
    procedure = django_filters.CharFilter(field_name="procedure__slug", help_text="Procedure slug.")
    status = django_filters.MultipleChoiceFilter(choices=VersionStatus.choices)
    change_kind = django_filters.ChoiceFilter(choices=ChangeKind.choices)
    author = django_filters.CharFilter(field_name="author__username")
    awaiting_my_review = django_filters.BooleanFilter(
        method="filter_awaiting", help_text="Only versions the caller may sign and has not."
    )

    class Meta:
        model = ProcedureVersion
        fields = ["procedure", "status", "change_kind", "author", "awaiting_my_review"]

    def filter_awaiting(self, queryset, name, value):
        mine = ProcedureVersion.objects.awaiting_review_by(self.request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


class ReviewFilter(django_filters.FilterSet):
    procedure = django_filters.CharFilter(field_name="version__procedure__slug")
    version = WholeNumberFilter(field_name="version_id")
    reviewer = django_filters.CharFilter(field_name="reviewer__username")
    decision = django_filters.ChoiceFilter(choices=ReviewDecision.choices)
    meaning = django_filters.ChoiceFilter(choices=SignatureMeaning.choices)

    class Meta:
        model = Review
        fields = ["procedure", "version", "reviewer", "decision", "meaning"]


class AcknowledgementFilter(django_filters.FilterSet):
    procedure = django_filters.CharFilter(field_name="procedure__slug")
    user = django_filters.CharFilter(field_name="user__username")
    major = WholeNumberFilter()

    class Meta:
        model = Acknowledgement
        fields = ["procedure", "user", "major"]
