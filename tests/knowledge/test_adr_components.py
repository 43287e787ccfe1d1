"""Decision records linked to the inventory's software components: through the
services (audited, idempotent, editors only), the API, the record's page and a
backup."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Cluster, Component
from knowledge.models import AdrComponent
from knowledge.selectors.adr_components import adrs_of_component, components_of
from knowledge.services import adr_component_link, adr_component_unlink
from portal.models import AuditEvent


def _component(name="MLflow", *, cluster="prod", namespace=None, version="2.16.0", gone=False):
    now = timezone.now()
    cluster_obj, _ = Cluster.objects.get_or_create(name=cluster)
    namespace = namespace or name.lower()
    return Component.objects.create(
        cluster=cluster_obj,
        namespace=namespace,
        kind="Deployment",
        workload_name=name.lower(),
        name=name,
        category="ml",
        version=version,
        first_seen_at=now,
        changed_at=now,
        gone_at=now if gone else None,
    )


def _verbs(adr) -> list[str]:
    return list(
        AuditEvent.objects.filter(verb__startswith="adr.component_")
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def test_an_editor_links_and_unlinks_a_component_once(alice, make_adr):
    adr = make_adr()
    mlflow = _component()
    _subject, created = adr_component_link(actor=alice, adr=adr, component=mlflow)
    assert created
    _subject, created = adr_component_link(actor=alice, adr=adr, component=mlflow)
    assert not created
    assert AdrComponent.objects.filter(adr=adr).count() == 1
    assert [c.name for c in components_of(adr)] == ["MLflow"]
    assert list(adrs_of_component(mlflow)) == [adr]
    event = AuditEvent.objects.get(verb="adr.component_link")
    assert event.after["name"] == "MLflow" and event.after["cluster"] == "prod"

    assert adr_component_unlink(actor=alice, adr=adr, component=mlflow) is True
    assert adr_component_unlink(actor=alice, adr=adr, component=mlflow) is False
    assert not AdrComponent.objects.exists()
    assert _verbs(adr) == ["adr.component_link", "adr.component_unlink"]


def test_a_viewer_may_not_link_and_nothing_changes(carol, alice, make_adr):
    adr = make_adr()
    mlflow = _component()
    with pytest.raises(PermissionDenied):
        adr_component_link(actor=carol, adr=adr, component=mlflow)
    adr_component_link(actor=alice, adr=adr, component=mlflow)
    with pytest.raises(PermissionDenied):
        adr_component_unlink(actor=carol, adr=adr, component=mlflow)
    assert AdrComponent.objects.count() == 1
    assert _verbs(adr) == ["adr.component_link"]


def test_a_gone_component_is_not_linked_anew_but_stays_shown(alice, make_adr):
    adr = make_adr()
    old = _component("Kubeflow")
    adr_component_link(actor=alice, adr=adr, component=old)
    old.gone_at = timezone.now()
    old.save()
    with pytest.raises(ValidationError):
        adr_component_link(actor=alice, adr=adr, component=_component("Seldon", gone=True))
    # Already linked: a retry is still answered, not refused.
    assert adr_component_link(actor=alice, adr=adr, component=old)[1] is False
    assert [(c.name, c.is_gone) for c in components_of(adr)] == [("Kubeflow", True)]


def test_the_api_links_and_unlinks(api_for, alice, make_adr):
    adr = make_adr()
    mlflow = _component()
    api = api_for(alice)
    url = f"/api/v1/adrs/{adr.number}/components/"
    response = api.post(url, {"component": mlflow.pk}, format="json")
    assert response.status_code == 201, response.data
    assert [(c["id"], c["name"]) for c in response.data["components"]] == [(mlflow.pk, "MLflow")]
    assert api.post(url, {"component": mlflow.pk}, format="json").status_code == 200
    detail = api.get(f"/api/v1/adrs/{adr.number}/")
    assert detail.data["components"][0]["cluster"] == "prod"
    response = api.delete(f"{url}{mlflow.pk}/")
    assert response.status_code == 200
    assert response.data["components"] == []
    assert not AdrComponent.objects.exists()


@pytest.mark.parametrize("body", [{"component": 999999}, {"component": "x"}, {}])
def test_the_api_refuses_an_unknown_component(api_for, alice, make_adr, body):
    adr = make_adr()
    response = api_for(alice).post(f"/api/v1/adrs/{adr.number}/components/", body, format="json")
    assert response.status_code == (404 if body.get("component") == 999999 else 400)
    assert api_for(alice).delete(f"/api/v1/adrs/{adr.number}/components/999999/").status_code == 404
    assert not AdrComponent.objects.exists()


def test_the_api_refuses_a_viewer(api_for, carol, make_adr):
    adr = make_adr()
    mlflow = _component()
    api = api_for(carol)
    url = f"/api/v1/adrs/{adr.number}/components/"
    assert api.post(url, {"component": mlflow.pk}, format="json").status_code == 403
    assert api.delete(f"{url}{mlflow.pk}/").status_code == 403
    assert not AdrComponent.objects.exists()


def test_the_page_lists_components_and_offers_the_form_to_editors(
    client_for, alice, carol, make_adr
):
    adr = make_adr()
    mlflow = _component()
    adr_component_link(actor=alice, adr=adr, component=mlflow)
    gone = _component("Kubeflow")
    adr_component_link(actor=alice, adr=adr, component=gone)
    gone.gone_at = timezone.now()
    gone.save()
    _component("Grafana", version="11.1")

    page = client_for(carol).get(adr.get_absolute_url()).content.decode()
    assert 'id="components"' in page
    assert "/inventory/components/?q=MLflow" in page
    assert "2.16.0" in page and 'class="badge bad"' in page
    assert f"adr/{adr.number}/components/" not in page  # neither the link form nor the × buttons

    page = client_for(alice).get(adr.get_absolute_url()).content.decode()
    assert f'action="/knowledge/adr/{adr.number}/components/"' in page
    assert "Grafana 11.1 — prod/grafana" in page
    assert ">Kubeflow 2.16.0 —" not in page  # a gone component is not offered


def test_the_page_form_links_and_unlinks(client_for, alice, carol, make_adr):
    adr = make_adr()
    mlflow = _component()
    url = f"/knowledge/adr/{adr.number}/components/"
    assert client_for(carol).post(url, {"component": mlflow.pk}).status_code == 403
    response = client_for(alice).post(url, {"component": mlflow.pk})
    assert response.status_code == 302
    assert [c.pk for c in components_of(adr)] == [mlflow.pk]
    response = client_for(alice).post(url, {"component": "nonsense"})
    assert response.status_code == 302 and AdrComponent.objects.count() == 1
    assert client_for(carol).post(f"{url}{mlflow.pk}/remove/").status_code == 403
    client_for(alice).post(f"{url}{mlflow.pk}/remove/")
    assert not AdrComponent.objects.exists()


def test_the_page_costs_the_same_queries_with_more_components(client_for, alice, make_adr):
    adr = make_adr()
    client = client_for(alice)

    def grow(start, count):
        for n in range(start, start + count):
            component = _component(f"App{n}", cluster=f"c{n % 3}")
            adr_component_link(actor=alice, adr=adr, component=component)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(adr.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    grow(0, 2)
    queries()  # warm the caches the page's other parts keep
    small = queries()
    grow(100, 25)
    assert queries() == small
    assert client.get(f"/api/v1/adrs/{adr.number}/").data["components"][0]["name"] == "App0"


def test_a_backup_names_components_and_a_restore_skips_the_missing(
    alice, make_adr, tmp_path, caplog
):
    from portal.backup.run import portal_export, portal_import
    from tests.portal.test_backup import _wipe

    adr = make_adr()
    adr_component_link(actor=alice, adr=adr, component=_component())
    portal_export(directory=tmp_path / "a")
    links = json.loads((tmp_path / "a" / "knowledge" / "adr-components.json").read_text())
    assert links == [
        {
            "adr": adr.number,
            "cluster": "prod",
            "namespace": "mlflow",
            "kind": "Deployment",
            "workload_name": "mlflow",
            "name": "MLflow",
            "version": "2.16.0",
        }
    ]
    # Ids are not kept: a component's id means nothing once the inventory is re-read.
    assert "component_id" not in (tmp_path / "a" / "knowledge" / "adr-components.json").read_text()
    _wipe()
    with caplog.at_level(logging.WARNING, logger="knowledge.backup"):
        portal_import(directory=tmp_path / "a")
    assert "MLflow" in caplog.text
    assert not AdrComponent.objects.exists()
    assert components_of(adr.__class__.objects.get(number=adr.number)) == []
