"""Admin: clusters and their sources are configured here (or through the API); the
inventory itself is read-only, written only by the reconciler."""

from django.contrib import admin

from inventory.models import (
    Cluster,
    Component,
    Gpu,
    InventoryChange,
    InventorySource,
    Node,
    SyncRun,
)
from inventory.services import (
    cluster_create,
    cluster_update,
    source_create,
    source_delete,
    source_update,
)


class InventorySourceInline(admin.TabularInline):
    model = InventorySource
    extra = 0
    fields = ("name", "kind", "config", "enabled", "sync_interval_seconds")
    show_change_link = True


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ("name", "is_demo", "sync_interval_seconds", "created_at")
    fields = ("name", "description", "sync_interval_seconds")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in self.fields}
        if change:
            cluster_update(actor=request.user, cluster=Cluster.objects.get(pk=obj.pk), **data)
        else:
            obj.pk = cluster_create(actor=request.user, **data).pk


@admin.register(InventorySource)
class InventorySourceAdmin(admin.ModelAdmin):
    list_display = ("name", "cluster", "kind", "enabled", "sync_interval_seconds")
    list_filter = ("kind", "enabled", "cluster")
    fields = ("cluster", "name", "kind", "config", "enabled", "sync_interval_seconds")

    def save_model(self, request, obj, form, change):
        data = {
            f: form.cleaned_data[f]
            for f in ("name", "kind", "config", "enabled", "sync_interval_seconds")
        }
        if change:
            source_update(actor=request.user, source=InventorySource.objects.get(pk=obj.pk), **data)
        else:
            obj.pk = source_create(
                actor=request.user, cluster=form.cleaned_data["cluster"], **data
            ).pk

    def delete_model(self, request, obj):
        source_delete(actor=request.user, source=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ("name", "cluster", "ready", "gpu_capacity", "gpu_allocatable", "gone_at")
    list_filter = ("cluster", "ready")
    search_fields = ("name",)


@admin.register(Gpu)
class GpuAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "node_name", "index", "product", "driver_version", "gone_at")
    list_filter = ("cluster", "product")
    search_fields = ("uuid", "node_name")


@admin.register(Component)
class ComponentAdmin(ReadOnlyAdmin):
    list_display = ("name", "category", "version", "namespace", "workload_name", "gone_at")
    list_filter = ("cluster", "category")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "cluster", "source_kind", "scope", "status", "added", "changed")
    list_filter = ("cluster", "status", "source_kind")


@admin.register(InventoryChange)
class InventoryChangeAdmin(ReadOnlyAdmin):
    list_display = ("at", "cluster", "object_kind", "object_key", "change", "field")
    list_filter = ("cluster", "object_kind", "change")
