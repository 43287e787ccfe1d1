#!/usr/bin/env python3
"""Benchmark the responsibility-matrix page at two sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/raci_matrix.py
    ... bench/raci_matrix.py --requests 40

It creates its own database (``portal_bench_raci`` on the server of DATABASE_URL),
drops it at the end, and renders ``/knowledge/matrix/`` in-process (Django's test
client, through the whole middleware stack) for an editor (every cell a button) and a
viewer, with a small matrix (12 activities × 7 roles) and a large one (112 × 22, what
a big team keeps). It prints requests per second, the page size and the query count
at each size and the large/small throughput ratio. One run; the ratio is what counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from throwaway_db import database_urls, recreate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZES = {"small": (12, 7), "large": (112, 22)}


def build(activities: int, roles: int) -> None:
    """A matrix like a real one: each activity has one A, two R, a C and an I."""
    from knowledge.models import Activity, Assignment, Role
    from portal.models import Element

    Assignment.objects.all().delete()
    Activity.objects.all().delete()
    Role.objects.all().delete()
    elements = list(Element.objects.all())
    role_rows = Role.objects.bulk_create(
        Role(slug=f"role-{n}", name=f"Role number {n}", keycloak_group=f"group-{n}", order=n)
        for n in range(roles)
    )
    activity_rows = Activity.objects.bulk_create(
        Activity(slug=f"activity-{n}", name=f"Activity number {n} of the platform", order=n)
        for n in range(activities)
    )
    Activity.elements.through.objects.bulk_create(
        Activity.elements.through(activity_id=a.pk, element_id=elements[i % len(elements)].pk)
        for i, a in enumerate(activity_rows)
    )
    letters = ["A", "R", "R", "C", "I"]
    Assignment.objects.bulk_create(
        Assignment(activity=a, role=role_rows[(i + j) % roles], letter=letter)
        for i, a in enumerate(activity_rows)
        for j, letter in enumerate(letters)
    )


def measure(client, requests: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/knowledge/matrix/")
    assert response.status_code == 200, response.status_code
    size, queries = len(response.content), len(ctx.captured_queries)
    start = time.perf_counter()
    for _ in range(requests):
        client.get("/knowledge/matrix/")
    return requests / (time.perf_counter() - start), size, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    admin_url, bench_url, bench_db = database_urls(os.environ.get("DATABASE_URL", ""), "bench_raci")
    recreate(admin_url, bench_db)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Testing mode: plain static storage (no collectstatic manifest), fast hashing.
    os.environ.setdefault("PORTAL_TESTING", "true")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.core.management import call_command
        from django.test import Client

        call_command("migrate", verbosity=0)
        people = {}
        for name, role in (("alice", "portal-editor"), ("carol", "portal-viewer")):
            user = get_user_model().objects.create_user(username=name, password="x")  # noqa: S106
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            people[name] = user
        results = {}
        for size, (n_activities, n_roles) in SIZES.items():
            build(n_activities, n_roles)
            for name, user in people.items():
                client = Client()
                client.force_login(user)
                client.get("/knowledge/matrix/")  # warm templates and caches
                results[size, name] = measure(client, args.requests)
        print(f"{'who':<7} {'size':<6} {'cells':>6} {'req/s':>7} {'KB':>7} {'queries':>7}")
        for (size, name), (rps, nbytes, queries) in results.items():
            cells = SIZES[size][0] * SIZES[size][1]
            print(f"{name:<7} {size:<6} {cells:>6} {rps:>7.1f} {nbytes / 1024:>7.1f} {queries:>7}")
        for name in people:
            ratio = results["large", name][0] / results["small", name][0]
            print(f"{name}: large/small throughput {ratio:.2f}")
    finally:
        from django.db import connections

        connections.close_all()
        recreate(admin_url, bench_db, drop_only=True)


if __name__ == "__main__":
    main()
