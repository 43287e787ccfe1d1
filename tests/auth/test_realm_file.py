"""deploy/keycloak/realm-mlops.json: what docker compose imports into Keycloak 26 and
what the test stand-in reads. It must have the shape of a real Keycloak export and
carry everything the portal relies on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from portal.roles import ROLE_NAMES
from tests.conftest import PERSONAS
from tests.stand_ins.keycloak import KeycloakStandIn

ROOT = Path(__file__).resolve().parents[2]
REALM = json.loads((ROOT / "deploy/keycloak/realm-mlops.json").read_text(encoding="utf-8"))
EXPORT = json.loads(
    (ROOT / "tests/fixtures/keycloak/jhipster-realm.json").read_text(encoding="utf-8")
)
CLIENT = next(c for c in REALM["clients"] if c["clientId"] == "portal")


def keys_of(items) -> set[str]:
    return set().union(*(set(item) for item in items))


@pytest.mark.parametrize(
    ("ours", "real"),
    [
        ([REALM], [EXPORT]),
        (REALM["clients"], EXPORT["clients"]),
        (REALM["users"], EXPORT["users"]),
        (REALM["groups"], EXPORT["groups"]),
        (REALM["roles"]["realm"], EXPORT["roles"]["realm"]),
        ([REALM["defaultRole"]], [EXPORT["defaultRole"]]),
        (
            CLIENT["protocolMappers"],
            [m for c in EXPORT["clientScopes"] for m in c.get("protocolMappers", [])],
        ),
    ],
    ids=["realm", "clients", "users", "groups", "roles", "defaultRole", "protocolMappers"],
)
def test_it_uses_only_fields_a_real_keycloak_export_has(ours, real):
    assert keys_of(ours) <= keys_of(real)


def test_the_portal_client_is_confidential_with_pkce_and_its_urls():
    assert REALM["realm"] == "mlops"
    assert CLIENT["publicClient"] is False and CLIENT["secret"]
    assert CLIENT["standardFlowEnabled"] is True and CLIENT["implicitFlowEnabled"] is False
    assert CLIENT["attributes"]["pkce.code.challenge.method"] == "S256"
    assert set(CLIENT["redirectUris"]) == {"http://127.0.0.1:8000/*", "http://localhost:8000/*"}
    backchannel = CLIENT["attributes"]["backchannel.logout.url"]
    assert backchannel.endswith(reverse("oidc-backchannel-logout"))
    assert CLIENT["attributes"]["backchannel.logout.session.required"] == "true"
    assert CLIENT["attributes"]["post.logout.redirect.uris"]


def test_it_has_the_portal_roles_as_realm_and_client_roles():
    realm_roles = {r["name"] for r in REALM["roles"]["realm"]}
    client_roles = {r["name"] for r in REALM["roles"]["client"]["portal"]}
    assert set(ROLE_NAMES) <= realm_roles
    assert client_roles == set(ROLE_NAMES)


def test_its_groups_grant_roles():
    groups = {g["path"]: g["realmRoles"] for g in REALM["groups"]}
    assert {"/ml-engineers", "/mlops", "/data-science", "/leads"} <= set(groups)
    assert all(set(roles) <= set(ROLE_NAMES) and roles for roles in groups.values())


def test_its_mappers_put_roles_groups_and_audience_in_the_tokens():
    mappers = {m["protocolMapper"]: m["config"] for m in CLIENT["protocolMappers"]}
    assert mappers["oidc-usermodel-realm-role-mapper"]["claim.name"] == "realm_access.roles"
    assert mappers["oidc-usermodel-client-role-mapper"]["claim.name"] == (
        "resource_access.${client_id}.roles"
    )
    assert mappers["oidc-group-membership-mapper"]["claim.name"] == "groups"
    assert mappers["oidc-group-membership-mapper"]["full.path"] == "false"
    assert mappers["oidc-audience-mapper"]["included.client.audience"] == "portal"
    assert mappers["oidc-audience-mapper"]["access.token.claim"] == "true"


def test_the_demo_people_have_the_personas_roles_and_passwords():
    stand_in = KeycloakStandIn()
    for name, roles in PERSONAS.items():
        user = stand_in.users[name]
        assert user["credentials"][0]["value"] == f"demo-{name}"
        assert user["credentials"][0]["temporary"] is False
        granted = set(stand_in._realm_roles_of(user)) | set(
            stand_in._client_roles_of(user).get("portal", [])
        )
        assert granted & set(ROLE_NAMES) >= set(roles), name
        assert granted & set(ROLE_NAMES) <= set(roles) | {"portal-editor"}, name


def test_compose_imports_this_file_into_keycloak_26():
    compose_file = ROOT / "docker-compose.yml"
    if not compose_file.exists():
        pytest.skip("no docker-compose.yml in this tree")
    keycloak = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]["keycloak"]
    # The tests and `make keycloak` run the version compose runs.
    script = (ROOT / "scripts" / "keycloak.sh").read_text(encoding="utf-8")
    [pinned] = re.findall(r"^KEYCLOAK_VERSION=([0-9.]+)", script, re.M)
    assert keycloak["image"] == f"quay.io/keycloak/keycloak:{pinned}"
    assert "start-dev --import-realm" in script
    assert "deploy/keycloak/realm-mlops.json" in script
    assert "--import-realm" in keycloak["command"]
    assert any(
        v.startswith("./deploy/keycloak/realm-mlops.json:/opt/keycloak/data/import/")
        for v in keycloak["volumes"]
    )
