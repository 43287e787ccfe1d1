"""No input gives a server error: what no view can use (NUL bytes, JSON nested past
any schema, bodies over the limits) is refused by one layer before the views, in the
API's one error shape or on the styled error page; a number-looking search term that
is not a number is searched as text."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from portal.validation import MAX_JSON_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    # Exceptions become the 500 a person would see, instead of failing the request.
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _assert_api_refusal(response, status=400):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"


@pytest.fixture
def make_adr(alice):
    from knowledge.services import adr_create

    return lambda title: adr_create(actor=alice, title=title, date=datetime.date(2025, 3, 1))


@pytest.fixture
def enrolment(alice, carol, dave):
    from knowledge import services

    role = services.role_create(actor=alice, name="ML engineer")
    track = services.track_create(actor=alice, role=role, title="Onboarding")
    services.track_step_create(
        actor=alice, track=track, phase="first_day", kind="task", title="Meet the team"
    )
    return services.enrolment_create(
        actor=dave, user=carol, track=track, start_date=datetime.date(2026, 11, 2)
    )


def test_a_superscript_two_is_searched_as_text(carol, make_adr):
    make_adr("Storage for 2² clusters")
    api = _client(carol).get("/api/v1/adrs/", {"q": "2²"})
    assert api.status_code == 200
    assert [r["title"] for r in api.json()["results"]] == ["Storage for 2² clusters"]
    page = _client(carol).get("/knowledge/adr/", {"q": "2²"})
    assert page.status_code == 200
    assert "Storage for 2² clusters" in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/adrs/?q=%00",
        "/api/v1/adrs/?tag=a%00b",
        "/api/v1/inventory/nodes/?q=%00",
    ],
)
def test_a_nul_in_a_query_is_a_400_in_the_api_shape(carol, url):
    _assert_api_refusal(_client(carol).get(url))


@pytest.mark.parametrize(
    "url",
    ["/knowledge/adr/?q=%00", "/knowledge/adr/?tag=%00", "/inventory/nodes/?q=%00"],
)
def test_a_nul_in_a_query_is_the_styled_error_page(carol, url):
    response = _client(carol).get(url)
    assert response.status_code == 400
    assert b'class="site-footer"' in response.content  # the portal's own layout
    assert b"NUL" in response.content


def test_a_nul_in_a_path_segment_is_a_400(carol):
    response = _client(carol).get("/knowledge/people/ca%00rol/")
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_in_a_related_field_of_a_json_body_is_a_400(alice):
    response = _client(alice).post(
        "/api/v1/procedure-versions/",
        '{"procedure": "a\\u0000b", "body": "text"}',
        content_type="application/json",
    )
    _assert_api_refusal(response)
    assert "NUL" in response.json()["detail"]


def test_a_json_body_nested_100000_deep_is_a_400(carol, enrolment):
    body = "[" * 100_000 + "]" * 100_000
    response = _client(carol).post(
        f"/api/v1/onboarding/enrolments/{enrolment.pk}/complete/",
        body,
        content_type="application/json",
    )
    _assert_api_refusal(response)


def test_depth_counts_containers_not_brackets_inside_strings():
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert not json_depth_exceeds(nested.encode())
    assert json_depth_exceeds(("[" + nested + "]").encode())
    assert not json_depth_exceeds(b'{"text": "' + b"[" * 1000 + b'"}')
    assert not json_depth_exceeds(b'{"text": "\\"' + b"{" * 1000 + b'"}')
    assert json_depth_exceeds(b'{"a": "\\\\"' + b", [" * (MAX_JSON_DEPTH + 1))


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul(alice):
    response = _client(alice).post(
        "/api/v1/adrs/",
        '{"title": "Path C:\\\\u0000 is literal", "date": "2025-01-01"}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]


# Every URL pattern, with each kind of awkward value in every path segment and query.
PATH_VALUES = ["1", "99999999999999999999", "2²", "x%00y"]
QUERIES = [
    {},
    {"q": "2²", "tag": "2²", "page": "2²", "page_size": "-1", "ordering": "2²", "status": "2²"},
    {"q": "\x00"},
]
_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>")


def _patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        text = str(entry.pattern).lstrip("^").rstrip("$")
        if "format" in text or text.startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + text


def every_url():
    urls = set()
    for pattern in _patterns():
        pattern = pattern.replace("\\.", ".").replace("/?", "/")
        if _GROUP.search(pattern):
            urls.update(_GROUP.sub(value, pattern) for value in PATH_VALUES)
        else:
            urls.add(pattern)
    return sorted(urls)


def test_every_url_pattern_answers_awkward_values_without_a_server_error(
    people, make_adr, enrolment
):
    make_adr("Something to list")
    failures = []
    # An admin reaches every page; a refusal for the others answers before any input.
    for person in ("dave",):
        client = _client(people[person])
        for url in every_url():
            for query in QUERIES:
                response = client.get(url, query)
                if response.status_code >= 500:
                    failures.append((person, url, query, response.status_code))
    assert failures == []


def test_every_api_operation_answers_awkward_bodies_without_a_server_error(
    people, make_adr, enrolment
):
    make_adr("Something to change")
    awkward = {
        key: "2²"
        for key in (
            "procedure",
            "source",
            "target",
            "kind",
            "title",
            "slug",
            "category",
            "user",
            "track",
            "role",
            "activity",
            "letter",
            "content_sha256",
            "revision",
            "old",
        )
    }
    bodies = [("{}", "application/json"), ("[" * 5000, "application/json"), (awkward, "json")]
    client = _client(people["dave"])
    failures = []
    for url in every_url():
        if not url.startswith("/api/v1/"):
            continue
        for method in ("post", "put", "patch", "delete"):
            for body, kind in bodies:
                send = getattr(client, method)
                if kind == "json":
                    response = send(url, awkward, content_type="application/json")
                else:
                    response = send(url, body, content_type=kind)
                if response.status_code >= 500:
                    failures.append((method, url, str(body)[:40], response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/procedure-reviews/?version=-1.152646903391618e%2B270",
        "/api/v1/procedure-acknowledgements/?major=1e300",
        "/api/v1/data/datasets/?min_size=100000000000000000000000",
        "/api/v1/data/datasets/?site=1.5",
    ],
)
def test_a_number_no_column_can_hold_is_a_400(dave, url):
    # Found by the fuzz run: a decimal filter passed 1e270 on to SQLite, a 500.
    _assert_api_refusal(_client(dave).get(url))
