from django.urls import path

from knowledge.views import adr, onboarding, raci

app_name = "knowledge"

urlpatterns = [
    path("", adr.index, name="index"),
    path("adr/", adr.adr_list, name="adr-list"),
    path("adr/new/", adr.adr_create, name="adr-create"),
    path("adr/preview/", adr.adr_preview, name="adr-preview"),
    path("adr/graph/", adr.adr_graph, name="adr-graph"),
    path("adr/lookup/", adr.adr_lookup, name="adr-lookup"),
    path("adr/import/", adr.adr_import, name="adr-import"),
    path("adr/<int:number>/", adr.adr_detail, name="adr-detail"),
    path("adr/<int:number>/edit/", adr.adr_edit, name="adr-edit"),
    path("adr/<int:number>/diff/", adr.adr_diff, name="adr-diff"),
    path("adr/<int:number>/supersede/", adr.adr_supersede, name="adr-supersede"),
    path("adr/<int:number>/links/", adr.adr_link_add, name="adr-link-add"),
    path(
        "adr/<int:number>/links/<int:link_id>/remove/", adr.adr_link_remove, name="adr-link-remove"
    ),
    path("adr/<int:number>/components/", adr.adr_component_link, name="adr-component-link"),
    path(
        "adr/<int:number>/components/<int:component_id>/remove/",
        adr.adr_component_unlink,
        name="adr-component-unlink",
    ),
    path("adr/<int:number>/<str:action>/", adr.adr_status, name="adr-status"),
    path("matrix/", raci.matrix, name="matrix"),
    path("matrix.csv", raci.matrix_csv, name="matrix-csv"),
    path("matrix/cell/", raci.matrix_cells, name="matrix-cells"),
    path("matrix/<int:activity_id>/<int:role_id>/", raci.matrix_cell, name="matrix-cell"),
    path("people/<str:username>/", raci.person, name="person"),
    path("onboarding/", onboarding.my_onboarding, name="onboarding-mine"),
    path("onboarding/team/", onboarding.team_onboarding, name="onboarding-team"),
    path("onboarding/enrol/", onboarding.enrol, name="onboarding-enrol"),
    path(
        "onboarding/<int:enrolment_id>/steps/<int:step_id>/complete/",
        onboarding.step_complete,
        name="onboarding-step-complete",
    ),
    path(
        "onboarding/<int:enrolment_id>/steps/<int:step_id>/acknowledge/",
        onboarding.step_acknowledge,
        name="onboarding-step-acknowledge",
    ),
    path("tracks/", onboarding.track_list, name="track-list"),
    path("tracks/<int:track_id>/", onboarding.track_edit, name="track-edit"),
    path(
        "tracks/<int:track_id>/steps/<int:step_id>/delete/",
        onboarding.track_step_delete,
        name="track-step-delete",
    ),
]
