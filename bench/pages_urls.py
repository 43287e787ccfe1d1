"""The portal's URLs plus ``/bench/minimal/``: a signed-in page that does nothing, served
through the same middleware, so its throughput is the ceiling of any page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from portal.urls import handler403  # noqa: F401
from portal.urls import urlpatterns as portal_urlpatterns


@login_required
def minimal(request):
    return HttpResponse(f"signed in as {request.user.get_username()}")


urlpatterns = [path("bench/minimal/", minimal), *portal_urlpatterns]
