"""The responsibility matrix: exactly one Accountable per activity (the database and
the service), findings, in-place editing, CSV, a person's responsibilities."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from knowledge.choices import RaciLetter
from knowledge.models import Assignment
from knowledge.selectors.raci import raci_matrix
from knowledge.services import assignment_set
from portal.errors import ConflictError


def test_the_database_refuses_a_second_accountable(role_factory, activity_factory):
    activity = activity_factory("Deploy models")
    lead, mlops = role_factory("Team lead"), role_factory("MLOps engineer")
    Assignment.objects.create(activity=activity, role=lead, letter="A")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(activity=activity, role=mlops, letter="A")
    # Other letters may repeat.
    Assignment.objects.create(activity=activity, role=mlops, letter="R")


def test_the_service_says_who_already_is_accountable(alice, role_factory, activity_factory):
    activity = activity_factory("Deploy models")
    lead, mlops = role_factory("Team lead"), role_factory("MLOps engineer")
    assignment_set(actor=alice, activity=activity, role=lead, letter="A")
    with pytest.raises(ConflictError) as caught:
        assignment_set(actor=alice, activity=activity, role=mlops, letter="A")
    assert "Team lead" in str(caught.value) and "Deploy models" in str(caught.value)
    assert caught.value.code == "one_accountable"
    assert not Assignment.objects.filter(role=mlops).exists()


def test_moving_the_a_takes_two_steps_and_clearing_works(alice, role_factory, activity_factory):
    activity = activity_factory()
    a, b = role_factory(), role_factory()
    assignment_set(actor=alice, activity=activity, role=a, letter="A")
    assignment_set(actor=alice, activity=activity, role=a, letter="")
    assignment_set(actor=alice, activity=activity, role=b, letter="a")
    assert Assignment.objects.get(activity=activity).role == b


def test_a_viewer_cannot_edit_the_matrix(carol, role_factory, activity_factory):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        assignment_set(actor=carol, activity=activity_factory(), role=role_factory(), letter="R")


def _codes(matrix):
    return sorted((f.code, (f.activity or f.role).display_name) for f in matrix.findings)


def test_findings_flag_missing_a_and_r_empty_roles_and_overloaded_accountables(
    alice, role_factory, activity_factory, carol
):
    staffed = role_factory("Data scientist", group="/ml/data-scientists")
    Group.objects.create(name="/ml/data-scientists").user_set.add(carol)
    busy = role_factory("Team lead", group="/ml/leads")
    activities = [activity_factory(f"Activity {i}") for i in range(6)]
    for activity in activities:
        assignment_set(actor=alice, activity=activity, role=busy, letter="A")
        assignment_set(actor=alice, activity=activity, role=staffed, letter="R")
    orphan = activity_factory("Review procedures")
    assignment_set(actor=alice, activity=orphan, role=staffed, letter="C")

    assert _codes(raci_matrix()) == [
        ("accountable_overload", "Team lead"),
        ("no_accountable", "Review procedures"),
        ("no_responsible", "Review procedures"),
        ("role_without_people", "Team lead"),
    ]


def test_people_also_come_from_keycloak_groups_recorded_at_sign_in(role_factory, carol, bob):
    from portal.models import OidcIdentity

    role = role_factory("MLOps engineer", group="/platform/mlops")
    assert [f.code for f in raci_matrix().findings] == ["role_without_people"]
    # Sign-in stores group names without their path.
    OidcIdentity.objects.create(
        user=carol, issuer="https://kc/realms/ml", subject="c", groups=["mlops"]
    )
    OidcIdentity.objects.create(
        user=bob, issuer="https://kc/realms/ml", subject="b", groups=["other"]
    )
    matrix = raci_matrix()
    assert matrix.findings == []
    assert matrix.members[role.pk] == [carol]


def test_clicking_a_cell_cycles_the_letter(client_for, alice, role_factory, activity_factory):
    activity, role = activity_factory("Deploy models"), role_factory("ML engineer")
    client = client_for(alice)
    url = f"/knowledge/matrix/{activity.pk}/{role.pk}/"
    seen = []
    for _ in range(5):
        response = client.post(url, {"letter": "next"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        seen.append(
            Assignment.objects.filter(activity=activity).values_list("letter", flat=True).first()
        )
    assert seen == ["R", "A", "C", "I", None]


def test_a_conflicting_click_shows_a_clear_message(
    client_for, alice, role_factory, activity_factory
):
    activity = activity_factory("Deploy models")
    lead, mlops = role_factory("Team lead"), role_factory("MLOps engineer")
    assignment_set(actor=alice, activity=activity, role=lead, letter="A")
    response = client_for(alice).post(
        f"/knowledge/matrix/{activity.pk}/{mlops.pk}/", {"letter": "A"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["X-Portal-Status"] == "409"
    body = response.content.decode()
    assert 'role="alert"' in body and "already Accountable" in body and "Team lead" in body
    assert f'name="cell" value="{activity.pk}-{mlops.pk}-C"' in body  # the next click moves on


def test_the_matrix_page_groups_by_element_and_exports_csv(
    client_for, alice, carol, role_factory, activity_factory
):
    role = role_factory("Data engineer")
    activity = activity_factory("Version datasets", elements=["data"])
    activity_factory("Keep GPU nodes schedulable", elements=["hardware", "software"])
    assignment_set(actor=alice, activity=activity, role=role, letter=RaciLetter.RESPONSIBLE)
    page = client_for(carol).get("/knowledge/matrix/")
    assert page.status_code == 200
    text = page.content.decode()
    text = text[text.index('<table class="table raci">') :]
    assert (
        text.index(">Hardware<")
        < text.index("Keep GPU nodes")
        < text.index(">Data<")
        < text.index("Version datasets")
    )
    assert "hx-post" not in text  # a viewer sees letters, not buttons
    response = client_for(carol).get("/knowledge/matrix.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["IS element", "Activity", "Data engineer"]
    assert ["Data", "Version datasets", "R"] in rows


def test_a_person_page_lists_responsibilities_through_roles(
    client_for, alice, carol, role_factory, activity_factory
):
    role = role_factory("Data scientist", group="data-scientists")
    Group.objects.create(name="data-scientists").user_set.add(carol)
    log = activity_factory("Log experiment metrics")
    assignment_set(actor=alice, activity=log, role=role, letter="R")
    page = client_for(alice).get("/knowledge/people/carol/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Data scientist" in text and "Log experiment metrics" in text and "Responsible" in text


def test_the_matrix_has_one_form_and_a_button_per_cell(
    client_for, alice, role_factory, activity_factory
):
    roles = [role_factory(f"Role {n}") for n in range(3)]
    activities = [activity_factory(f"Activity {n}") for n in range(4)]
    text = client_for(alice).get("/knowledge/matrix/").content.decode()
    assert text.count('action="/knowledge/matrix/cell/"') == 1
    assert f"/knowledge/matrix/{activities[0].pk}/" not in text  # no form per cell
    assert text.count('name="cell"') == len(roles) * len(activities)
    assert f'id="cell-{activities[0].pk}-{roles[0].pk}"' in text


def test_a_click_in_the_matrix_form_answers_its_cell_out_of_band(
    client_for, alice, role_factory, activity_factory
):
    activity, role = activity_factory("Deploy models"), role_factory("ML engineer")
    client = client_for(alice)
    response = client.post(
        "/knowledge/matrix/cell/", {"cell": f"{activity.pk}-{role.pk}"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="cell-{activity.pk}-{role.pk}" hx-swap-oob="true"' in body
    assert ">R</button>" in body
    response = client.post("/knowledge/matrix/cell/", {"cell": f"{activity.pk}-{role.pk}-I"})
    assert response.status_code == 302
    assert Assignment.objects.get(activity=activity, role=role).letter == "I"


@pytest.mark.parametrize("cell", ["", "x-1", "1", "1-2-3-4", "999999-999999"])
def test_a_bad_cell_is_refused_without_a_500(client_for, alice, cell):
    response = client_for(alice).post("/knowledge/matrix/cell/", {"cell": cell})
    assert response.status_code in (400, 404)


def test_a_viewer_gets_no_buttons(client_for, carol, role_factory, activity_factory):
    role_factory("ML engineer")
    activity_factory("Deploy models")
    text = client_for(carol).get("/knowledge/matrix/").content.decode()
    assert 'name="cell"' not in text
    response = client_for(carol).post("/knowledge/matrix/cell/", {"cell": "1-1"})
    assert response.status_code in (403, 404)
