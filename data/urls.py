from django.urls import path

from data import views

app_name = "data"
urlpatterns = [
    path("", views.dataset_list, name="dataset-list"),
    path("datasets/new/", views.dataset_edit, name="dataset-create"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:pk>/edit/", views.dataset_edit, name="dataset-edit"),
    path("datasets/<int:pk>/delete/", views.dataset_delete, name="dataset-delete"),
    path("datasets/dvc/", views.dvc_upload, name="dvc-upload"),
    path("stores/", views.store_list, name="store-list"),
    path("stores/new/", views.store_edit, name="store-create"),
    path("stores/<int:pk>/", views.store_detail, name="store-detail"),
    path("stores/<int:pk>/edit/", views.store_edit, name="store-edit"),
    path("stores/<int:pk>/delete/", views.store_delete, name="store-delete"),
    path("sites/", views.site_list, name="site-list"),
    path("sites/new/", views.site_edit, name="site-create"),
    path("sites/<int:pk>/", views.site_detail, name="site-detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site-edit"),
    path("sites/<int:pk>/delete/", views.site_delete, name="site-delete"),
    path("sites/<int:pk>/place/", views.site_place, name="site-place"),
    path("clusters/<int:pk>/unplace/", views.cluster_unplace, name="cluster-unplace"),
    path("links/", views.link_list, name="link-list"),
    path("links/new/", views.link_edit, name="link-create"),
    path("links/<int:pk>/", views.link_detail, name="link-detail"),
    path("links/<int:pk>/edit/", views.link_edit, name="link-edit"),
    path("links/<int:pk>/delete/", views.link_delete, name="link-delete"),
    path("links/<int:pk>/measure/", views.link_measure, name="link-measure"),
    path("findings/", views.findings, name="findings"),
    path("map/", views.network_map, name="map"),
    path("advisor/", views.advisor, name="advisor"),
]
