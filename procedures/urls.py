from django.urls import path

from procedures import lookup, views, views_versions

app_name = "procedures"

_version = "<slug:slug>/v<int:major>.<int:minor>/"

urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("new/", views.procedure_create, name="create"),
    path("preview/", views_versions.preview, name="preview"),
    path("review-queue/", views.review_queue, name="review-queue"),
    path("overdue/", views.overdue, name="overdue"),
    # A slug has no dot, so this address can never be a procedure's.
    path("lookup.json", lookup.lookup, name="lookup"),
    path("<slug:slug>/", views.procedure_detail, name="detail"),
    path("<slug:slug>/history/", views.procedure_history, name="history"),
    path("<slug:slug>/diff/", views.procedure_diff, name="diff"),
    path("<slug:slug>/acknowledge/", views.procedure_acknowledge, name="acknowledge"),
    path("<slug:slug>/withdraw/", views.procedure_withdraw, name="withdraw"),
    path("<slug:slug>/new-version/", views_versions.version_new, name="version-new"),
    path(_version, views_versions.version_detail, name="version"),
    path(_version + "edit/", views_versions.version_edit, name="version-edit"),
    path(_version + "submit/", views_versions.version_submit, name="version-submit"),
    path(_version + "review/", views_versions.version_review, name="version-review"),
    path(_version + "withdraw/", views_versions.version_withdraw, name="version-withdraw"),
]
