"""Sign-in and sign-out pages.

With Keycloak configured: the authorization code flow with PKCE, state and nonce;
RP-initiated logout; back-channel logout; and a break-glass page for a local
superuser. Without it: Django's own login form. Every outcome is audited.
"""

from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from keycloak.exceptions import KeycloakError
from keycloak.pkce_utils import generate_code_challenge, generate_code_verifier

from portal.auth import limits
from portal.auth.client import (
    KeycloakUnavailable,
    authorization_url,
    discovery,
    keycloak_config,
    keycloak_enabled,
    keycloak_refused,
    openid_client,
)
from portal.auth.services import (
    oidc_session_bind,
    oidc_session_forget,
    oidc_sessions_end,
    sign_in_failure_record,
    sign_in_record,
    sign_out_record,
)
from portal.auth.session import PENDING_KEY, SESSION_KEY, session_tokens_store
from portal.auth.tokens import (
    TokenError,
    access_token_verify,
    id_token_verify,
    logout_token_claim_once,
    logout_token_verify,
)
from portal.metrics import count_auth_refusal

log = logging.getLogger(__name__)

KEYCLOAK_BACKEND = "portal.auth.backend.KeycloakBackend"
PENDING_LIMIT = 5  # sign-ins started in other tabs that may still come back
PENDING_MAX_AGE = 600


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _error(request, message: str, *, status: int, retry: bool = True):
    return render(
        request, "portal/auth_error.html", {"message": message, "retry": retry}, status=status
    )


UNAVAILABLE_RETRY_AFTER = 30


