from django.urls import path
from rest_framework.routers import SimpleRouter

from portal.notifications.api import (
    NotificationPreferencesView,
    NotificationViewSet,
    WebhookViewSet,
)

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="api-notification")
router.register("webhooks", WebhookViewSet, basename="api-webhook")
urlpatterns = [
    path(
        "notifications/preferences/",
        NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    *router.urls,
]
