"""Time the portal's search on PostgreSQL over 10,000 procedure versions and 1,000
ADRs, and print the median and 95th percentile per query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/search.py

A throw-away database (test_<name>) is created, filled with bulk-generated rows,
indexed through the real providers, measured and dropped; DATABASE_URL's own
database is not touched. Not run by the test suite. ``--explain QUERY`` prints the
plan of the one statement a search runs.

Targets: the first index of the 11,000 entries within 15 s; p95 within 30 ms for
every query, ``platform`` (in 80 % of the entries) included. One run each of the
code before and after one vector, the title-only rank_vector, the one-statement
search and the array upserts, back to back on the shared 2-core machine (load
average 2-3.5; README, "Performance", has the table):

    first index         26.4 s -> 10.0 s     reindex, unchanged   4.3 s -> 3.1 s
    platform p50/p95    39.7/44.8 -> 23.4/27.6 ms  (8,787 hits; another run 15.0/21.9)
    датасеты p50/p95    21.8/22.5 -> 10.4/20.3 ms  (894 hits)
    gpu quota p50/p95    8.8/12.2 -> 10.5/13.6 ms  (79 hits)

The generated bodies are prose without Markdown markup, which skips the renderer
(``markdown_plain_text``); bodies with headings or lists cost about 1 ms more each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

WORDS_EN = [
    *[
        "gpu",
        "node",
        "cluster",
        "training",
        "inference",
        "model",
        "dataset",
        "pipeline",
        "checkpoint",
        "registry",
    ],
    *[
        "experiment",
        "metric",
        "drift",
        "monitoring",
        "latency",
        "quota",
        "scheduler",
        "kubernetes",
        "driver",
    ],
    *[
        "storage",
        "bucket",
        "access",
        "review",
        "approval",
        "rollback",
        "deployment",
        "feature",
        "store",
        "airflow",
    ],
    *[
        "mlflow",
        "kubeflow",
        "notebook",
        "secret",
        "rotation",
        "backup",
        "incident",
        "alert",
        "on-call",
        "capacity",
    ],
]
WORDS_RU = [
    *[
        "регламент",
        "доступ",
        "кластер",
        "обучение",
        "модель",
        "датасет",
        "версия",
        "метрика",
        "мониторинг",
    ],
    *[
        "инцидент",
        "дежурство",
        "хранилище",
        "ключи",
        "ротация",
        "резервное",
        "копирование",
        "заявка",
    ],
    *["согласование", "развертывание", "откат", "видеокарта", "узел", "квота", "ответственный"],
]
# Ordinary prose around the topic words, so that a topic word is in a few percent of
# the documents (as in real procedures), not in all of them.
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "vo",
    "si",
    "de",
    "pa",
    "gre",
    "sto",
    "fen",
    "bar",
    "tul",
]
# A word in COMMON_SHARE of the entries: ranking must not read every match's vector.
COMMON_WORD = "platform"
COMMON_SHARE = 0.8
QUERIES = [
    COMMON_WORD,
    "gpu quota",
    "checkpoint retention",
    '"feature store"',
    "rollback -kubernetes",
    "регламент доступа",
    "ротации ключей",
    "датасеты",
    "mlfl",  # a word still being typed
]


def text(rng: random.Random, words: int, topic_share: float = 0.03) -> str:
    topics = WORDS_EN + WORDS_RU
    out = []
    for _ in range(words):
        if rng.random() < topic_share:
            out.append(rng.choice(topics))
        else:
            out.append("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return " ".join(out)


def _with_common_word(rng: random.Random, body: str) -> str:
    return f"{body} {COMMON_WORD}" if rng.random() < COMMON_SHARE else body


def generate(procedures: int, versions_per: int, adrs: int, seed: int) -> None:
    from django.contrib.auth import get_user_model

    from knowledge.models import Adr
    from procedures.models import Category, Procedure, ProcedureVersion

    rng = random.Random(seed)
    author = get_user_model().objects.create_user("bench-author")
    category = Category.objects.order_by("order").first()
    now = timezone.now()
    Procedure.objects.bulk_create(
        Procedure(
            title=f"{text(rng, 3, topic_share=0.3).capitalize()} {i}",
            slug=f"bench-{i}",
            category=category,
            owner=author,
            review_due_at=now + timedelta(days=rng.randint(-30, 365)),
        )
        for i in range(procedures)
    )
    ids = list(Procedure.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
    versions = []
    for pk in ids:
        for major in range(1, versions_per + 1):
            versions.append(
                ProcedureVersion(
                    procedure_id=pk,
                    major=major,
                    minor=0,
                    title=f"Procedure {pk}",
                    body=_with_common_word(rng, "\n\n".join(text(rng, 60) for _ in range(3))),
                    author=author,
                    status="approved",
                    effective_from=now - timedelta(days=versions_per - major + 1),
                    content_sha256=f"{pk:032d}{major:032d}",
                    decided_at=now,
                )
            )
    ProcedureVersion.objects.bulk_create(versions, batch_size=1000)
    Adr.objects.bulk_create(
        (
            Adr(
                number=i + 1,
                title=text(rng, 6, topic_share=0.3).capitalize(),
                slug=f"adr-{i}",
                date=now.date(),
                context=_with_common_word(rng, text(rng, 80)),
                outcome=text(rng, 40),
                consequences=text(rng, 40),
            )
            for i in range(adrs)
        ),
        batch_size=1000,
    )


def measure(rounds: int) -> list[tuple[str, float, float, int]]:
    from portal.search.query import search

    rows = []
    for query in QUERIES:
        search(query)  # warm the plan and the cache of the index pages
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            result = search(query)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        rows.append((query, statistics.median(timings), p95, result.total))
    return rows


def explain(query: str) -> None:
    """EXPLAIN ANALYZE the statements one search runs, as it runs them."""
    from django.test.utils import CaptureQueriesContext

    from portal.search.query import search

    with CaptureQueriesContext(connection) as ctx:
        search(query)
    statements = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(" ".join(sql.split())[:160], "…")
            print("\n".join(row[0] for row in cursor.fetchall()), "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procedures", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10, help="approved versions each")
    parser.add_argument("--adrs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", metavar="QUERY", help="print the plans of one query")
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("bench/search.py measures PostgreSQL: set DATABASE_URL=postgres://…")

    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        started = time.perf_counter()
        generate(args.procedures, args.versions, args.adrs, args.seed)
        generated = time.perf_counter() - started
        from portal.search import search_reindex_all

        started = time.perf_counter()
        counts = search_reindex_all()
        indexed = time.perf_counter() - started
        started = time.perf_counter()
        search_reindex_all()
        again = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE portal_searchentry")
        print(
            f"{args.procedures * args.versions} procedure versions, {args.adrs} ADRs; "
            f"generated in {generated:.1f}s, indexed {sum(counts.values())} entries "
            f"({ {k: v for k, v in counts.items() if v} }) in {indexed:.1f}s; "
            f"reindexed unchanged in {again:.1f}s"
        )
        if args.explain:
            explain(args.explain)
        print(f"{'query':<26}{'median ms':>10}{'p95 ms':>10}{'hits':>8}")
        for query, median, p95, total in measure(args.rounds):
            print(f"{query:<26}{median:>10.1f}{p95:>10.1f}{total:>8}")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
