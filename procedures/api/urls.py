from rest_framework.routers import DefaultRouter

from procedures.api.views import (
    AcknowledgementViewSet,
    ProcedureVersionViewSet,
    ProcedureViewSet,
    ReviewViewSet,
)

router = DefaultRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("procedure-versions", ProcedureVersionViewSet, basename="procedure-version")
router.register("procedure-reviews", ReviewViewSet, basename="procedure-review")
router.register(
    "procedure-acknowledgements", AcknowledgementViewSet, basename="procedure-acknowledgement"
)
urlpatterns = router.urls
