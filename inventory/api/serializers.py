from rest_framework import serializers

from inventory.models import (
    Cluster,
    Component,
    Gpu,
    InventoryChange,
    InventorySource,
    Node,
    SyncRun,
)


class ClusterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cluster
        fields = ["id", "name", "description", "is_demo", "sync_interval_seconds", "created_at"]
        read_only_fields = ["is_demo", "created_at"]


class InventorySourceSerializer(serializers.ModelSerializer):
    last_success_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_status = serializers.CharField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = InventorySource
        fields = [
            "id",
            "cluster",
            "name",
            "kind",
            "config",
            "enabled",
            "sync_interval_seconds",
            "created_at",
            "last_success_at",
            "last_run_at",
            "last_run_status",
            "last_error",
        ]
        read_only_fields = ["created_at"]
        # Without an interval a source takes its cluster's (the service decides).
        extra_kwargs = {"sync_interval_seconds": {"required": False, "default": None}}
        # The database constraint is enforced by the service; no model-level validator.
        validators = []


class NodeSerializer(serializers.ModelSerializer):
    gpu_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Node
        fields = [
            "id",
            "cluster",
            "name",
            "labels",
            "taints",
            "roles",
            "capacity",
            "allocatable",
            "cpu_cores",
            "memory_bytes",
            "gpu_capacity",
            "gpu_allocatable",
            "gpu_requested",
            "gpu_count",
            "os_image",
            "kernel_version",
            "kubelet_version",
            "container_runtime",
            "architecture",
            "ready",
            "unschedulable",
            "gpu_labels_present",
            "gpu_product",
            "driver_version_label",
            "mig_strategy_label",
            "mig_devices_label",
            "first_seen_at",
            "changed_at",
            "gone_at",
        ]


class GpuSerializer(serializers.ModelSerializer):
    class Meta:
        model = Gpu
        fields = [
            "id",
            "cluster",
            "node",
            "node_name",
            "uuid",
            "index",
            "product",
            "memory_total_mib",
            "driver_version",
            "cuda_version",
            "compute_capability",
            "pci_bus_id",
            "serial",
            "mig_mode",
            "mig_devices",
            "nvlink_peers",
            "power_limit_w",
            "utilization_gpu_pct",
            "memory_used_mib",
            "temperature_c",
            "power_draw_w",
            "last_seen_at",
            "idle_since",
            "first_seen_at",
            "changed_at",
            "gone_at",
        ]


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = [
            "id",
            "cluster",
            "namespace",
            "kind",
            "workload_name",
            "name",
            "category",
            "version",
            "images",
            "ready_replicas",
            "desired_replicas",
            "first_seen_at",
            "changed_at",
            "gone_at",
        ]


class InventoryChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = InventoryChange
        fields = [
            "id",
            "cluster",
            "sync_run",
            "at",
            "object_kind",
            "object_id",
            "object_key",
            "change",
            "field",
            "old_value",
            "new_value",
        ]


class SyncRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncRun
        fields = [
            "id",
            "cluster",
            "source",
            "source_kind",
            "scope",
            "status",
            "started_at",
            "duration_ms",
            "nodes_seen",
            "gpus_seen",
            "components_seen",
            "added",
            "changed",
            "gone",
            "metrics_updated",
            "error",
            "warnings",
        ]


class FindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    title = serializers.CharField()
    message = serializers.CharField()
    cluster_id = serializers.IntegerField()
    cluster_name = serializers.CharField()
    object_label = serializers.CharField()
    url = serializers.CharField()
    procedure_url = serializers.CharField()
