from django.urls import path
from rest_framework.routers import DefaultRouter

from skills.api import views

router = DefaultRouter()
router.register("skills/catalogue", views.SkillViewSet, basename="skill")
router.register("skills/levels", views.PersonSkillViewSet, basename="skill-level")
router.register("skills/role-needs", views.RoleSkillViewSet, basename="skill-role-need")
urlpatterns = [
    path("skills/coverage/", views.CoverageView.as_view(), name="skill-coverage"),
    *router.urls,
]
