from django.urls import path

from portal.api_tokens import views

app_name = "api-tokens"
urlpatterns = [
    path("", views.api_token_list, name="list"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="revoke"),
]
