"""The portal's URLs plus one API endpoint, so the API's authentication can be tested
before the apps publish their own endpoints."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.policy import require, roles_of
from portal.urls import handler403  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


class ProbeView(APIView):
    """Reading needs portal.read (the default permission); POST needs portal.admin."""

    write_action = "portal.admin"

    def get(self, request):
        return Response(
            {"username": request.user.get_username(), "roles": sorted(roles_of(request.user))}
        )

    def post(self, request):
        require(request.user, "portal.admin")
        return Response({"ok": True})


class OpenProbeView(APIView):
    """Open to anyone, as the API schema is: what the anonymous throttle guards."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


@login_required
def probe_page(request):
    require(request.user, "portal.read")
    return HttpResponse(request.user.get_username())


urlpatterns = [
    path("api/v1/probe/", ProbeView.as_view(), name="probe"),
    path("api/v1/open-probe/", OpenProbeView.as_view(), name="open-probe"),
    path("probe-page/", probe_page, name="probe-page"),
    *portal_urlpatterns,
]
