from django.urls import path
from rest_framework.routers import DefaultRouter

from data.api import views

router = DefaultRouter()
router.register("data/sites", views.SiteViewSet, basename="data-site")
router.register("data/stores", views.DataStoreViewSet, basename="data-store")
router.register("data/datasets", views.DatasetViewSet, basename="data-dataset")
router.register("data/links", views.NetworkLinkViewSet, basename="data-link")
router.register("data/measurements", views.LinkMeasurementViewSet, basename="data-measurement")
router.register("data/placements", views.PlacementViewSet, basename="data-placement")
urlpatterns = [
    path("data/findings/", views.FindingsView.as_view(), name="data-findings"),
    *router.urls,
]
