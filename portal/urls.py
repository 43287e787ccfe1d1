from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views
from portal.auth import views as auth_views
from portal.metrics import metrics_view
from portal.search import views as search_views

handler400 = "portal.views.request_refused"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"

api_v1 = [
    path("", include("procedures.api.urls")),
    path("", include("knowledge.api.urls")),
    path("", include("skills.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("data.api.urls")),
    path("search/", search_views.SearchAPIView.as_view(), name="api-search"),
    path("", include("portal.notifications.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit-list"),
    path("search/", search_views.search_page, name="search"),
    path("notifications/", include("portal.notifications.urls")),
    path("api-tokens/", include("portal.api_tokens.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("portal.auth.urls")),
    path("procedures/", include("procedures.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("skills/", include("skills.urls")),
    path("inventory/", include("inventory.urls")),
    path("data/", include("data.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # The admin signs in and out through the portal's pages, so Keycloak and the audit apply.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/logout/", auth_views.logout_view),
    path("admin/", admin.site.urls),
]
