from django.urls import path

from skills import views

app_name = "skills"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("coverage/", views.coverage, name="coverage"),
    path("mine/", views.my_levels, name="mine"),
    path("confirm/<int:person_skill_id>/", views.confirm, name="confirm"),
    path("roles/<slug:role_slug>/track/", views.build_track, name="build-track"),
    path("needs/<int:need_id>/remove/", views.role_need_remove, name="need-remove"),
    path("<slug:slug>/", views.skill_detail, name="detail"),
    path("<slug:slug>/needs/", views.role_need_set, name="need-set"),
]
