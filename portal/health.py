"""Probe and scrape endpoints, answered before host validation and the HTTPS redirect.

The kubelet, Docker's HEALTHCHECK and Prometheus call a pod by its IP over plain
HTTP: the Host header is an address ALLOWED_HOSTS rightly refuses, and
SECURE_SSL_REDIRECT would send them to an https:// the pod does not speak. These
endpoints build no URLs from the Host header and set no cookies, so answering them
first is safe; they are also kept out of the request metrics, which they would
otherwise dominate.
"""

from __future__ import annotations


class InternalEndpointsMiddleware:
    def __init__(self, get_response):
        from portal import views
        from portal.metrics import metrics_view

        self.get_response = get_response
        self.routes = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": metrics_view}

    def __call__(self, request):
        view = self.routes.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
