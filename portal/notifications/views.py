from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.notifications import services
from portal.notifications.forms import PreferencesForm, WebhookForm
from portal.notifications.models import Notification, NotificationPreference, Webhook
from portal.policy import require
from portal.registry import registry


@login_required
def notification_list(request):
    require(request.user, "notification.read")
    notifications = Notification.objects.for_user(request.user)
    if request.GET.get("unread") == "1":
        notifications = notifications.unread()
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request):
    """Mark one (``id``) or all notifications read; following a notification's link
    goes through here so that reading it clears it."""
    raw = request.POST.get("id", "")
    ids = None
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            return render(request, "portal/notifications.html", {"page": None}, status=400)
        ids = [int(raw)]
    services.notifications_mark_read(user=request.user, ids=ids)
    if ids:
        target = Notification.objects.for_user(request.user).filter(pk=ids[0]).first()
        # "/\host" passes a startswith("/") test and browsers follow it off-site.
        if target and url_has_allowed_host_and_scheme(target.url, allowed_hosts=None):
            return redirect(target.url)
    return redirect("notifications:list")


@login_required
def notification_preferences(request):
    require(request.user, "notification.read")
    off = set(
        NotificationPreference.objects.filter(user=request.user, email=False).values_list(
            "kind", flat=True
        )
    )
    current = [kind for kind in registry.notification_kinds if kind not in off]
    form = PreferencesForm(request.POST or None, initial={"email_kinds": current})
    if request.method == "POST":
        if form.is_valid():
            services.notification_preferences_set(
                user=request.user, email_kinds=form.cleaned_data["email_kinds"]
            )
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notifications:preferences")
        return render(request, "portal/notifications_preferences.html", {"form": form}, status=400)
    return render(request, "portal/notifications_preferences.html", {"form": form})


@login_required
def webhook_list(request):
    require(request.user, "webhook.manage")
    form = WebhookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                _hook, secret = services.webhook_create(
                    actor=request.user,
                    name=data["name"],
                    url=data["url"],
                    kinds=data["kinds"],
                    secret=data["secret"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if not data["secret"]:
                    # Shown this once: it is never rendered again.
                    messages.success(
                        request,
                        _("Webhook created. Its secret, shown only now: %(secret)s")
                        % {"secret": secret},
                    )
                else:
                    messages.success(request, _("Webhook created."))
                return redirect("notifications:webhooks")
        status = 400
    hooks = Webhook.objects.all()
    labels = registry.notification_kinds
    rows = [(hook, [labels.get(k, k) for k in hook.kinds]) for hook in hooks]
    return render(
        request, "portal/notifications_webhooks.html", {"form": form, "rows": rows}, status=status
    )


@login_required
def webhook_edit(request, pk: int):
    require(request.user, "webhook.manage")
    hook = get_object_or_404(Webhook, pk=pk)
    initial = {"name": hook.name, "url": hook.url, "kinds": hook.kinds, "active": hook.active}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("delete") == "1":
            services.webhook_delete(actor=request.user, webhook=hook)
            messages.success(request, _("Webhook deleted."))
            return redirect("notifications:webhooks")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.webhook_update(
                    actor=request.user,
                    webhook=hook,
                    name=data["name"],
                    url=data["url"],
                    kinds=data["kinds"],
                    active=data["active"],
                    secret=data["secret"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("notifications:webhooks")
        return render(
            request,
            "portal/notifications_webhook_edit.html",
            {"form": form, "hook": hook},
            status=400,
        )
    deliveries = hook.deliveries.all()[:20]
    return render(
        request,
        "portal/notifications_webhook_edit.html",
        {"form": form, "hook": hook, "deliveries": deliveries},
    )
