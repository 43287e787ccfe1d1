#!/usr/bin/env python3
"""Load the portal's main pages and API lists behind gunicorn, on a small and a large
dataset, and print what each costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/pages.py [--duration 12] [--connections 8] [--nodes 5000]

For each size a throw-away database (``<name of DATABASE_URL's database>_pages_<size>``)
is created, filled through the project's own services and reconciler (bulk inserts
only where no service offers one: the 10,000 approved procedure versions, as in
``bench/search.py``), served by gunicorn (2 workers x 4 threads, ``pages_settings``:
the portal's settings plus ``/bench/minimal/``, a signed-in page that does nothing),
loaded page by page with ``wrk`` (Debian's package) or, without it, a bounded Python
client, and dropped. Both datasets are served at once and each page is loaded on
one then the other in one-second rounds that alternate (S L L S S L L S, 8
connections), so the two figures of a row see the same machine: loaded in one block
of 3 s each, identical work came out ±50 % apart from run to run on this shared host.

Large: 10,000 procedure versions (1,000 x 10), 1,000 ADRs with 300 links, 112 RACI
activities x 22 roles, 124 enrolments, 5,000 nodes x 8 GPUs (1 % not ready, 2 % on
another driver, some GPUs idle for 30 hours), 300 components. Small: 20 versions, 10
ADRs, the starter matrix, 3 enrolments, 5 nodes x 8 GPUs.

Pages are served as deployed: kept from the page cache (``portal.page_cache``, 60 s,
until a change or a sync) after their first request. Printed per page: req/s, p50 and
p99 (ms) at both sizes, large/small throughput, the share of the ceiling (the minimal
page at the same size), the queries, size and in-process time of rendering it afresh
(a miss: the cache off, the first request after a change); then each gunicorn
worker's peak RSS. Targets (issue
"Fast at scale"): large/small >= 0.8 and >= 20 % of the ceiling on every page;
capacity advisor, findings and overview p50 <= 50 ms at 5,000 nodes (measured once more
with a single connection: a person's wait, not a queue's).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from throwaway_db import database_urls, recreate

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SIZES = {
    "small": {
        "procedures": 10, "versions": 2, "adrs": 10, "links": 3, "roles": 7, "activities": 0,
        "enrolments": 3, "nodes": 5, "components": 5,
    },
    "large": {
        "procedures": 1000, "versions": 10, "adrs": 1000, "links": 300, "roles": 22,
        "activities": 112, "enrolments": 124, "nodes": 5000, "components": 300,
    },
}  # fmt: skip
SLOW_PAGES_P50_MS = 50  # capacity advisor, findings and overview at 5,000 nodes
# Their p50 is a person's wait: measured again with one connection at the large size
# (under --connections the ceiling page itself queues for ~connections/throughput).
SLOW_PAGES = ("minimal (ceiling)", "capacity advisor", "findings", "inventory overview")
# Drawn whole on request only, growing with the data by design (the bounded-pages
# rule: the neighbourhood by default, the whole graph cached): no large/small target.
GROWS_BY_DESIGN = ("ADR graph, whole",)


# --- building a dataset (runs inside the per-size child process) ----------------------


def _people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()

    def person(name, role):
        user, _ = User.objects.get_or_create(username=name, defaults={"email": f"{name}@x.org"})
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        return user

    return person("dave", "portal-admin"), person("carol", "portal-viewer")


def build_knowledge(size: dict, admin) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from knowledge.models import Activity, Adr, AdrLink, Role, Track
    from knowledge.services.onboarding import enrolment_create
    from knowledge.services.raci import activity_create, assignment_set, role_create

    for i in range(Role.objects.count(), size["roles"]):
        role_create(actor=admin, name=f"Bench role {i}", slug=f"bench-role-{i}", order=200 + i)
    for i in range(Activity.objects.count(), size["activities"]):
        activity_create(actor=admin, name=f"Bench activity {i}", slug=f"bench-activity-{i}")
    roles = list(Role.objects.order_by("pk"))
    for n, activity in enumerate(Activity.objects.filter(slug__startswith="bench-activity-")):
        letters = ["A", "R", "C", "C", "I", "I"]
        for k, letter in enumerate(letters):
            assignment_set(
                actor=admin, activity=activity, role=roles[(n + k) % len(roles)], letter=letter
            )
    # No service creates ADRs in bulk (adr_create takes a number, writes a revision,
    # an audit row and a search entry per record): bulk rows, as bench/search.py does.
    first = (Adr.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    today = timezone.now().date()
    Adr.objects.bulk_create(
        (
            Adr(
                number=number,
                title=f"Bench decision {number}: keep {number % 17} registry replicas",
                slug=f"bench-decision-{number}",
                date=today,
                context="We run the registry on shared GPUs. " * 20,
                outcome=f"Chosen option {number % 3}, because it scales.",
                consequences="Positive: faster. Negative: more nodes. " * 5,
            )
            for number in range(first, first + size["adrs"])
        ),
        batch_size=1000,
    )
    adrs = list(
        Adr.objects.filter(number__gte=first).order_by("number").values_list("pk", flat=True)
    )
    AdrLink.objects.bulk_create(
        AdrLink(source_id=adrs[i + 1], target_id=adrs[i], kind=("amends", "relates_to")[i % 2])
        for i in range(min(size["links"], max(0, len(adrs) - 1)))
    )
    User = get_user_model()
    tracks = list(Track.objects.order_by("pk"))
    for i in range(size["enrolments"]):
        user = User.objects.create_user(f"newcomer-{i:03d}", email=f"n{i}@x.org")
        enrolment_create(
            actor=admin, user=user, track=tracks[i % len(tracks)], start_date=timezone.now().date()
        )


def build_inventory(size: dict) -> None:
    from django.db import transaction
    from django.utils import timezone
    from inventory_sync import snapshot_for

    from inventory.choices import SourceKind, SyncStatus
    from inventory.models import Cluster, InventorySource, SyncRun
    from inventory.reconcile import reconcile
    from inventory.sources.facts import ComponentFacts

    snapshot = snapshot_for(size["nodes"], 8)
    nodes = list(snapshot.nodes)
    for i in range(0, len(nodes), 100):
        nodes[i] = dataclasses.replace(nodes[i], ready=False)
    gpus = list(snapshot.gpus)
    for i in range(0, len(gpus), 8 * 50):  # every 50th node on another driver
        for g in range(i, i + 8):
            gpus[g] = dataclasses.replace(gpus[g], driver_version="550.54.15")
    for i in range(3, len(gpus), 37):
        gpus[i] = dataclasses.replace(gpus[i], utilization_gpu_pct=0.0)
    components = [
        ComponentFacts(
            namespace=f"team-{i % 12}",
            kind="Deployment",
            workload_name=f"svc-{i:04d}",
            name=("MLflow", "Grafana", "KServe", "Airflow", "Prometheus")[i % 5],
            category=("ml", "auxiliary")[i % 2],
            version="1.0.0",
            images=(f"registry.example.org/svc-{i}:1.0.0",),
            ready_replicas=1,
            desired_replicas=1,
        )
        for i in range(size["components"])
    ]
    snapshot = dataclasses.replace(
        snapshot,
        nodes=nodes,
        gpus=gpus,
        components=components,
        covers=frozenset({"nodes", "gpus", "components"}),
    )
    cluster = Cluster.objects.create(name="prod")
    source = InventorySource.objects.create(
        cluster=cluster, name="api", kind=SourceKind.KUBERNETES, config={"in_cluster": True}
    )
    # A first sync 30 hours ago (so idle GPUs are idle for long), then today's.
    for started in (timezone.now() - timedelta(hours=30), timezone.now()):
        with transaction.atomic():
            run = SyncRun(
                cluster=cluster,
                source=source,
                source_kind=source.kind,
                status=SyncStatus.SUCCEEDED,
                started_at=started,
            )
            reconcile(cluster=cluster, snapshot=snapshot, run=run)


def build(size_name: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    size = SIZES[size_name]
    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_portal", verbosity=0)
    timings["migrate+seed"] = time.perf_counter() - started
    admin, viewer = _people()

    import search as search_bench  # bench/search.py: the same bulk procedure generator

    started = time.perf_counter()
    search_bench.generate(size["procedures"], size["versions"], 0, seed=7)
    timings["procedures"] = time.perf_counter() - started
    started = time.perf_counter()
    build_knowledge(size, admin)
    timings["knowledge"] = time.perf_counter() - started
    started = time.perf_counter()
    build_inventory(size)
    timings["inventory"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"timings": timings, "viewer": viewer.pk}


def page_urls() -> list[tuple[str, str]]:
    from knowledge.models import Adr
    from procedures.models import Procedure

    procedure = Procedure.objects.order_by("-pk").values_list("slug", flat=True).first()
    adr = Adr.objects.order_by("-number").values_list("number", flat=True).first()
    capacity = "model_gb=14&batch_gb=8&dataset_gb=100&gpu_count=1"
    return [
        ("minimal (ceiling)", "/bench/minimal/"),
        ("home", "/"),
        ("procedure list", "/procedures/"),
        ("procedure page", f"/procedures/{procedure}/"),
        ("ADR log", "/knowledge/adr/"),
        ("ADR page", f"/knowledge/adr/{adr}/"),
        ("ADR graph", "/knowledge/adr/graph/"),
        ("ADR graph, whole", "/knowledge/adr/graph/?all=1"),
        ("RACI matrix", "/knowledge/matrix/"),
        ("inventory overview", "/inventory/"),
        ("node list", "/inventory/nodes/"),
        ("GPU list", "/inventory/gpus/"),
        ("findings", "/inventory/findings/"),
        ("capacity advisor", f"/inventory/capacity/?{capacity}"),
        ("component list", "/inventory/components/"),
        ("change list", "/inventory/changes/"),
        ("API procedures", "/api/v1/procedures/"),
        ("API ADRs", "/api/v1/adrs/"),
        ("API nodes", "/api/v1/inventory/nodes/"),
        ("API GPUs", "/api/v1/inventory/gpus/"),
        ("API findings", "/api/v1/inventory/findings/"),
    ]


def queries_and_sizes(viewer_id: int, urls) -> tuple[dict, str]:
    """One request per page in-process with the page cache off, after two warm-ups:
    the queries, bytes and time of rendering it (a miss, what the first request after
    a change costs; served under load the page comes from the cache)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(pk=viewer_id))
    figures = {}
    with override_settings(PAGE_CACHE_SECONDS=0):
        for name, url in urls:
            client.get(url)
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            queries = len(ctx.captured_queries)  # before the next request clears the log
            times = []
            for _ in range(5):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            figures[name] = {
                "status": response.status_code,
                "queries": queries,
                "bytes": len(response.content),
                "miss_ms": sorted(times)[len(times) // 2],
            }
    return figures, client.cookies["sessionid"].value


# --- load -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on {port}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, cookie: str, duration: float, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "10s",
         "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True, text=True, check=True, timeout=duration + 30,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        latency[pct] = float(value) * _UNITS[unit]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(bad.group(1)) if bad else 0,
    }


