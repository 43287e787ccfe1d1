from django.urls import path

from inventory import views, views_live, views_software, views_sources

app_name = "inventory"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("nodes/", views.node_list, name="node-list"),
    path("nodes/<int:pk>/", views.node_detail, name="node-detail"),
    path("gpus/", views.gpu_list, name="gpu-list"),
    path("components/", views.component_list, name="component-list"),
    path("changes/", views.change_list, name="change-list"),
    path("sync-runs/", views.syncrun_list, name="syncrun-list"),
    path("findings/", views.findings, name="findings"),
    path("capacity/", views.capacity, name="capacity"),
    path("clusters/<int:pk>/sync/", views.cluster_sync_now, name="cluster-sync"),
    path("last-change/", views_live.last_change, name="last-change"),
    path("certificates/", views_software.certificates, name="certificate-list"),
    path("storage/", views_software.storage, name="storage-list"),
    path("sources/", views_sources.source_list, name="source-list"),
    path("sources/<int:pk>/edit/", views_sources.source_edit, name="source-edit"),
    path(
        "clusters/<int:cluster_pk>/sources/new/<str:kind>/",
        views_sources.source_new,
        name="source-new",
    ),
    path(
        "clusters/<int:cluster_pk>/sources/test/<str:kind>/",
        views_sources.source_test_view,
        name="source-test",
    ),
]
