import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import settings as portal_settings
from portal.audit import audit_record
from portal.models import AuditEvent, Element


def test_envbool_refuses_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    with pytest.raises(ImproperlyConfigured):
        portal_settings.envbool("X_FLAG", "false")
    monkeypatch.setenv("X_FLAG", "TRUE")
    assert portal_settings.envbool("X_FLAG", "false") is True


def test_envsecret_reads_file(tmp_path, monkeypatch):
    secret = tmp_path / "s"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    monkeypatch.setenv("X_SECRET", "from-env")
    assert portal_settings.envsecret("X_SECRET") == "from-file"


def test_envsecret_unreadable_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE"):
        portal_settings.envsecret("X_SECRET")


@pytest.mark.django_db
def test_seven_elements_exist():
    assert list(Element.objects.values_list("code", flat=True)) == [
        "hardware",
        "software",
        "data",
        "networks",
        "people",
        "procedures",
        "knowledge",
    ]


@pytest.mark.django_db
def test_audit_events_are_append_only(alice):
    event = audit_record(actor=alice, verb="test.thing", obj=alice, after={"a": 1})
    assert event.actor_label == "alice" and event.object_type == "auth.user"
    event.verb = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.thing"


@pytest.mark.django_db
def test_request_id_reaches_the_audit_row(client, dave, carol):
    client.force_login(dave)
    response = client.get("/audit/", HTTP_X_REQUEST_ID="req-123")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-123"
    client.force_login(carol)
    assert client.get("/audit/", HTTP_X_REQUEST_ID="req-456").status_code == 403
    assert AuditEvent.objects.get(verb="permission.denied", actor=carol).request_id == "req-456"


@pytest.mark.django_db
def test_audit_page_is_for_admins_only_and_denial_is_audited(client, carol):
    client.force_login(carol)
    assert client.get("/audit/").status_code == 403
    assert AuditEvent.objects.filter(verb="permission.denied", actor=carol).exists()


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    body = client.get("/readyz").json()
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_russian_ui_from_the_browser_language(client, carol):
    client.force_login(carol)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Карта платформы" in html
    assert 'lang="ru"' in html
