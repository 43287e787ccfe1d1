"""The decision graph: a bounded neighbourhood by default, the whole graph on request
and from the cache until a link, a status or a title changes."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Adr, AdrLink
from knowledge.selectors.adr_graph import MAX_NODES


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache outlives each test's rolled-back database.
    cache.clear()
    yield
    cache.clear()


def _chain(start: int, count: int) -> list[Adr]:
    """Records start..start+count-1, each superseding (odd) or amending (even) the one
    before it, with long texts the graph must never read."""
    rows = Adr.objects.bulk_create(
        Adr(
            number=n,
            title=f"Decision {n}",
            slug=f"decision-{n}",
            date=datetime.date(2024, 1, 1),
            context="Long context. " * 500,
        )
        for n in range(start, start + count)
    )
    AdrLink.objects.bulk_create(
        AdrLink(source=rows[i], target=rows[i - 1], kind="supersedes" if i % 2 else "amends")
        for i in range(1, len(rows))
    )
    return rows


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response, ctx.captured_queries


def _numbers(response) -> set[int]:
    return {node.number for node in response.context["graph"].nodes}


@pytest.mark.parametrize("url", ["/knowledge/adr/graph/", "/knowledge/adr/graph/?around=5&depth=2"])
def test_the_default_graph_costs_the_same_with_200_records_as_with_10(client_for, carol, url):
    client = client_for(carol)
    _chain(1, 10)
    small, small_queries = _get(client, url)
    _chain(100, 190)
    large, large_queries = _get(client, url)
    assert len(large_queries) == len(small_queries)
    assert len(_numbers(large)) == len(_numbers(small))
    # Numbers of three digits instead of one: a few bytes, not a node more.
    assert len(large.content) < len(small.content) * 1.05
    assert not any('"context"' in q["sql"] for q in large_queries)


def test_the_graph_around_a_record_reaches_as_far_as_the_depth(client_for, carol):
    rows = _chain(1, 7)
    AdrLink.objects.create(source=rows[0], target=rows[6], kind="relates_to")
    client = client_for(carol)
    one, _ = _get(client, "/knowledge/adr/graph/?around=ADR-0004")
    two, _ = _get(client, "/knowledge/adr/graph/?around=4&depth=2")
    assert _numbers(one) == {3, 4, 5}
    assert _numbers(two) == {2, 3, 4, 5, 6}
    assert len(two.context["graph"].edges) == 4


def test_by_default_the_graph_shows_the_latest_links(client_for, carol):
    _chain(1, 30)
    response, _ = _get(client_for(carol), "/knowledge/adr/graph/")
    # The five latest links join 25..30; one step further reaches 24.
    assert _numbers(response) == set(range(24, 31))
    assert b"ADR-0030" in response.content and b"ADR-0010" not in response.content


def test_a_record_linked_to_hundreds_draws_a_bounded_neighbourhood(client_for, carol):
    hub = Adr.objects.create(number=1, title="Hub", slug="hub")
    others = Adr.objects.bulk_create(
        Adr(number=n, title=f"Amendment {n}", slug=f"a-{n}") for n in range(2, 300)
    )
    AdrLink.objects.bulk_create(AdrLink(source=a, target=hub, kind="amends") for a in others)
    response, _ = _get(client_for(carol), "/knowledge/adr/graph/?around=1")
    assert len(_numbers(response)) == MAX_NODES
    assert 1 in _numbers(response)
    assert b'id="graph-truncated"' in response.content


@pytest.mark.parametrize(
    "query", ["around=abc", "around=ADR-", "depth=3", "depth=x", "around=1&depth=0"]
)
def test_a_graph_address_that_names_nothing_is_refused(client_for, carol, query):
    _chain(1, 3)
    assert client_for(carol).get(f"/knowledge/adr/graph/?{query}").status_code == 400


def test_the_graph_around_an_unknown_record_is_not_found(client_for, carol):
    assert client_for(carol).get("/knowledge/adr/graph/?around=99").status_code == 404


def test_a_record_page_links_to_the_graph_around_it(client_for, carol):
    rows = _chain(1, 3)
    page = client_for(carol).get(rows[1].get_absolute_url()).content.decode()
    assert 'href="/knowledge/adr/graph/?around=2"' in page


def _svg(response) -> bytes:
    content = response.content
    return content[content.index(b"<svg") : content.index(b"</svg>")]


def _link_queries(queries) -> int:
    return sum("knowledge_adrlink" in q["sql"] for q in queries)


def test_the_whole_graph_is_served_from_the_cache_until_a_link_changes(
    client_for, carol, alice, bob, django_capture_on_commit_callbacks
):
    from knowledge.services import adr_accept, adr_link_add, adr_link_remove, adr_update

    rows = _chain(1, 20)
    client = client_for(carol)
    first, queries = _get(client, "/knowledge/adr/graph/?all=1")
    assert _numbers(first) == set(range(1, 21)) and _link_queries(queries) == 1
    second, queries = _get(client, "/knowledge/adr/graph/?all=1")
    assert _link_queries(queries) == 0 and not any("knowledge_adr" in q["sql"] for q in queries)
    assert _svg(second) == _svg(first)

    # A link made outside the services is not seen: the cache is what is served.
    lone = Adr.objects.create(number=50, title="Lone", slug="lone")
    AdrLink.objects.create(source=lone, target=rows[0], kind="amends")
    assert 50 not in _numbers(client.get("/knowledge/adr/graph/?all=1"))

    newer = Adr.objects.create(number=60, title="Newer", slug="newer")
    with django_capture_on_commit_callbacks(execute=True):
        link = adr_link_add(actor=alice, source=newer, target=rows[3], kind="amends")
    third, queries = _get(client, "/knowledge/adr/graph/?all=1")
    assert {50, 60} <= _numbers(third) and _link_queries(queries) == 1

    with django_capture_on_commit_callbacks(execute=True):
        adr_link_remove(actor=alice, link=link)
    assert 60 not in _numbers(client.get("/knowledge/adr/graph/?all=1"))

    with django_capture_on_commit_callbacks(execute=True):
        adr_update(actor=alice, adr=rows[4], revision=rows[4].revision, title="Renamed")
    assert b"Renamed" in client.get("/knowledge/adr/graph/?all=1").content

    with django_capture_on_commit_callbacks(execute=True):
        adr_accept(actor=bob, adr=rows[5])
    graph = client.get("/knowledge/adr/graph/?all=1").context["graph"]
    assert {n.number: n.status for n in graph.nodes}[6] == "accepted"


def test_an_edit_that_keeps_the_title_keeps_the_cached_graph(
    client_for, carol, alice, django_capture_on_commit_callbacks
):
    from knowledge.services import adr_update

    rows = _chain(1, 5)
    client = client_for(carol)
    client.get("/knowledge/adr/graph/?all=1")
    with django_capture_on_commit_callbacks(execute=True):
        adr_update(actor=alice, adr=rows[1], revision=rows[1].revision, context="New text")
    _response, queries = _get(client, "/knowledge/adr/graph/?all=1")
    assert _link_queries(queries) == 0
