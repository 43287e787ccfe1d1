from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from portal.denials import record_denial
from portal.elements import ElementCode
from portal.models import AuditEvent
from portal.page_cache import cached_page
from portal.policy import needed_role, require, roles_of
from portal.registry import registry
from portal.roles import PortalRole
from portal.validation import refusal_response, wants_json


@login_required
@cached_page("content", "inventory")
def home(request):
    require(request.user, "portal.read")
    panels_by_element = {code: [] for code, _label in ElementCode.choices}
    for panel in registry.home_panels:
        context = panel.build(request)
        panels_by_element.setdefault(panel.element, []).append(
            {"template": panel.template, "context": context, "key": panel.key}
        )
    elements = [
        {"code": code, "label": label, "panels": panels_by_element.get(code, [])}
        for code, label in ElementCode.choices
    ]
    work = []
    for panel in registry.work_panels:
        context = panel.build(request)
        if context is not None:
            work.append({"template": panel.template, "context": context, "key": panel.key})
    return render(request, "portal/home.html", {"elements": elements, "work": work})


@login_required
def audit_list(request):
    require(request.user, "audit.view")
    events = AuditEvent.objects.with_actor()
    verb = request.GET.get("verb", "").strip()
    actor = request.GET.get("actor", "").strip()
    object_type = request.GET.get("object_type", "").strip()
    if verb:
        events = events.filter(verb__startswith=verb)
    if actor:
        events = events.filter(actor_label=actor)
    if object_type:
        events = events.filter(object_type=object_type)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/audit_list.html",
        {"page": page, "verb": verb, "actor": actor, "object_type": object_type},
    )


def permission_denied(request, exception=None):
    record_denial(request, str(exception or ""))
    message = (
        str(exception) if exception and str(exception) else _("You are not allowed to do this.")
    )
    if wants_json(request):
        return JsonResponse({"detail": message, "code": "permission_denied"}, status=403)
    role = needed_role(getattr(exception, "action", None))
    held = [r.label for r in PortalRole if r.value in roles_of(request.user)]
    return render(
        request,
        "403.html",
        {"message": message, "role": role.label if role else "", "held": held},
        status=403,
    )


def page_not_found(request, exception=None):
    """An address no route matches: under /api/ in the API's error shape too."""
    if wants_json(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request, message: str):
    """A styled 400 (the API's error shape under /api/) that says what was wrong with
    the address or the form."""
    return refusal_response(request, message)


def request_refused(request, exception=None):
    """``handler400``: a request Django refused before any view (too many fields, a
    host not in ALLOWED_HOSTS). Plain words, no page template: for a host the portal
    does not serve, nothing of the site (its static files, its links) can be trusted."""
    message = _("The request could not be used.")
    if wants_json(request):
        return JsonResponse({"detail": message, "code": "invalid"}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready when the database, the cache and the broker answer."""
    from portal.celery import app as celery_app

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("readyz", "1", 5)
        checks["cache"] = "ok" if cache.get("readyz") == "1" else "error: no round trip"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    # Read from settings at request time, so the check follows the configuration
    # (and a test can point it at a closed port).
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager"
    else:
        try:
            with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
                # One quick attempt: a probe that waits out retries is a probe that times out.
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc.__class__.__name__}"
    ok = all(v in ("ok", "eager") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
