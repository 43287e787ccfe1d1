"""Pages and API lists cost the same number of queries with 10 procedures as with
200 (and a procedure's page the same with 2 versions as with 20)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Element
from procedures.content import version_sha256
from procedures.models import Acknowledgement, Category, Procedure, ProcedureVersion, Review

pytestmark = pytest.mark.django_db


def grow(to: int, *, author, approver, reader) -> None:
    """Add procedures until there are ``to``: each with an approved 1.0 signed and
    acknowledged, an open 1.1 draft, two elements; every third is overdue."""
    have = Procedure.objects.count()
    now = timezone.now()
    categories = list(Category.objects.all())
    elements = list(Element.objects.all()[:2])
    procedures = Procedure.objects.bulk_create(
        [
            Procedure(
                title=f"Procedure {i}",
                slug=f"procedure-{i}",
                category=categories[i % len(categories)],
                owner=author,
                review_due_at=now + timedelta(days=-1 if i % 3 == 0 else 30),
            )
            for i in range(have, to)
        ]
    )
    procedures = list(Procedure.objects.filter(slug__in=[p.slug for p in procedures]))
    Procedure.elements.through.objects.bulk_create(
        [
            Procedure.elements.through(procedure_id=p.pk, element_id=e.pk)
            for p in procedures
            for e in elements
        ]
    )
    versions = []
    for p in procedures:
        approved = ProcedureVersion(
            procedure=p,
            major=1,
            minor=0,
            title=p.title,
            body="Text\n",
            author=author,
            status="approved",
            effective_from=now - timedelta(days=1),
        )
        approved.content_sha256 = version_sha256(approved)
        versions.append(approved)
        versions.append(
            ProcedureVersion(
                procedure=p, major=1, minor=1, title=p.title, body="Draft\n", author=author
            )
        )
    ProcedureVersion.objects.bulk_create(versions)
    approved_versions = list(
        ProcedureVersion.objects.filter(procedure__in=procedures, status="approved")
    )
    Review.objects.bulk_create(
        [
            Review(
                version=v,
                reviewer=approver,
                decision="approve",
                meaning="approved",
                content_sha256=v.content_sha256,
            )
            for v in approved_versions
        ]
    )
    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(procedure_id=v.procedure_id, version=v, major=1, user=reader)
            for v in approved_versions
        ]
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


URLS = [
    "/procedures/",
    "/procedures/?status=overdue",
    "/procedures/?category=metric-logging&element=hardware",
    "/procedures/overdue/",
    "/procedures/review-queue/",
    "/",
    "/api/v1/procedures/",
    "/api/v1/procedure-versions/",
    "/api/v1/procedure-reviews/",
    "/api/v1/procedure-acknowledgements/",
]


def test_lists_cost_the_same_with_10_and_200_procedures(client_for, api_for, alice, bob, carol):
    grow(10, author=alice, approver=bob, reader=carol)
    page, api = client_for(bob), api_for(bob)
    for url in URLS:  # warm caches (content types, sessions) before measuring
        (api if url.startswith("/api/") else page).get(url)
    small = {url: count_queries(api if url.startswith("/api/") else page, url) for url in URLS}
    grow(200, author=alice, approver=bob, reader=carol)
    large = {url: count_queries(api if url.startswith("/api/") else page, url) for url in URLS}
    assert large == small


def _add_versions(procedure, author, reader, to_major: int) -> None:
    now = timezone.now()
    for major in range(2, to_major + 1):
        if procedure.versions.filter(major=major).exists():
            continue
        v = ProcedureVersion(
            procedure=procedure,
            major=major,
            minor=0,
            title=procedure.title,
            body=f"Text {major}\n",
            author=author,
            status="approved",
            effective_from=now - timedelta(hours=10 - major / 10),
        )
        v.content_sha256 = version_sha256(v)
        v.save()
        Acknowledgement.objects.create(procedure=procedure, version=v, major=major, user=reader)


def test_procedure_and_version_pages_cost_the_same_with_2_and_20_versions(
    client_for, alice, bob, carol, dave
):
    grow(1, author=alice, approver=bob, reader=carol)
    procedure = Procedure.objects.get()
    slug = procedure.slug
    c = client_for(dave)
    urls = [
        f"/procedures/{slug}/",
        f"/procedures/{slug}/history/",
        f"/procedures/{slug}/v1.0/",
        f"/procedures/{slug}/diff/",
        f"/api/v1/procedures/{slug}/",
    ]
    ProcedureVersion.objects.filter(procedure=procedure, status="draft").delete()
    _add_versions(procedure, alice, carol, 2)
    for url in urls:
        c.get(url)
    small = {url: count_queries(c, url) for url in urls}
    _add_versions(procedure, alice, carol, 20)
    large = {url: count_queries(c, url) for url in urls}
    assert large == small
