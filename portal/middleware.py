import re
import uuid

from django.conf import settings

from portal.request_context import reset_request_id, set_request_id

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Take X-Request-ID from the proxy when it is sane, else make one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


# Everything the portal serves is its own: no CDN, so the policy can stay tight.
# 'unsafe-inline' for styles only because Pygments and Swagger UI emit style attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self' {extra}"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        extra = settings.KEYCLOAK_SERVER_URL if settings.KEYCLOAK_ENABLED else ""
        self.csp = CONTENT_SECURITY_POLICY.format(extra=extra).strip()

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.csp)
        return response


class WorkflowErrorMiddleware:
    """A service refusing an action for the object's state is a 409 with its reason,
    not a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from portal.errors import WorkflowError

        if isinstance(exception, WorkflowError):
            return render(request, "409.html", {"message": str(exception)}, status=409)
        return None
