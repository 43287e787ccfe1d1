from django.urls import path
from rest_framework.routers import DefaultRouter

from inventory.api import views

router = DefaultRouter()
router.register("inventory/clusters", views.ClusterViewSet, basename="inventory-cluster")
router.register("inventory/sources", views.InventorySourceViewSet, basename="inventory-source")
router.register("inventory/nodes", views.NodeViewSet, basename="inventory-node")
router.register("inventory/gpus", views.GpuViewSet, basename="inventory-gpu")
router.register("inventory/components", views.ComponentViewSet, basename="inventory-component")
router.register("inventory/changes", views.InventoryChangeViewSet, basename="inventory-change")
router.register("inventory/sync-runs", views.SyncRunViewSet, basename="inventory-syncrun")
urlpatterns = [
    path("inventory/findings/", views.FindingsView.as_view(), name="inventory-findings"),
    *router.urls,
]
