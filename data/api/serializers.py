from __future__ import annotations

from rest_framework import serializers

from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site
from inventory.models import Cluster


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "kind", "location", "description", "is_demo", "updated_at"]
        read_only_fields = ["is_demo", "updated_at"]


class PlacementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClusterPlacement
        fields = ["id", "cluster", "site"]
        # Placing a placed cluster moves it (the service updates its one row).
        extra_kwargs = {"cluster": {"validators": []}}


class DataStoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataStore
        fields = [
            "id",
            "name",
            "kind",
            "site",
            "capacity_bytes",
            "endpoint",
            "owner_role",
            "description",
            "is_demo",
            "updated_at",
        ]
        read_only_fields = ["is_demo", "updated_at"]


class DatasetSerializer(serializers.ModelSerializer):
    used_by = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=200
    )
    clusters = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Cluster.objects.all(), required=False
    )

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "store",
            "path",
            "size_bytes",
            "file_count",
            "format",
            "owner_role",
            "personal_data",
            "versioning",
            "version_ref",
            "procedure",
            "used_by",
            "clusters",
            "description",
            "last_updated",
            "is_demo",
            "updated_at",
        ]
        read_only_fields = ["is_demo", "updated_at"]
        extra_kwargs = {
            "size_bytes": {"min_value": 0},
            "file_count": {"min_value": 0},
        }


class NetworkLinkSerializer(serializers.ModelSerializer):
    effective_gbps = serializers.FloatField(read_only=True)
    basis = serializers.CharField(read_only=True)

    class Meta:
        model = NetworkLink
        fields = [
            "id",
            "site_a",
            "site_b",
            "name",
            "bandwidth_gbps",
            "latency_ms",
            "dedicated",
            "measured_gbps",
            "measured_at",
            "measured_how",
            "effective_gbps",
            "basis",
            "description",
            "is_demo",
            "updated_at",
        ]
        read_only_fields = ["measured_gbps", "measured_at", "measured_how", "is_demo", "updated_at"]
        extra_kwargs = {
            "bandwidth_gbps": {"min_value": 0.000001, "max_value": 100_000},
            "latency_ms": {"min_value": 0, "max_value": 100_000},
        }


class LinkMeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = LinkMeasurement
        fields = [
            "id",
            "link",
            "measured_at",
            "gbps",
            "sent_gbps",
            "duration_s",
            "protocol",
            "streams",
            "how",
            "intervals",
            "source_name",
            "created_at",
        ]
        read_only_fields = ["intervals", "source_name", "created_at"]
        extra_kwargs = {"gbps": {"min_value": 0, "max_value": 100_000}}


class DatasetDeliverySerializer(serializers.Serializer):
    cluster = serializers.IntegerField(source="cluster_id")
    cluster_name = serializers.CharField()
    site = serializers.IntegerField(source="site_id", allow_null=True)
    reachable = serializers.BooleanField()
    bottleneck_gbps = serializers.SerializerMethodField()
    path_sites = serializers.SerializerMethodField()
    first_read_seconds = serializers.FloatField(source="first_s", allow_null=True)
    cache = serializers.CharField(source="cache_name")
    cache_fits = serializers.BooleanField()
    later_reads_seconds = serializers.FloatField(source="later_s", allow_null=True)

    def get_bottleneck_gbps(self, obj) -> float | None:
        if obj.route is None:
            return None
        return None if obj.route.local else obj.route.bottleneck_gbps

    def get_path_sites(self, obj) -> list[int]:
        return list(obj.route.sites) if obj.route else []


class DataFindingRowSerializer(serializers.Serializer):
    subject = serializers.CharField()
    url = serializers.CharField()
    message = serializers.CharField()
    suggestion = serializers.CharField()


class DataFindingGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    rows = DataFindingRowSerializer(many=True)


class DataFileResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class DataImportReportSerializer(serializers.Serializer):
    updated = serializers.IntegerField()
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    files = DataFileResultSerializer(many=True)


class DataUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=200)


class DvcUploadSerializer(DataUploadSerializer):
    store = serializers.PrimaryKeyRelatedField(
        queryset=DataStore.objects.all(), required=False, allow_null=True
    )
