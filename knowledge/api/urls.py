from rest_framework.routers import DefaultRouter

from knowledge.api import views

router = DefaultRouter()
router.register("adrs", views.AdrViewSet, basename="adr")
router.register("adr-links", views.AdrLinkViewSet, basename="adr-link")
router.register("raci/roles", views.RoleViewSet, basename="raci-role")
router.register("raci/activities", views.ActivityViewSet, basename="raci-activity")
router.register("raci/assignments", views.AssignmentViewSet, basename="raci-assignment")
router.register("onboarding/tracks", views.TrackViewSet, basename="onboarding-track")
router.register("onboarding/enrolments", views.EnrolmentViewSet, basename="onboarding-enrolment")
urlpatterns = router.urls
