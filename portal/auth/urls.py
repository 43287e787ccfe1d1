"""Sign-in and sign-out. Django's own login until Keycloak is configured; with it,
the login page sends people to Keycloak and /accounts/break-glass/ stays for a local
superuser."""

from django.urls import path

from portal.auth import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("logged-out/", views.logged_out, name="logged-out"),
    path("break-glass/", views.BreakGlassLoginView.as_view(), name="break-glass"),
    path("oidc/login/", views.oidc_login, name="oidc-login"),
    path("oidc/callback/", views.oidc_callback, name="oidc-callback"),
    path("oidc/backchannel-logout", views.backchannel_logout, name="oidc-backchannel-logout"),
]
