"""Pages cost the same number of queries with 10 rows as with 200."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import (
    Activity,
    Adr,
    AdrLink,
    Assignment,
    Enrolment,
    Role,
    Tag,
    Track,
    TrackStep,
)
from portal.models import Element


def _adrs(start: int, count: int) -> None:
    elements = list(Element.objects.all())
    tag, _ = Tag.objects.get_or_create(name="gpu")
    rows = Adr.objects.bulk_create(
        Adr(
            number=n,
            title=f"Decision {n}",
            slug=f"decision-{n}",
            date=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
        )
        for n in range(start, start + count)
    )
    Adr.elements.through.objects.bulk_create(
        Adr.elements.through(adr_id=adr.pk, element_id=elements[i % len(elements)].pk)
        for i, adr in enumerate(rows)
    )
    Adr.tags.through.objects.bulk_create(
        Adr.tags.through(adr_id=adr.pk, tag_id=tag.pk) for adr in rows
    )
    AdrLink.objects.bulk_create(
        AdrLink(source=rows[i], target=rows[i - 1], kind="supersedes" if i % 2 else "amends")
        for i in range(1, len(rows))
    )


def _matrix(start: int, count: int) -> None:
    elements = list(Element.objects.all())
    roles = Role.objects.bulk_create(
        Role(slug=f"role-{n}", name=f"Role {n}", keycloak_group=f"group-{n}")
        for n in range(start, start + 3)
    )
    activities = Activity.objects.bulk_create(
        Activity(slug=f"act-{n}", name=f"Activity {n}") for n in range(start, start + count)
    )
    Activity.elements.through.objects.bulk_create(
        Activity.elements.through(activity_id=a.pk, element_id=elements[i % len(elements)].pk)
        for i, a in enumerate(activities)
    )
    Assignment.objects.bulk_create(
        Assignment(activity=a, role=r, letter="A" if j == 0 else "R")
        for a in activities
        for j, r in enumerate(roles)
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/knowledge/adr/",
        "/knowledge/adr/?view=timeline",
        "/knowledge/adr/?status=proposed&element=data&tag=gpu",
        "/knowledge/adr/graph/",
        "/api/v1/adrs/",
    ],
)
def test_the_adr_log_is_constant(client_for, carol, url):
    client = client_for(carol)
    _adrs(1, 10)
    small = _queries(client, url)
    _adrs(100, 190)
    assert _queries(client, url) == small


@pytest.mark.parametrize(
    "url", ["/knowledge/matrix/", "/knowledge/matrix.csv", "/", "/api/v1/raci/activities/"]
)
def test_the_matrix_is_constant(client_for, carol, url):
    client = client_for(carol)
    _matrix(1, 10)
    _queries(client, url)  # warm the caches other home panels keep
    small = _queries(client, url)
    _matrix(100, 190)
    assert _queries(client, url) == small


def test_team_onboarding_is_constant(client_for, alice, bob):
    from django.contrib.auth import get_user_model

    client = client_for(bob)
    role = Role.objects.create(slug="ml", name="ML engineer")
    track = Track.objects.create(role=role, title="Track")
    first = TrackStep.objects.create(track=track, phase="first_day", kind="task", title="Task")
    TrackStep.objects.create(
        track=track, phase="first_day", kind="access_check", title="Access", access_group="gpu"
    ).depends_on.add(first)

    def enrol(n0, count):
        for n in range(n0, n0 + count):
            user = get_user_model().objects.create(username=f"new{n}")
            Enrolment.objects.create(
                user=user, track=track, start_date=datetime.date(2026, 11, 1), buddy=alice
            )

    enrol(1, 2)
    small = _queries(client, "/knowledge/onboarding/team/")
    enrol(10, 30)
    assert _queries(client, "/knowledge/onboarding/team/") == small


def test_the_home_panels_are_constant(rf, alice, carol):
    from knowledge.selectors.adr import knowledge_panel
    from knowledge.selectors.raci import people_panel

    track = Track.objects.create(role=Role.objects.create(slug="ds", name="DS"), title="T")
    TrackStep.objects.create(track=track, phase="first_day", kind="task", title="Task")
    Enrolment.objects.create(user=carol, track=track, start_date=datetime.date(2026, 11, 1))

    def count():
        request = rf.get("/")  # one request each: the progress is read once per request
        request.user = carol
        with CaptureQueriesContext(connection) as ctx:
            knowledge_panel(request)
            people_panel(request)
        return len(ctx.captured_queries)

    _adrs(1, 3)
    _matrix(1, 2)
    small = count()
    _adrs(100, 40)
    _matrix(100, 40)
    assert count() == small


def test_a_decision_page_is_constant(client_for, alice, make_adr):
    from knowledge.services import adr_update

    adr = make_adr("Use Kueue for GPU quotas", tags=["gpu"], elements=["hardware"])
    client = client_for(alice)

    def grow(start: int, count: int) -> None:
        nonlocal adr
        _adrs(start, count)
        for n in range(start, start + count):
            AdrLink.objects.create(source=adr, target=Adr.objects.get(number=n), kind="relates_to")
            adr = adr_update(actor=alice, adr=adr, revision=adr.revision, context=f"Revision {n}")

    url = f"/knowledge/adr/{adr.number}/"
    grow(10, 2)
    small = _queries(client, url)
    grow(100, 20)
    assert _queries(client, url) == small
    page = client.get(url).content.decode()
    assert "Decision 119" in page and "Revision 119" in page


@pytest.mark.parametrize("url", ["/knowledge/onboarding/", "/knowledge/tracks/"])
def test_my_onboarding_and_the_track_list_are_constant(client_for, carol, url):
    def tracks(start: int, count: int) -> None:
        for n in range(start, start + count):
            track = Track.objects.create(
                role=Role.objects.create(slug=f"role-{n}", name=f"Role {n}"), title=f"Track {n}"
            )
            first = TrackStep.objects.create(
                track=track, phase="first_day", kind="task", title="Task"
            )
            TrackStep.objects.create(
                track=track, phase="first_day", kind="access_check", title="GPU", access_group="g"
            ).depends_on.add(first)
            Enrolment.objects.create(user=carol, track=track, start_date=datetime.date(2026, 11, 1))

    client = client_for(carol)
    tracks(1, 2)
    small = _queries(client, url)
    tracks(10, 20)
    assert _queries(client, url) == small
    page = client.get(url).content.decode()
    assert "Track 29" in page
    if url == "/knowledge/tracks/":
        assert page.count("<td>2</td>") == 22  # each track's step count


def test_the_home_page_reads_a_persons_onboarding_once(rf, carol):
    from knowledge.selectors.adr import knowledge_panel
    from knowledge.selectors.onboarding import onboarding_panel

    track = Track.objects.create(role=Role.objects.create(slug="ds", name="DS"), title="T")
    TrackStep.objects.create(track=track, phase="first_day", kind="task", title="Task")
    Enrolment.objects.create(user=carol, track=track, start_date=datetime.date(2026, 11, 1))
    request = rf.get("/")
    request.user = carol
    knowledge_panel(request)  # the map's knowledge card reads the progress ...
    with CaptureQueriesContext(connection) as ctx:
        panel = onboarding_panel(request)  # ... and "My work" shows the same, unread
    assert len(ctx.captured_queries) == 0
    assert [t["progress"].enrolment.track.title for t in panel["tracks"]] == ["T"]
