"""The person's own API tokens page: create (shown once), list, revoke."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.api_tokens import services
from portal.api_tokens.models import ApiToken, TokenScope
from portal.errors import WorkflowError
from portal.policy import require

LIFETIMES = [(7, 7), (30, 30), (90, 90), (365, 365)]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    scope = forms.ChoiceField(
        label=gettext_lazy("Access"), choices=TokenScope.choices, initial=TokenScope.READ
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires in (days)"), choices=LIFETIMES, coerce=int
    )


def _page(request, form, secret=None, status=200):
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render(
        request,
        "portal/api_tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "secret": secret,
            "now": timezone.now(),
            "site_url": request.build_absolute_uri("/").rstrip("/"),
        },
        status=status,
    )


@login_required
def api_token_list(request):
    require(request.user, "api_token.create")
    if request.method != "POST":
        return _page(request, ApiTokenForm(initial={"days": settings.API_TOKEN_DEFAULT_DAYS}))
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        _token, secret = services.api_token_create(
            actor=request.user,
            name=data["name"],
            scope=data["scope"],
            expires_at=timezone.now() + timedelta(days=data["days"]),
        )
    except (ValidationError, WorkflowError) as exc:
        form.add_error("name", " ".join(getattr(exc, "messages", [str(exc)])))
        return _page(request, form, status=400)
    # Shown on this answer only: the portal keeps its hash, not the token.
    return _page(request, ApiTokenForm(initial={"days": data["days"]}), secret=secret)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api-tokens:list")
