from django.contrib import admin

from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site


@admin.register(Site, DataStore, Dataset, NetworkLink, LinkMeasurement, ClusterPlacement)
class ReadOnlyAdmin(admin.ModelAdmin):
    """Edits go through the portal's pages and API (services, audit); the admin shows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