def _python_client(url: str, cookie: str, duration: float, connections: int) -> dict:
    """Bounded: ``connections`` threads, each for ``duration`` seconds at most."""
    import http.client

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine = []
        for _ in range(100_000):
            if time.monotonic() >= stop_at:
                break
            started = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return {"rps": len(latencies) / elapsed, "p50": pct(50), "p99": pct(99), "errors": errors[0]}


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _serve(env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi", "--workers", "2", "--threads", "4",
         "--preload", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    _wait_for(port)
    return server, port


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _trimmed_mean(values):
    """The mean without the lowest and the highest (a stalled second on a shared host)."""
    ordered = sorted(values)
    kept = ordered[1:-1] if len(ordered) > 3 else ordered
    return sum(kept) / len(kept)


def _combined(samples: list[dict]) -> dict:
    """Rounds of one page at one size: throughput as a trimmed mean (half the rounds
    ran first of their pair and half second, so the order weighs the same on both
    sizes), median latencies."""
    return {
        "rps": _trimmed_mean([x["rps"] for x in samples]),
        "p50": _median([x["p50"] for x in samples]),
        "p99": _median([x["p99"] for x in samples]),
        "errors": sum(x["errors"] for x in samples),
    }


def _load_page(runs, servers, generator, position, path, duration, connections) -> dict:
    """One page: one-second rounds, small and large alternating (S L L S S L L S …),
    ``duration`` of each. A machine shared with others drifts within seconds; the two
    rounds of a pair see about the same machine."""
    urls = {size: f"http://127.0.0.1:{servers[size][1]}{path}" for size in runs}
    for size in runs:  # warm both workers and their caches
        generator(urls[size], runs[size]["cookie"], 1, connections)
    samples = {size: [] for size in runs}
    for round_ in range(max(4, 2 * round(duration / 2))):  # even: as often first as second
        order = list(runs) if (position + round_) % 2 == 0 else list(reversed(runs))
        for size in order:
            samples[size].append(generator(urls[size], runs[size]["cookie"], 1, connections))
    return {size: _combined(samples[size]) for size in runs}


def load(runs: dict, duration: float, connections: int) -> None:
    """Both datasets served at once, each page loaded on one then the other in rounds
    that alternate, so the two figures of a row see the same machine. The ceiling is
    loaded first and again last, the same way; a page's share is of the two's mean."""
    generator = _wrk if shutil.which("wrk") else _python_client
    servers = {}
    try:
        for size, run in runs.items():
            servers[size] = _serve(run["env"])
        urls = runs["small"]["urls"]
        for position, (name, path) in enumerate(urls):
            figures = _load_page(runs, servers, generator, position, path, duration, connections)
            for size in runs:
                runs[size]["pages"][name].update(figures[size])
        again = _load_page(runs, servers, generator, 0, urls[0][1], duration, connections)
        for size in runs:
            runs[size]["ceiling_again"] = again[size]["rps"]
        large = runs["large"]
        for name, path in large["urls"]:
            if name in SLOW_PAGES:
                url = f"http://127.0.0.1:{servers['large'][1]}{path}"
                alone = generator(url, large["cookie"], min(duration, 4), 1)
                large["pages"][name]["p50_alone"] = alone["p50"]
        for size, (server, _port) in servers.items():
            runs[size]["workers"] = [_peak_rss_mib(pid) for pid in _children(server.pid)]
    finally:
        for server, _port in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def run_size(size_name: str) -> dict:
    """In the child process: build the dataset and count each page's queries."""
    import django

    django.setup()
    built = build(size_name)
    urls = page_urls()
    figures, cookie = queries_and_sizes(built["viewer"], urls)
    return {
        "size": size_name,
        "built": built["timings"],
        "pages": figures,
        "urls": urls,
        "cookie": cookie,
    }


# --- the parent: one child per size, then the table --------------------------------------------


def print_table(small: dict, large: dict) -> None:
    s_pages, l_pages = small["pages"], large["pages"]
    s_ceiling = (s_pages["minimal (ceiling)"]["rps"] + small["ceiling_again"]) / 2
    l_ceiling = (l_pages["minimal (ceiling)"]["rps"] + large["ceiling_again"]) / 2
    head = (f"{'page':<20}{'small r/s':>10}{'p50':>7}{'p99':>7}{'large r/s':>10}{'p50':>7}"
            f"{'p99':>7}{'L/S':>6}{'%ceil':>6}{'queries':>9}{'KB S/L':>12}{'miss ms S/L':>13}  verdict")  # fmt: skip
    print(head)
    print("-" * len(head))
    for name, s in s_pages.items():
        lg = l_pages[name]
        ratio = lg["rps"] / s["rps"] if s["rps"] else 0
        share = lg["rps"] / l_ceiling if l_ceiling else 0
        verdict = []
        if name != "minimal (ceiling)":
            if ratio < 0.8 and name not in GROWS_BY_DESIGN:
                verdict.append("L/S<0.8")
            if share < 0.2:
                verdict.append("<20% ceiling")
            if name in SLOW_PAGES and lg.get("p50_alone", lg["p50"]) > SLOW_PAGES_P50_MS:
                verdict.append(f"p50 alone>{SLOW_PAGES_P50_MS}ms")
        if s["status"] != 200 or lg["status"] != 200 or s["errors"] or lg["errors"]:
            verdict.append(f"HTTP {s['status']}/{lg['status']} errors {s['errors']}/{lg['errors']}")
        queries = (
            f"{s['queries']}/{lg['queries']}"
            if s["queries"] != lg["queries"]
            else str(s["queries"])
        )
        print(
            f"{name:<20}{s['rps']:>10.1f}{s['p50']:>7.1f}{s['p99']:>7.1f}{lg['rps']:>10.1f}"
            f"{lg['p50']:>7.1f}{lg['p99']:>7.1f}{ratio:>6.2f}{share * 100:>5.0f}%{queries:>9}"
            f"{s['bytes'] / 1024:>6.1f}/{lg['bytes'] / 1024:<5.1f}"
            f"{s['miss_ms']:>7.1f}/{lg['miss_ms']:<5.1f}  {', '.join(verdict) or 'ok'}"
        )
    print(
        f"\nceiling (minimal signed-in page, mean of first and last): small {s_ceiling:.0f} r/s"
        f" ({s_pages['minimal (ceiling)']['rps']:.0f}, {small['ceiling_again']:.0f}),"
        f" large {l_ceiling:.0f} r/s ({l_pages['minimal (ceiling)']['rps']:.0f},"
        f" {large['ceiling_again']:.0f})"
    )
    alone = [
        f"{name} {l_pages[name]['p50_alone']:.1f}"
        for name in SLOW_PAGES
        if "p50_alone" in l_pages[name]
    ]
    if alone:
        print(
            f"p50 with one connection, large (ms; target <= {SLOW_PAGES_P50_MS}): {', '.join(alone)}"
        )
    for result in (small, large):
        built = ", ".join(f"{k} {v:.1f}s" for k, v in result["built"].items())
        workers = ", ".join(f"{mib:.0f}" for mib in result["workers"])
        print(f"{result['size']}: built in {built}; gunicorn workers' peak RSS MiB: {workers}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=12.0, help="seconds of load per page and size"
    )
    # Eight keep-alive connections: with four, two workers often shared them 3:1 or 4:0
    # for a whole round, halving that round's throughput whatever the page.
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--nodes", type=int, help="nodes of the large cluster (default 5000)")
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    parser.add_argument("--child", choices=list(SIZES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.nodes:
        SIZES["large"]["nodes"] = args.nodes

    if args.child:
        print(json.dumps(run_size(args.child)))
        return

    url = os.environ.get("DATABASE_URL", "")
    runs = {}
    databases = []
    try:
        for size in SIZES:
            admin_url, db_url, name = database_urls(url, f"pages_{size}")
            recreate(admin_url, name)
            databases.append((admin_url, name))
            env = {
                **os.environ,
                "DATABASE_URL": db_url,
                "DJANGO_SETTINGS_MODULE": "pages_settings",
                "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
                "PORTAL_TESTING": "true",  # local accounts, plain static files, quick hashes
                "CACHE_KEY_PREFIX": f"pages-bench-{size}-{os.getpid()}",
                "LOG_LEVEL": "WARNING",
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "DB_CONN_MAX_AGE": "60",  # as the compose file and the Kubernetes manifests
                "PAGE_CACHE_SECONDS": "60",  # as deployed (off by default under PORTAL_TESTING)
            }
            command = [sys.executable, __file__, "--child", size]
            if args.nodes:
                command += ["--nodes", str(args.nodes)]
            print(f"building the {size} dataset ...", file=sys.stderr, flush=True)
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if out.returncode:
                sys.stderr.write(out.stderr[-5000:])
                sys.exit(f"building the {size} dataset failed")
            runs[size] = {**json.loads(out.stdout.strip().splitlines()[-1]), "env": env}
        print("loading both, page by page ...", file=sys.stderr, flush=True)
        load(runs, args.duration, args.connections)
    finally:
        if not args.keep:
            for admin_url, name in databases:
                recreate(admin_url, name, drop_only=True)
    print_table(runs["small"], runs["large"])


if __name__ == "__main__":
    main()
