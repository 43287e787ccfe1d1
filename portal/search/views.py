from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.schema import document
from portal.elements import ElementCode
from portal.policy import require
from portal.registry import registry
from portal.search.forms import SearchForm
from portal.search.query import MAX_QUERY, search
from portal.validation import refuse_nul


def _labels() -> dict[str, str]:
    return {p.kind: p.label for p in registry.search_kinds()}


@login_required
def search_page(request):
    require(request.user, "portal.read")
    form = SearchForm(request.GET or None)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            result = search(
                data["q"], kind=data["kind"], element=data["element"], page=data["page"] or 1
            )
        else:
            status = 400
    labels = _labels()
    context = {
        "form": form,
        "result": result,
        "facets": [
            (kind, labels.get(kind, kind), n)
            for kind, n in sorted((result.kind_counts if result else {}).items())
        ],
    }
    partial = request.htmx and request.htmx.target == "search-results"
    template = "portal/_search_results.html" if partial else "portal/search.html"
    return render(request, template, context, status=status)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY, allow_blank=False, trim_whitespace=True)
    kind = serializers.CharField(required=False, allow_blank=True, default="")
    element = serializers.ChoiceField(
        choices=[c for c, _label in ElementCode.choices], required=False, allow_blank=True
    )
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False, default=20)

    def validate_kind(self, value: str) -> str:
        if value and value not in registry.search_providers:
            raise serializers.ValidationError(f"unknown kind; one of {sorted(_labels())}")
        return value

    def validate_q(self, value: str) -> str:
        refuse_nul(value)
        return value


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    object_id = serializers.CharField()
    url = serializers.CharField()
    title = serializers.CharField(help_text="HTML: escaped text, matches in <mark>")
    snippet = serializers.CharField(help_text="HTML: escaped text, matches in <mark>")
    elements = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)
    rank = serializers.FloatField()


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    kind_counts = serializers.DictField(child=serializers.IntegerField())
    results = SearchHitSerializer(many=True)


class SearchAPIView(APIView):
    """Full-text search over every kind of record in the portal."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="websearch syntax"),
            OpenApiParameter("kind", str, enum=None),
            OpenApiParameter("element", str, enum=[c for c, _label in ElementCode.choices]),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=SearchResponseSerializer,
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = search(
            data["q"],
            kind=data.get("kind", ""),
            element=data.get("element", ""),
            page=data["page"],
            per_page=data["page_size"],
        )
        labels = _labels()
        body = {
            "count": result.total,
            "page": result.page.number if result.page else 1,
            "num_pages": result.page.paginator.num_pages if result.page else 0,
            "kind_counts": result.kind_counts,
            "results": [
                {**hit.__dict__, "kind_label": str(labels.get(hit.kind, hit.kind))}
                for hit in result.hits
            ],
        }
        return Response(SearchResponseSerializer(body).data)


document(
    SearchAPIView,
    {
        "get": (
            "Search the portal",
            "Full-text search over every kind of record (procedures, decisions, RACI, "
            'inventory). ``q`` takes web-search syntax: words, "a phrase", -excluded, or.',
        )
    },
)
