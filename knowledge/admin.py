"""Read-mostly admin: writes belong to the services (they audit), so the admin is
for looking things up, not for changing records behind the audit log's back."""

from django.contrib import admin

from knowledge.models import Activity, Adr, AdrLink, Assignment, Enrolment, Role, Track, TrackStep


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Adr)
class AdrAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "status", "date"]
    list_filter = ["status"]
    search_fields = ["title"]


@admin.register(AdrLink)
class AdrLinkAdmin(ReadOnlyAdmin):
    list_display = ["source", "kind", "target"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ["name", "name_ru", "keycloak_group"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["name", "name_ru", "procedure"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["activity", "role", "letter"]


@admin.register(Track)
class TrackAdmin(ReadOnlyAdmin):
    list_display = ["title", "role"]


@admin.register(TrackStep)
class TrackStepAdmin(ReadOnlyAdmin):
    list_display = ["title", "track", "phase", "kind"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "track", "start_date", "buddy"]
