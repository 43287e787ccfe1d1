"""Two people editing one draft: the second save is a conflict, not a silent
overwrite, and the conflict page keeps what they typed."""

import pytest

from portal.errors import ConflictError
from procedures import services
from procedures.models import ProcedureVersion

pytestmark = pytest.mark.django_db


def _edit(actor, version, revision, body):
    return services.version_update(
        actor=actor,
        version=version,
        revision=revision,
        title=version.title,
        body=body,
        change_summary="",
        change_kind=version.change_kind,
    )


def test_second_save_from_the_same_revision_conflicts(draft, alice, dave):
    start = draft.revision
    _edit(alice, draft, start, "Alice's text\n")
    with pytest.raises(ConflictError):
        _edit(dave, draft, start, "Dave's text\n")
    stored = ProcedureVersion.objects.get(pk=draft.pk)
    assert stored.body == "Alice's text\n"
    assert stored.revision == start + 1


def test_saving_from_the_latest_revision_works(draft, alice):
    v = _edit(alice, draft, draft.revision, "one\n")
    v = _edit(alice, v, v.revision, "two\n")
    assert v.body == "two\n" and v.revision == draft.revision + 2


def test_conflict_page_shows_their_text_and_keeps_the_saved_one(client_for, draft, alice, dave):
    url = f"/procedures/{draft.procedure.slug}/v{draft.number}/edit/"
    form = {
        "title": draft.title,
        "change_kind": draft.change_kind,
        "change_summary": "",
        "revision": draft.revision,
    }
    first = client_for(alice).post(url, {**form, "body": "Alice wrote this.\n"})
    assert first.status_code == 302
    second = client_for(dave).post(url, {**form, "body": "Dave's careful wording.\n"})
    assert second.status_code == 409
    html = second.content.decode()
    assert "Dave&#x27;s careful wording." in html or "Dave's careful wording." in html
    assert 'id="conflict"' in html
    # The form now carries the latest revision so a re-applied save goes through.
    assert f'value="{draft.revision + 1}"' in html
    assert ProcedureVersion.objects.get(pk=draft.pk).body == "Alice wrote this.\n"


def test_api_edit_with_a_stale_revision_is_409(api_for, draft, alice, dave):
    url = f"/api/v1/procedure-versions/{draft.pk}/"
    ok = api_for(alice).patch(url, {"revision": draft.revision, "body": "new\n"}, format="json")
    assert ok.status_code == 200, ok.json()
    stale = api_for(dave).patch(url, {"revision": draft.revision, "body": "other\n"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert ProcedureVersion.objects.get(pk=draft.pk).body == "new\n"
