from rest_framework.routers import DefaultRouter

from knowledge.api.views import adr, onboarding, raci

router = DefaultRouter()
router.register("adrs", adr.AdrViewSet, basename="adr")
router.register("adr-links", adr.AdrLinkViewSet, basename="adr-link")
router.register("raci/roles", raci.RoleViewSet, basename="raci-role")
router.register("raci/activities", raci.ActivityViewSet, basename="raci-activity")
router.register("raci/assignments", raci.AssignmentViewSet, basename="raci-assignment")
router.register("onboarding/tracks", onboarding.TrackViewSet, basename="onboarding-track")
router.register(
    "onboarding/enrolments", onboarding.EnrolmentViewSet, basename="onboarding-enrolment"
)
urlpatterns = router.urls
