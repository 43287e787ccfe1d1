"""One search box over every kind of record: the index follows the records, the
page and the API answer, bad input is refused."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import SearchEntry
from portal.search import search_reindex_all
from portal.search.query import _search_folded, parse_terms, search
from tests.portal.publishing import publish, revise, tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db(transaction=False)


GPU_BODY = "Request GPUs through the queue. Idle notebooks are stopped after two hours."
RU_BODY = "Датасеты версионируются в DVC. Каждый Датасет получает тег релиза."


@pytest.fixture
def fallback_db():
    # PostgreSQL searches its generated vectors and leaves the folded columns empty;
    # the fallback is what every other database runs.
    if connection.vendor == "postgresql":
        pytest.skip("the folded-text fallback runs where PostgreSQL's search does not")


@pytest.fixture
def published(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gpu = publish(
            alice, bob, title="GPU usage", slug="gpu-usage", body=GPU_BODY, elements=["hardware"]
        )
        data = publish(
            alice,
            bob,
            title="Версионирование датасетов",
            slug="dataset-versions",
            body=RU_BODY,
            elements=["data"],
        )
    return {"gpu": gpu, "data": data}


def test_publishing_a_procedure_puts_it_in_the_index(published):
    entry = SearchEntry.objects.get(kind="procedure", object_id=str(published["gpu"].pk))
    assert entry.title == "GPU usage"
    assert "Idle notebooks" in entry.body
    assert entry.element_codes == ["hardware"]
    assert entry.url.startswith("/procedures/gpu-usage")


def test_the_fallback_finds_cyrillic_words_whatever_their_case(fallback_db, published):
    # SQLite's LIKE folds ASCII only; the folded column makes "ДАТАСЕТ" meet "Датасеты".
    for query in ["ДАТАСЕТ", "датасет", "Тег РЕЛИЗА"]:
        hits = _search_folded(query, "", "", 1, 20).hits
        assert [h.object_id for h in hits] == [str(published["data"].pk)], query


def test_the_fallback_highlights_and_escapes(
    fallback_db, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(
            alice,
            bob,
            title="Escaping",
            slug="escaping",
            body="Never paste `<script>alert(1)</script>` into the Ёлка wiki.",
        )
    hit = _search_folded("елка", "", "", 1, 20).hits[0]
    assert "<mark>Ёлка</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "‹script›alert(1)‹/script›" in hit.snippet


def test_terms_follow_websearch_syntax():
    terms = parse_terms('gpu "idle notebooks" -quota or Ёлка')
    assert terms.include == ["gpu", "idle notebooks", "елка"]
    assert terms.exclude == ["quota"]


def test_excluded_words_leave_results_out(fallback_db, published):
    assert _search_folded("gpu -notebooks", "", "", 1, 20).hits == []
    assert len(_search_folded("gpu -dvc", "", "", 1, 20).hits) == 1


def test_past_versions_are_found_beside_the_current_one(
    alice, bob, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revise(alice, bob, published["gpu"], body="Request accelerators via the scheduler.")
    current = search("scheduler")
    assert [(h.kind, h.object_id) for h in current.hits] == [
        ("procedure", str(published["gpu"].pk))
    ]
    past = search("notebooks")
    assert [(h.kind, h.status) for h in past.hits] == [("procedure_version", "superseded")]
    assert "v1.0" in past.hits[0].title


def test_filters_by_kind_and_element(published):
    assert search("GPU", element="hardware").total == 1
    assert search("GPU", element="data").total == 0
    assert search("GPU", kind="procedure_version").total == 0
    assert search("GPU", kind="procedure").kind_counts == {"procedure": 1}


def test_withdrawing_the_tag_updates_the_index(
    alice, published, django_capture_on_commit_callbacks
):
    from procedures.services import procedure_update

    with django_capture_on_commit_callbacks(execute=True):
        procedure_update(actor=alice, procedure=published["gpu"], elements=["networks"])
    assert search("GPU", element="networks").total == 1
    assert search("GPU", element="hardware").total == 0


def test_reindex_rebuilds_a_lost_index(published):
    SearchEntry.objects.all().delete()
    call_command("search_reindex")
    assert search("датасет").total == 1
    assert SearchEntry.objects.filter(kind="procedure").count() == 2


def test_reindex_refuses_an_unknown_kind():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown kind"):
        call_command("search_reindex", "nonsense")


def test_the_page_answers_the_header_search_box(client_for, carol, published):
    response = client_for(carol).get("/search/", {"q": "gpu"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="/procedures/gpu-usage' in body
    assert "<mark>" in body
    assert 'hx-trigger="keyup changed delay:300ms' in body


def test_typing_returns_only_the_results_block(client_for, carol, published):
    response = client_for(carol).get(
        "/search/", {"q": "датасет"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "dataset-versions" in body


def test_the_page_refuses_bad_input(client_for, carol):
    client = client_for(carol)
    assert client.get("/search/", {"q": "x", "kind": "nonsense"}).status_code == 400
    assert client.get("/search/", {"q": "x" * 500}).status_code == 400
    assert client.get("/search/", {"q": "a\x00b"}).status_code == 400


def test_the_page_needs_a_sign_in(client):
    assert client.get("/search/", {"q": "gpu"}).status_code == 302


def test_the_api_searches(api_for, carol, published):
    response = api_for(carol).get("/api/v1/search/", {"q": "ДАТАСЕТЫ", "element": "data"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    hit = body["results"][0]
    assert hit["kind"] == "procedure" and hit["kind_label"] == "Procedures"
    assert hit["elements"] == ["data"]


def test_the_api_refuses_bad_input(api_for, carol):
    api = api_for(carol)
    assert api.get("/api/v1/search/", {"q": "x", "kind": "nonsense"}).status_code == 400
    assert api.get("/api/v1/search/", {"q": ""}).status_code == 400
    assert api.get("/api/v1/search/", {"q": "x", "page_size": 1000}).status_code == 400
    assert api_for(None).get("/api/v1/search/", {"q": "x"}).status_code == 403


def _queries_for_search(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/search/", {"q": "procedure"}).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_the_same_queries_for_more_results(client_for, carol, alice, bob):
    client = client_for(carol)
    for i in range(3):
        publish(alice, bob, title=f"Procedure {i}", slug=f"p-{i}", body="A procedure body.")
    search_reindex_all()
    few = _queries_for_search(client)
    for i in range(3, 15):
        publish(alice, bob, title=f"Procedure {i}", slug=f"p-{i}", body="A procedure body.")
    search_reindex_all()
    assert _queries_for_search(client) == few


def test_a_filter_that_excludes_everything_says_nothing_was_found(client_for, carol, published):
    body = client_for(carol).get("/search/", {"q": "gpu", "kind": "procedure_version"}).content
    assert "Nothing found" in body.decode()


def test_a_refresh_writes_only_the_entries_that_changed(published):
    from portal.search import search_refresh
    from procedures.models import Procedure

    ids = list(Procedure.objects.values_list("pk", flat=True))
    before = dict(
        SearchEntry.objects.filter(kind="procedure").values_list("object_id", "indexed_at")
    )
    with CaptureQueriesContext(connection) as ctx:
        assert search_refresh("procedure", ids) == 0
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert writes == []  # nothing changed: nothing written
    Procedure.objects.filter(pk=published["gpu"].pk).update(title="GPU usage and quotas")
    search_refresh("procedure", ids)
    after = dict(
        SearchEntry.objects.filter(kind="procedure").values_list("object_id", "indexed_at")
    )
    gpu, data = str(published["gpu"].pk), str(published["data"].pk)
    assert after[data] == before[data] and after[gpu] > before[gpu]
    assert search("quotas").hits[0].object_id == gpu
    # An object the provider no longer yields leaves the index.
    Procedure.objects.filter(pk=published["data"].pk).delete()
    search_refresh("procedure", ids)
    assert set(
        SearchEntry.objects.filter(kind="procedure").values_list("object_id", flat=True)
    ) == {gpu}
