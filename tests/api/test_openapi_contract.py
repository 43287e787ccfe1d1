"""The OpenAPI document is a contract for the API's users: each operation says what
it does in their words and declares every status code it can answer, with the one
error shape."""

from __future__ import annotations

import pytest

INTERNAL = ("write_action", "PortalReadWrite", "policy action", "viewset", "``self")
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def operations(client_for, carol):
    schema = client_for(carol).get("/api/schema/?format=json").json()
    return schema, [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


@pytest.mark.django_db
def test_every_operation_has_a_summary_and_a_description_for_users(operations):
    _schema, ops = operations
    assert len(ops) > 70
    for method, path, operation in ops:
        assert operation.get("summary"), (method, path)
        description = operation.get("description", "")
        assert len(description) > 15, (method, path)
        assert not any(word in description for word in INTERNAL), (method, path, description)


@pytest.mark.django_db
def test_every_operation_declares_its_errors_in_the_one_shape(operations):
    schema, ops = operations
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail", "code"}
    for method, path, operation in ops:
        responses = operation["responses"]
        expected = {"400", "401", "403", "404", "429"}
        if method != "GET":
            expected |= {"409"}
        if method in {"POST", "PUT", "PATCH"}:
            expected |= {"413"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected:
            schema_of = responses[code]["content"]["application/json"]["schema"]
            assert schema_of == ERROR or ERROR in schema_of.get("oneOf", []), (method, path, code)


@pytest.mark.django_db
def test_the_empty_import_answers_the_error_its_schema_declares(api_for, alice):
    response = api_for(alice).post("/api/v1/adrs/import/", {}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "code", "errors"}


@pytest.mark.django_db
def test_links_lead_from_creations_to_the_review_decisions(operations):
    schema, _ops = operations
    submit = schema["paths"]["/api/v1/procedure-versions/{id}/submit/"]["post"]
    approve = submit["responses"]["200"]["links"]["Approve"]
    assert approve["operationId"] == "v1_procedure_versions_approve_create"
    assert approve["requestBody"] == {"content_sha256": "$response.body#/content_sha256"}
    create = schema["paths"]["/api/v1/procedures/"]["post"]["responses"]["201"]["links"]
    assert create["SubmitFirstDraft"]["parameters"] == {"id": "$response.body#/open_version_id"}