def _unavailable(request, next_url: str = ""):
    """Keycloak cannot be asked now: a page that says so, never a 500."""
    response = render(request, "portal/auth_unavailable.html", {"next_url": next_url}, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


# --- local accounts ---------------------------------------------------------------


class LocalLoginView(auth_views.LoginView):
    """Django's login form, audited. Only used while Keycloak is not configured.

    After AUTH_LOCKOUT_FAILURES wrong passwords for one account from one address,
    that account is locked out from that address for AUTH_LOCKOUT_SECONDS: the
    password is not even checked, and the form says for how long.
    """

    template_name = "registration/login.html"
    method = "local"

    def _who(self) -> dict:
        return {
            "username": self.request.POST.get("username", "")[:150],
            "address": limits.client_address(self.request),
        }

    def post(self, request, *args, **kwargs):
        wait = limits.lockout_remaining(**self._who())
        if wait:
            count_auth_refusal(self.method, "locked_out")
            # An unbound form: binding it would check the password.
            form = self.form_class(self.request, initial={"username": self._who()["username"]})
            response = self.render_to_response(
                self.get_context_data(form=form, locked_out=_locked_out_message(wait))
            )
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        limits.lockout_clear(**self._who())
        sign_in_record(user=form.get_user(), method=self.method, request=self.request)
        return response

    def form_invalid(self, form):
        count_auth_refusal(self.method, "invalid_credentials")
        sign_in_failure_record(
            username=self.request.POST.get("username", ""),
            method=self.method,
            reason="; ".join(str(e) for e in form.non_field_errors()) or "invalid form",
            request=self.request,
        )
        if limits.lockout_failure_record(**self._who()):
            form.add_error(None, _locked_out_message(settings.AUTH_LOCKOUT_SECONDS))
        return super().form_invalid(form)


def _locked_out_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class BreakGlassForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_superuser": gettext_lazy("Emergency sign-in is for superusers only."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = auth.authenticate(
                self.request, username=username, password=password, break_glass=True
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(self.error_messages["not_superuser"], code="not_superuser")


class BreakGlassLoginView(LocalLoginView):
    """A local superuser's way in when Keycloak is down or misconfigured."""

    form_class = BreakGlassForm
    method = "break_glass"
    extra_context = {"break_glass": True}
    redirect_authenticated_user = False


def login_view(request):
    if not keycloak_enabled():
        return LocalLoginView.as_view()(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    target = reverse("oidc-login")
    next_url = request.GET.get("next")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


# --- Keycloak: authorization code flow ----------------------------------------------


def _issuer_or_none() -> str | None:
    try:
        return discovery()["issuer"]
    except KeycloakUnavailable:
        return None


def _callback_uri(request) -> str:
    return request.build_absolute_uri(reverse("oidc-callback"))


@never_cache
@require_GET
def oidc_login(request):
    if not keycloak_enabled():
        return redirect("login")
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = generate_code_verifier(96)
    challenge, method = generate_code_challenge(verifier, "S256")
    pending = {
        key: value
        for key, value in request.session.get(PENDING_KEY, {}).items()
        if value.get("at", 0) > time.time() - PENDING_MAX_AGE
    }
    pending[state] = {
        "nonce": nonce,
        "verifier": verifier,
        "next": request.GET.get("next", ""),
        "at": int(time.time()),
    }
    request.session[PENDING_KEY] = dict(list(pending.items())[-PENDING_LIMIT:])
    try:
        url = authorization_url(
            redirect_uri=_callback_uri(request),
            scope="openid profile email",
            state=state,
            nonce=nonce,
            code_challenge=challenge,
            code_challenge_method=method,
        )
    except (KeycloakUnavailable, KeyError) as exc:
        log.error("cannot start a Keycloak sign-in: %s", exc)
        return _unavailable(request, request.GET.get("next", ""))
    return redirect(url)


def _refuse(
    request, reason: str, message: str, *, status: int = 401, username: str = "", retry=True
):
    """A Keycloak sign-in that does not happen: recorded with its reason, and told."""
    sign_in_failure_record(username=username, method="keycloak", reason=reason, request=request)
    return _error(request, message, status=status, retry=retry)


def _callback_attempt(request) -> dict | None:
    """The pending attempt the answer's state names, taken out (a state is used once);
    None when there is none or it is too old."""
    state = request.GET.get("state", "")
    pending = request.session.get(PENDING_KEY, {})
    attempt = pending.pop(state, None) if state else None
    request.session[PENDING_KEY] = pending
    if attempt is None or attempt.get("at", 0) < time.time() - PENDING_MAX_AGE:
        return None
    return attempt


def _callback_refusal(request):
    """The page to show when the answer itself refuses a sign-in, else None."""
    if request.GET.get("iss") and request.GET["iss"] != _issuer_or_none():
        # RFC 9207: an answer from another issuer is a mix-up attack, not a sign-in.
        return _refuse(
            request, "response from another issuer", _("Keycloak's answer could not be accepted.")
        )
    if request.GET.get("error"):
        reason = f"{request.GET['error']}: {request.GET.get('error_description', '')}"
        return _refuse(request, reason, _("Keycloak did not sign you in."))
    return None


def _callback_tokens(request, attempt: dict, config):
    """Exchange the code and verify both tokens: ``(tokens, id claims, access claims)``,
    or the page to show when Keycloak cannot be reached or its answer is not accepted."""
    not_accepted = _("Keycloak's answer could not be accepted.")
    try:
        tokens = openid_client(config).token(
            grant_type="authorization_code",
            code=request.GET.get("code", ""),
            redirect_uri=_callback_uri(request),
            code_verifier=attempt["verifier"],
        )
        id_claims = id_token_verify(tokens["id_token"], nonce=attempt["nonce"], config=config)
        access_claims = access_token_verify(tokens["access_token"], config=config)
    except KeycloakUnavailable as exc:
        log.error("Keycloak unavailable during sign-in: %s", exc)
        return _unavailable(request, attempt.get("next", ""))
    except KeycloakError as exc:
        if not keycloak_refused(exc):
            log.error("Keycloak unavailable during sign-in: %s", exc)
            return _unavailable(request, attempt.get("next", ""))
        return _refuse(request, f"refused: {exc}", not_accepted)
    except (TokenError, KeyError) as exc:
        return _refuse(request, f"{exc.__class__.__name__}: {exc}", not_accepted)
    if access_claims["sub"] != id_claims["sub"]:
        return _refuse(request, "subject mismatch", not_accepted)
    return tokens, id_claims, access_claims


def _callback_sign_in(request, user, tokens: dict, id_claims: dict, access_claims: dict) -> None:
    auth.login(request, user, backend=KEYCLOAK_BACKEND)
    session_tokens_store(request, tokens=tokens, claims=access_claims)
    request.session.save()
    oidc_session_bind(
        session_key=request.session.session_key,
        user=user,
        issuer=id_claims["iss"],
        subject=id_claims["sub"],
        sid=id_claims.get("sid") or access_claims.get("sid", ""),
    )
    sign_in_record(user=user, method="keycloak", request=request, sid=id_claims.get("sid", ""))


@never_cache
@require_GET
def oidc_callback(request):
    if not keycloak_enabled():
        return redirect("login")
    attempt = _callback_attempt(request)
    if attempt is None:
        return _refuse(
            request,
            "unknown or expired state",
            _("This sign-in attempt is unknown or has expired. Please try again."),
            status=400,
        )
    refusal = _callback_refusal(request)
    if refusal is not None:
        return refusal
    config = keycloak_config()
    answer = _callback_tokens(request, attempt, config)
    if not isinstance(answer, tuple):
        return answer
    tokens, id_claims, access_claims = answer
    user = auth.authenticate(
        request,
        oidc_claims=id_claims,
        oidc_role_claims=access_claims,
        oidc_issuer=id_claims["iss"],
        oidc_client_id=config.client_id,
    )
    if user is None:
        return _refuse(
            request,
            "account disabled in the portal",
            _("Your portal account is disabled."),
            status=403,
            username=id_claims.get("preferred_username", ""),
            retry=False,
        )
    _callback_sign_in(request, user, tokens, id_claims, access_claims)
    return redirect(_safe_next(request, attempt.get("next")))


# --- sign-out -------------------------------------------------------------------------


@never_cache
def logout_view(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    data = request.session.get(SESSION_KEY) or {}
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        sign_out_record(user=user, method="keycloak" if data else "local", request=request)
    oidc_session_forget(session_key=request.session.session_key)
    auth.logout(request)
    if not (data and keycloak_enabled()):
        return redirect(settings.LOGOUT_REDIRECT_URL)
    client = openid_client()
    if data.get("refresh_token"):
        # Ends the Keycloak session even if the browser never reaches Keycloak below.
        try:
            client.logout(data["refresh_token"])
        except (KeycloakError, OSError) as exc:
            log.warning("Keycloak did not confirm the server-side logout: %s", exc)
    try:
        end_session = discovery()["end_session_endpoint"]
    except (KeycloakUnavailable, KeyError):
        return redirect("logged-out")
    params = {
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("logged-out")),
        "client_id": keycloak_config().client_id,
    }
    if data.get("id_token"):
        params["id_token_hint"] = data["id_token"]
    # A page rather than a 302: the sign-out form's Content-Security-Policy
    # (form-action) would stop a redirect to another origin in the browser.
    return render(
        request,
        "portal/auth_logout.html",
        {"end_session_url": f"{end_session}?{urlencode(params)}"},
    )


@never_cache
def logged_out(request):
    return render(request, "portal/auth_logged_out.html")


@csrf_exempt
@never_cache
@require_POST
def backchannel_logout(request):
    """OpenID Connect Back-Channel Logout: Keycloak tells the portal a session ended."""
    if not keycloak_enabled():
        return JsonResponse(
            {"error": "invalid_request", "error_description": "disabled"}, status=404
        )
    address = limits.client_address(request)
    if limits.rate_exceeded(
        name="backchannel", address=address, limit=settings.BACKCHANNEL_RATE_PER_MINUTE, window=60
    ):
        count_auth_refusal("backchannel", "rate_limited")
        response = JsonResponse({"error": "slow_down"}, status=429)
        response["Retry-After"] = "60"
        return response
    token = request.POST.get("logout_token", "")
    try:
        claims = logout_token_verify(token)
        logout_token_claim_once(claims)
    except TokenError as exc:
        count_auth_refusal("backchannel", exc.code)
        if limits.first_in_interval(
            name=f"backchannel-refused:{exc.code}",
            address=address,
            interval=settings.AUTH_REFUSAL_AUDIT_INTERVAL,
        ):
            sign_in_failure_record(
                username="",
                method="backchannel",
                reason=f"{exc.code}: {exc.detail}",
                request=request,
            )
        return JsonResponse(
            {"error": "invalid_request", "error_description": exc.message, "code": exc.code},
            status=400,
        )
    except KeycloakUnavailable:
        return JsonResponse({"error": "temporarily_unavailable"}, status=503)
    ended = oidc_sessions_end(
        issuer=claims["iss"], sid=claims.get("sid") or None, subject=claims.get("sub") or None
    )
    return JsonResponse({"ended": ended})
