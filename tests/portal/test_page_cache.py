"""The page cache (portal.page_cache): a page is rendered once and then served from
the cache, with the layout (navigation, bell, messages, CSRF tokens) per request,
until a service changes something, a sync records a run, or the TTL passes."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal import page_cache
from portal.api_tokens.services import api_token_create
from portal.page_cache import code_fingerprint as real_fingerprint
from tests.portal.publishing import publish, tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings, monkeypatch):
    """On, with keys no other test shares (the cache outlives a test's database)."""
    settings.PAGE_CACHE_SECONDS = 60
    release = uuid.uuid4().hex
    monkeypatch.setattr(page_cache, "code_fingerprint", lambda: release)


def _content(response) -> str:
    html = response.content.decode()
    return html[html.index('<main class="content"') : html.index("</main>")]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, len(ctx.captured_queries)


def test_a_second_request_is_served_from_the_cache_with_the_same_content(
    client_for, alice, bob, carol
):
    publish(alice, bob, title="Dataset rules", body="Version datasets.", slug="dataset-rules")
    page = client_for(carol)
    first, rendered = _queries(page, "/procedures/")
    second, served = _queries(page, "/procedures/")
    assert first.status_code == second.status_code == 200
    assert CSRF.sub("", _content(first)) == CSRF.sub("", _content(second))
    assert "Dataset rules" in _content(second)
    # the layout still renders per request (session, user, roles, bell), the list does not
    assert served <= 4 < rendered


def test_a_service_change_shows_on_the_next_request(
    client_for, alice, bob, carol, django_capture_on_commit_callbacks
):
    page = client_for(carol)
    assert "Model registry rules" not in _content(page.get("/procedures/"))
    with django_capture_on_commit_callbacks(execute=True):
        publish(alice, bob, title="Model registry rules", body="Tag models.", slug="models")
    assert "Model registry rules" in _content(page.get("/procedures/"))


def test_a_change_made_outside_the_services_waits_for_the_ttl(
    client_for, alice, bob, carol, django_capture_on_commit_callbacks
):
    """What no service announces is served until the TTL: the page is really cached."""
    from procedures.models import Procedure

    procedure = publish(alice, bob, title="Dataset rules", body="x", slug="dataset-rules")
    page = client_for(carol)
    assert "Dataset rules" in _content(page.get("/procedures/"))
    Procedure.objects.filter(pk=procedure.pk).update(title="Renamed quietly")
    assert "Renamed quietly" not in _content(page.get("/procedures/"))
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.changed(page_cache.CONTENT)
    assert "Renamed quietly" in _content(page.get("/procedures/"))


def test_each_person_gets_their_own_page(client_for, alice, bob, carol, dave):
    publish(alice, bob, title="Dataset rules", body="x", slug="dataset-rules")
    client_for(carol).get("/procedures/")
    as_dave = client_for(dave).get("/procedures/")
    as_carol = client_for(carol).get("/procedures/")
    assert 'href="/procedures/new/"' in _content(as_dave)
    assert 'href="/procedures/new/"' not in _content(as_carol)
    assert "Carol" in as_carol.content.decode() and "Carol" not in as_dave.content.decode()


def test_a_role_taken_away_is_refused_at_once(client_for, carol):
    page = client_for(carol)
    assert page.get("/procedures/").status_code == 200
    carol.groups.set([])
    assert page.get("/procedures/").status_code == 403


def test_the_language_is_part_of_the_key(client_for, carol):
    page = client_for(carol)
    english = page.get("/procedures/", HTTP_ACCEPT_LANGUAGE="en")
    russian = page.get("/procedures/", HTTP_ACCEPT_LANGUAGE="ru")
    assert 'lang="en"' in english.content.decode()
    assert 'lang="ru"' in russian.content.decode()
    assert "Регламенты" in _content(russian) and "Регламенты" not in _content(english)


def test_forms_in_a_cached_page_carry_a_token_valid_after_signing_in_again(
    alice, bob, carol, django_capture_on_commit_callbacks
):
    """The CSRF secret changes at each sign-in; the cached form must not keep the old."""
    publish(alice, bob, title="Dataset rules", body="x", slug="dataset-rules")
    page = Client(enforce_csrf_checks=True)
    page.force_login(carol)
    first = page.get("/procedures/dataset-rules/")
    assert CSRF.search(_content(first))
    page.logout()
    page.force_login(carol)
    served = page.get("/procedures/dataset-rules/")
    token = CSRF.search(_content(served)).group(1)
    assert token != CSRF.search(_content(first)).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        posted = page.post("/procedures/dataset-rules/acknowledge/", {"csrfmiddlewaretoken": token})
    assert posted.status_code == 302
    after = page.get("/procedures/dataset-rules/")
    assert "You have acknowledged version" in _content(after)


def test_messages_show_on_a_served_page(client_for, alice, bob, carol):
    publish(alice, bob, title="Dataset rules", body="x", slug="dataset-rules")
    page = client_for(carol)
    page.get("/procedures/dataset-rules/")  # kept
    page.post("/procedures/dataset-rules/acknowledge/")
    shown = page.get("/procedures/dataset-rules/")
    assert "Thank you: your acknowledgement is recorded." in shown.content.decode()


def test_errors_and_htmx_partials_are_not_kept(client_for, carol):
    page = client_for(carol)
    assert page.get("/procedures/?status=nonsense").status_code == 400
    _response, second = _queries(page, "/procedures/?status=nonsense")
    assert second > 4
    assert "<html" in page.get("/inventory/nodes/").content.decode()  # kept
    partial = page.get("/inventory/nodes/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()


def test_a_sync_shows_on_the_inventory_pages(client_for, carol, django_capture_on_commit_callbacks):
    from inventory.choices import SyncStatus
    from inventory.models import SyncRun
    from inventory.reconcile import reconcile
    from tests.inventory.builders import cluster_snapshot, grow

    cluster = grow("train-a", nodes=1)
    page = client_for(carol)
    assert "gpu-00001" not in _content(page.get("/inventory/nodes/"))
    _served, queries = _queries(page, "/inventory/nodes/")
    assert queries <= 4  # kept
    with django_capture_on_commit_callbacks(execute=True):
        run = SyncRun(
            cluster=cluster, source_kind="files", status=SyncStatus.SUCCEEDED,
            started_at=timezone.now(),
        )  # fmt: skip
        reconcile(cluster=cluster, snapshot=cluster_snapshot(2, 2), run=run)
    assert "gpu-00001" in _content(page.get("/inventory/nodes/"))


def test_an_unreachable_cache_still_renders_the_page(client_for, carol, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", refuse)
    monkeypatch.setattr(cache, "set", refuse)
    page = client_for(carol)
    assert page.get("/procedures/").status_code == 200
    assert page.get("/procedures/").status_code == 200


def test_api_lists_are_kept_per_token_and_refreshed_by_a_change(
    alice, bob, carol, django_capture_on_commit_callbacks
):
    publish(alice, bob, title="Dataset rules", body="x", slug="dataset-rules")
    _token, secret = _read_token(carol)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    first, rendered = _queries(api, "/api/v1/procedures/")
    second, served = _queries(api, "/api/v1/procedures/")
    assert first.json() == second.json()
    assert served < rendered
    with django_capture_on_commit_callbacks(execute=True):
        publish(alice, bob, title="Model rules", body="y", slug="models")
    titles = {p["title"] for p in api.get("/api/v1/procedures/").json()["results"]}
    assert titles == {"Dataset rules", "Model rules"}
    # the browsable API carries forms and tokens: rendered every time
    api.get("/api/v1/procedures/?format=api")
    browsable, browsable_queries = _queries(api, "/api/v1/procedures/?format=api")
    assert browsable["Content-Type"].startswith("text/html")
    assert browsable_queries > served


def _read_token(user):
    from datetime import timedelta

    return api_token_create(
        actor=user, name="report", scope="read", expires_at=timezone.now() + timedelta(days=30)
    )


def test_the_fingerprint_follows_templates_and_code(tmp_path, settings):
    (tmp_path / "app").mkdir()
    template = tmp_path / "app" / "page.html"
    template.write_text("one")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("ignored")
    settings.BASE_DIR = tmp_path
    fingerprint = real_fingerprint.__wrapped__
    before = fingerprint()
    (tmp_path / ".venv" / "lib.py").write_text("ignored, longer")
    assert fingerprint() == before
    template.write_text("two, longer")
    assert fingerprint() != before


def test_a_role_added_shows_at_once(client_for, carol):
    """Roles are in the key: the same person with other groups gets a fresh render."""
    page = client_for(carol)
    page.get("/procedures/")
    carol.groups.add(Group.objects.get_or_create(name="portal-editor")[0])
    fresh = client_for(type(carol).objects.get(pk=carol.pk)).get("/procedures/")
    assert 'href="/procedures/new/"' in _content(fresh)


def test_the_bell_is_counted_for_every_request(client_for, carol):
    from portal.notifications.models import Notification

    page = client_for(carol)
    page.get("/procedures/")  # kept
    assert 'data-testid="bell-count"' not in page.get("/procedures/").content.decode()
    Notification.objects.create(recipient=carol, kind="test", fallback_text="Read this")
    served, queries = _queries(page, "/procedures/")
    assert queries <= 4
    assert 'data-testid="bell-count">1<' in served.content.decode()


def test_no_page_carries_the_marks_of_a_kept_page(client_for, carol):
    page = client_for(carol)
    for url in ("/procedures/", "/procedures/", "/procedures/no-such/", "/procedures/?status=x"):
        response = page.get(url)
        assert "\x00" not in response.content.decode(), url
        assert "page-part" not in response.content.decode(), url
