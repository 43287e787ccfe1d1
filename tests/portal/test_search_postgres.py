"""Full-text search on PostgreSQL: stored vectors with English and Russian stems,
ranking, highlighted snippets computed for the page shown."""

import pytest
from django.db import connection

from portal.search.query import search
from tests.portal.publishing import publish

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def corpus(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        title = publish(
            alice,
            bob,
            title="Checkpoint retention",
            slug="retention",
            body="How long model files are kept.",
        )
        body = publish(
            alice,
            bob,
            title="Storage housekeeping",
            slug="housekeeping",
            body="Old checkpoints are removed after ninety days. Checkpoints of released "
            "models are kept.",
        )
        russian = publish(
            alice,
            bob,
            title="Регламент доступа к кластеру",
            slug="access",
            body="Доступ к GPU-узлам выдаётся по заявке. Заявки рассматривает дежурный "
            "инженер. Нельзя вставлять `<script>` и `x < y & z` в описание заявки.",
        )
    return {"title": title, "body": body, "russian": russian}


def test_the_index_has_a_gin_index_on_a_stored_vector():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'portal_searchentry' "
            "AND indexname = 'portal_searchentry_vector_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "gin (search_vector)" in definition.lower()


def test_a_title_match_ranks_above_a_body_match(corpus):
    hits = search("checkpoint").hits
    assert [h.object_id for h in hits] == [str(corpus["title"].pk), str(corpus["body"].pk)]
    assert hits[0].rank > hits[1].rank


def test_english_words_are_found_by_their_stem(corpus):
    assert [h.object_id for h in search("removing checkpoints").hits] == [str(corpus["body"].pk)]


def test_russian_words_are_found_in_other_forms(corpus):
    # "заявкам" and "регламенты" appear nowhere literally: only their stems match.
    for query in ["заявкам", "регламенты", "Кластера"]:
        assert [h.object_id for h in search(query).hits] == [str(corpus["russian"].pk)], query


def test_websearch_syntax_phrases_and_exclusions(corpus):
    assert search('"released models"').total == 1
    assert search("checkpoint -housekeeping").total == 1
    assert search("retention or заявка").total == 2


def test_results_appear_while_a_word_is_typed(corpus):
    assert search("checkpo").hits[0].object_id == str(corpus["title"].pk)
    assert search("дежурн").total == 1


def test_snippets_highlight_matches_and_escape_the_text(corpus):
    hit = search("заявкам").hits[0]
    assert "<mark>заявке</mark>" in hit.snippet
    hit = search("описание").hits[0]
    assert "<mark>описание</mark>" in hit.snippet
    # Only our own markers are tags; a quoted tag neither hides the words after it
    # (PostgreSQL's parser skips what follows <script>) nor comes out as markup.
    unmarked = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and "‹script› и x ‹ y &amp; z" in unmarked
    assert "<mark>" not in hit.title


def test_the_page_costs_the_same_queries_at_any_page(client_for, carol, alice, bob):
    from django.test.utils import CaptureQueriesContext

    from portal.search import search_reindex_all

    for i in range(25):
        publish(alice, bob, title=f"Runbook {i}", slug=f"runbook-{i}", body="Runbook text.")
    search_reindex_all()
    client = client_for(carol)
    counts = []
    for page in (1, 2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/search/", {"q": "runbook", "page": page})
        assert response.status_code == 200 and b"<mark>Runbook</mark>" in response.content
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_sql_path_writes_what_the_documents_say():
    """Nodes and GPUs are indexed by one INSERT … SELECT on PostgreSQL: each entry
    must read as the provider's own documents would have written it."""
    from django.utils import timezone

    from inventory.models import Cluster, Gpu, Node
    from portal.models import SearchEntry
    from portal.registry import registry
    from portal.search import search_refresh
    from portal.search.index import _entry, _render

    now = timezone.now()
    cluster = Cluster.objects.create(name="dgx")
    node = Node.objects.create(
        cluster=cluster, name="gpu-001", first_seen_at=now, changed_at=now, ready=True,
        gpu_product="NVIDIA-A100", os_image="Ubuntu <22.04>", roles=["worker", "gpu"],
    )  # fmt: skip
    on_node = Gpu.objects.create(
        cluster=cluster, node=node, node_name="gpu-001", uuid="GPU-1", index=0,
        product="NVIDIA A100", first_seen_at=now, changed_at=now, driver_version="535.54.03",
    )  # fmt: skip
    loose = Gpu.objects.create(
        cluster=cluster, node_name="gone-node", uuid="GPU-2", index=1, product="T4",
        first_seen_at=now, changed_at=now, idle_since=now,
    )  # fmt: skip
    fields = ("url", "title", "body", "elements", "status", "updated_at")
    for kind, ids in (("node", [node.pk]), ("gpu", [on_node.pk, loose.pk])):
        provider = registry.search_providers[kind]
        expected = {
            e.object_id: tuple(getattr(e, f) for f in fields)
            for e in (_render(_entry(kind, d, folded=False)) for d in provider.documents(ids))
        }
        search_refresh(kind, ids)
        written = {
            e.object_id: tuple(getattr(e, f) for f in fields)
            for e in SearchEntry.objects.filter(kind=kind)
        }
        assert written == expected, kind
        assert search_refresh(kind, ids) == 0  # nothing changed: nothing written
    assert search("worker").hits[0].object_id == str(node.pk)
    # A node that is gone leaves the index.
    Node.objects.filter(pk=node.pk).update(gone_at=now)
    search_refresh("node", [node.pk])
    assert not SearchEntry.objects.filter(kind="node").exists()


def test_a_search_is_one_round_trip_whatever_it_matches(corpus):
    """Counts per kind, the ranked page and its headlines come back in one statement:
    no transaction or planner setting around it (migration 0008's function reads the
    GIN index)."""
    from django.test.utils import CaptureQueriesContext

    for query in ("checkpoint", "заявкам", "nothing-like-this"):
        with CaptureQueriesContext(connection) as ctx:
            result = search(query)
        assert len(ctx.captured_queries) == 1, query
    assert result.total == 0


def test_a_title_match_outranks_newer_body_matches_which_come_latest_first(alice, bob):
    with_title = publish(alice, bob, title="GPU quota", slug="quota", body="Limits per team.")
    for i in range(6):
        publish(alice, bob, title=f"Runbook {i}", slug=f"runbook-{i}", body="Ask for more quota.")
    from portal.search import search_reindex_all

    search_reindex_all()
    hits = search("quota").hits
    assert hits[0].object_id == str(with_title.pk) and hits[0].rank > 0
    body_hits = [h for h in hits[1:] if h.kind == "procedure"]
    assert len(body_hits) == 6 and all(h.rank == 0 for h in body_hits)
    stamps = [h.updated_at for h in body_hits]
    assert stamps == sorted(stamps, reverse=True)
