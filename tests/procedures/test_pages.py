"""The procedures pages: what each shows and what each button does."""

from __future__ import annotations

import pytest

from procedures import services
from procedures.models import Acknowledgement, Category, Procedure, ProcedureVersion
from tests.procedures.conftest import approved, make_procedure, submitted

pytestmark = pytest.mark.django_db


def test_create_page_makes_a_draft_and_opens_the_editor(client_for, alice):
    response = client_for(alice).post(
        "/procedures/new/",
        {
            "title": "Experiment tracking",
            "slug": "experiment-tracking",
            "category": Category.objects.get(slug="metric-logging").pk,
            "elements": [],
            "review_interval_days": 180,
            "required_approvals": 2,
            "change_summary": "First",
            "body": "Log every run.\r\n",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/procedures/experiment-tracking/v1.0/edit/"
    version = ProcedureVersion.objects.get()
    assert (version.body, version.author.username, version.procedure.required_approvals) == (
        "Log every run.\n",
        "alice",
        2,
    )


def test_viewers_do_not_get_the_create_page(client_for, carol):
    assert client_for(carol).get("/procedures/new/").status_code == 403


def test_preview_renders_sanitised_markdown(client_for, alice):
    response = client_for(alice).post(
        "/procedures/preview/",
        {"body": "## Hello\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2" in html and "Hello" in html
    assert "<script" not in html and "javascript:" not in html


def test_list_groups_by_category_and_filters(client_for, alice, bob, carol):
    approved(alice, bob, slug="in-force", title="In force one")
    make_procedure(alice, slug="only-draft", title="Only a draft")
    c = client_for(carol)
    html = c.get("/procedures/").content.decode()
    assert "Dataset versioning" in html
    assert "In force one" in html and "Only a draft" in html
    filtered = c.get("/procedures/?status=current").content.decode()
    assert "In force one" in filtered and "Only a draft" not in filtered
    none = c.get("/procedures/?status=none").content.decode()
    assert "Only a draft" in none and "In force one" not in none
    other = c.get("/procedures/?category=metric-logging").content.decode()
    assert "In force one" not in other


def test_procedure_page_shows_text_ack_lists_and_history(client_for, alice, bob, carol):
    version = approved(alice, bob, body="## Rules\n\nTag every dataset.\n")
    services.procedure_acknowledge(actor=carol, procedure=version.procedure)
    html = client_for(bob).get(f"/procedures/{version.procedure.slug}/").content.decode()
    assert "Tag every dataset." in html
    assert "Acknowledged version 1.x" in html
    ack_section = html[html.index('id="acknowledgements"') :]
    acknowledged, pending = ack_section.split("Not yet acknowledged", 1)
    assert "Carol" in acknowledged
    assert "Alice" in pending and "Bob" in pending
    assert "v1.0" in html


def test_acknowledge_button_over_htmx_returns_the_partial(client_for, alice, bob, carol):
    version = approved(alice, bob)
    url = f"/procedures/{version.procedure.slug}/acknowledge/"
    response = client_for(carol).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="acknowledge"' in html and "You have acknowledged version 1.0" in html
    assert "<html" not in html
    assert Acknowledgement.objects.filter(user=carol, major=1).count() == 1


def test_version_page_shows_signatures_with_hash_and_meaning(client_for, alice, bob, carol):
    version = approved(alice, bob)
    html = client_for(carol).get(f"/procedures/{version.procedure.slug}/v1.0/").content.decode()
    assert version.content_sha256 in html
    signatures = html[html.index('id="signatures"') :]
    assert "Bob" in signatures and "Approved" in signatures
    assert version.content_sha256[:17] in signatures


def test_approver_sees_review_form_author_does_not(client_for, alice, bob):
    version = submitted(alice)
    url = f"/procedures/{version.procedure.slug}/v1.0/"
    assert 'id="review"' in client_for(bob).get(url).content.decode()
    author_view = client_for(alice).get(url).content.decode()
    assert 'id="review"' not in author_view
    assert "somebody else must approve it" in author_view


def test_review_form_approves_and_requests_changes(client_for, alice, bob, dave):
    version = submitted(alice, required_approvals=2)
    url = f"/procedures/{version.procedure.slug}/v1.0/review/"
    r = client_for(bob).post(
        url,
        {"decision": "approve", "meaning": "approved", "content_sha256": version.content_sha256},
    )
    assert r.status_code == 302
    r = client_for(dave).post(
        url,
        {
            "decision": "request_changes",
            "comment": "Please add examples.",
            "content_sha256": version.content_sha256,
        },
    )
    assert r.status_code == 302
    version.refresh_from_db()
    assert version.status == "changes_requested"
    # A request without a comment is refused on the page.
    v2 = submitted(alice, slug="other")
    r = client_for(dave).post(
        f"/procedures/{v2.procedure.slug}/v1.0/review/",
        {"decision": "reject", "comment": "", "content_sha256": v2.content_sha256},
    )
    assert r.status_code == 400


def test_submit_button_and_withdraw_procedure(client_for, alice, bob):
    procedure = make_procedure(alice)
    r = client_for(alice).post(f"/procedures/{procedure.slug}/v1.0/submit/", {"revision": 1})
    assert r.status_code == 302
    assert procedure.versions.get().status == "in_review"
    assert client_for(alice).post(f"/procedures/{procedure.slug}/withdraw/").status_code == 403
    r = client_for(bob).post(f"/procedures/{procedure.slug}/withdraw/", {"reason": "merged"})
    assert r.status_code == 302
    assert Procedure.objects.get().is_withdrawn


def test_new_version_page_starts_from_current_text(client_for, alice, bob):
    version = approved(alice, bob, body="Original text.\n")
    url = f"/procedures/{version.procedure.slug}/new-version/"
    assert "Original text." in client_for(alice).get(url).content.decode()
    r = client_for(alice).post(
        url,
        {
            "title": version.title,
            "change_kind": "minor",
            "change_summary": "typo",
            "body": "Original text, fixed.\n",
        },
    )
    assert r.status_code == 302 and r["Location"].endswith("/v1.1/edit/")


def test_diff_pages_side_by_side_and_unified(client_for, alice, bob, carol):
    version = approved(alice, bob, body="line one\nline two\n")
    services.version_create(
        actor=alice, procedure=version.procedure, body="line one\nline 2\n", change_kind="minor"
    )
    url = f"/procedures/{version.procedure.slug}/diff/"
    side = client_for(carol).get(url + "?from=1.0&to=1.1&mode=side").content.decode()
    assert 'class="diff-table diff-side"' in side
    # The changed word alone is highlighted on each side.
    assert "line <del>two</del>" in side and "line <ins>2</ins>" in side
    unified = client_for(carol).get(url + "?from=v1.0&to=v1.1").content.decode()
    assert 'class="diff-table diff-unified"' in unified
    assert '<tr class="del">' in unified and "line <ins>2</ins>" in unified


def test_diff_default_compares_the_newest_with_the_version_in_force(client_for, alice, bob, carol):
    version = approved(alice, bob, body="in force\n")
    services.version_create(
        actor=alice, procedure=version.procedure, body="proposed\n", change_kind="minor"
    )
    html = client_for(carol).get(f"/procedures/{version.procedure.slug}/diff/").content.decode()
    assert "v1.0 → v1.1" in html and "<ins>proposed</ins>" in html


def test_a_malformed_version_number_is_a_styled_page_that_says_how_to_write_it(
    client_for, alice, bob, carol
):
    version = approved(alice, bob)
    services.version_create(actor=alice, procedure=version.procedure, body="Second\n")
    response = client_for(carol).get(f"/procedures/{version.procedure.slug}/diff/?from=one")
    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="en">' in html and "write it as 1.0 or v1.0" in html


def test_the_review_page_shows_the_diff_against_the_version_in_force_first(client_for, alice, bob):
    version = approved(alice, bob, body="Keep one copy.\n")
    draft = services.version_create(
        actor=alice,
        procedure=version.procedure,
        body="Keep two copies.\n",
        change_kind="major",
        change_summary="Two copies from now on",
    )
    services.version_submit(actor=alice, version=draft)
    html = client_for(bob).get(f"/procedures/{version.procedure.slug}/v2.0/").content.decode()
    summary, changes, review = (
        html.index("Two copies from now on"),
        html.index('id="changes"'),
        html.index('id="review"'),
    )
    assert summary < changes
    assert "Changes against the version in force, v1.0" in html
    assert "Keep <del>one</del>" in html and "Keep <ins>two</ins>" in html
    assert "major change" in html
    assert 'name="decision" value="approve"' in html[review:]


def test_review_queue_and_overdue_pages(client_for, alice, bob):
    submitted(alice, title="Needs a look", change_summary="Why it changes")
    html = client_for(bob).get("/procedures/review-queue/").content.decode()
    assert "Needs a look" in html
    assert "Why it changes" in html and "major change" in html  # kind and summary
    assert "Needs a look" not in client_for(alice).get("/procedures/review-queue/").content.decode()
    assert client_for(bob).get("/procedures/overdue/").status_code == 200


def test_home_panel_counts(client_for, alice, bob, carol):
    approved(alice, bob, title="Read me")
    submitted(alice, slug="waiting", title="Waiting")
    html = client_for(carol).get("/").content.decode()
    assert "not acknowledged by me" in html and "Read me" in html
    bob_html = client_for(bob).get("/").content.decode()
    panel = bob_html[bob_html.index("procedures-panel") :]
    assert '">1</a><span class="label">awaiting my review' in panel


def test_russian_ui(client_for, alice, bob, carol):
    version = approved(alice, bob)
    c = client_for(carol)
    c.cookies["django_language"] = "ru"
    slug = version.procedure.slug
    pages = {
        "/procedures/": ["Регламенты", "Версионирование датасетов", "Действующая версия"],
        f"/procedures/{slug}/": ["Ознакомления", "История", "Подтвердить ознакомление"],
        f"/procedures/{slug}/v1.0/": ["Согласования и подписи", "Утверждено"],
        "/procedures/review-queue/": ["Ждут моего согласования"],
        "/procedures/overdue/": ["Просроченные пересмотры"],
    }
    for url, phrases in pages.items():
        html = c.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        for phrase in phrases:
            assert phrase in html, (url, phrase)
    editor = client_for(alice)
    editor.cookies["django_language"] = "ru"
    html = editor.get("/procedures/new/").content.decode()
    assert "Новый регламент" in html and "Предпросмотр" in html


def test_the_editor_names_the_reviewers_and_saves_and_submits_in_one_click(
    client_for, alice, bob, carol
):
    version = approved(alice, bob, body="Old\n")
    draft = services.version_create(actor=alice, procedure=version.procedure, body="New\n")
    url = f"/procedures/{version.procedure.slug}/v{draft.number}/edit/"
    c = client_for(alice)
    html = c.get(url).content.decode()
    assert "Reviewed by Bob: 1 approval needed." in html
    assert f"?from=1.0&amp;to={draft.number}" in html  # compare with the version in force
    response = c.post(
        url,
        {
            "title": draft.title,
            "change_kind": "major",
            "change_summary": "Newer words",
            "body": "Newest\n",
            "revision": draft.revision,
            "then": "submit",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/v{draft.number}/")
    draft.refresh_from_db()
    assert (draft.status, draft.body, draft.change_summary) == (
        "in_review",
        "Newest\n",
        "Newer words",
    )


def test_a_refusal_is_a_styled_page_that_names_the_role_needed(client_for, carol):
    response = client_for(carol).get("/procedures/new/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This needs the role “Editor”." in html and "Your roles: Viewer." in html
    assert 'class="skip-link" href="#content"' in html and 'id="content"' in html


def test_the_list_is_one_table_with_a_bar_of_who_has_acknowledged(client_for, alice, bob, carol):
    version = approved(alice, bob, title="Read me")
    services.procedure_acknowledge(actor=carol, procedure=version.procedure)
    html = client_for(carol).get("/procedures/").content.decode()
    assert html.count('<table class="table procedure-table">') == 1
    # alice, bob and carol read procedures; carol has acknowledged.
    assert '<rect width="33" height="10"' in html and "1/3" in html
