#!/usr/bin/env python3
"""What a real Celery worker keeps in memory after syncing a large cluster from files.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/worker_memory.py [--nodes 5000] [--syncs 2]

It writes a files-source folder of N copies of the demo's 8-GPU node (``nodes.json``
and one ``nvidia-smi/<node>.xml`` of 133 KB each, UUIDs made unique: 665 MB of XML at
5,000 nodes) into a temporary directory, creates ``<database>_worker`` beside
DATABASE_URL's database and migrates it, starts ``celery worker -Q inventory`` (prefork,
one child, the portal's own settings) and sends ``inventory.sync_cluster`` ``--syncs``
times (the first creates everything, the next ones find nothing changed). It prints the
worker child's resident memory before, at its peak during each sync, and after each
sync, with the task's duration; then drops the database and the folder.

Target (issue "Fast at scale", memory): the worker does not keep the parse's memory
after a sync: resident memory after a 5,000-node sync within 100 MB of what it was
before (``CELERY_WORKER_MAX_MEMORY_PER_CHILD`` replaces a child that grew past its
limit once its task is done). One run (load ~6 on 2 cores): before 103 MiB; without the
release, 214 MiB kept after the first sync and 247 after the second; with
``release_memory`` only, 183 / 203; with the default 160,000 KiB limit too, the child is
replaced and the worker keeps 103 MiB. Peak during a sync: 264-270 MiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from throwaway_db import database_urls, recreate

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "inventory" / "demo" / "cluster"
TEMPLATE_NODE = "dgx-a100-01"


def write_folder(folder: Path, nodes: int) -> int:
    """N copies of the demo's DGX node; returns the bytes of XML written."""
    demo_nodes = json.loads((DEMO / "nodes.json").read_text())
    [template] = [n for n in demo_nodes["items"] if n["metadata"]["name"] == TEMPLATE_NODE]
    xml = (DEMO / "nvidia-smi" / f"{TEMPLATE_NODE}.xml").read_text()
    items = []
    (folder / "nvidia-smi").mkdir(parents=True)
    written = 0
    for i in range(nodes):
        name = f"gpu-{i:05d}"
        node = json.loads(json.dumps(template))
        node["metadata"]["name"] = name
        node["metadata"]["uid"] = f"uid-{i:08d}"
        node["metadata"].setdefault("labels", {})["kubernetes.io/hostname"] = name
        items.append(node)
        # The demo's UUIDs end in a100000000NN: make them unique per node.
        text = xml.replace("-a100000000", f"-{i:08d}a1").replace(TEMPLATE_NODE, name)
        (folder / "nvidia-smi" / f"{name}.xml").write_text(text)
        written += len(text)
    (folder / "nodes.json").write_text(json.dumps({"kind": "List", "items": items}))
    return written


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


class Sampler(threading.Thread):
    """The largest RSS of the worker's children while it runs."""

    def __init__(self, parent: int) -> None:
        super().__init__(daemon=True)
        self.parent, self.peak, self.done = parent, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for child in _children(self.parent):
                with contextlib.suppress(FileNotFoundError):  # the child just exited
                    self.peak = max(self.peak, _rss_mib(child))
            time.sleep(0.05)


def _manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout  # fmt: skip


def prepare(env: dict, folder: Path, nodes: int) -> int:
    """The folder, the migrated database and a cluster with a files source: its id."""
    started = time.perf_counter()
    xml_bytes = write_folder(folder, nodes)
    print(
        f"{nodes} nodes, {xml_bytes / 2**20:.0f} MiB of nvidia-smi XML written "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _manage(env, "migrate", "-v0")
    setup = (
        "from inventory.models import Cluster, InventorySource;"
        "from inventory.choices import SourceKind;"
        "c = Cluster.objects.create(name='bench');"
        "InventorySource.objects.create(cluster=c, name='files', kind=SourceKind.FILES,"
        f" config={{'path': {str(folder)!r}}});"
        "print(c.pk)"
    )
    return int(_manage(env, "shell", "--no-imports", "-c", setup).split()[-1])


def start_worker(env: dict) -> subprocess.Popen:
    """``celery worker -Q inventory`` with one prefork child, once that child runs."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "inventory", "-c", "1",
         "--pool", "prefork", "-l", "warning", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.time() + 60
    while not _children(worker.pid) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    if not _children(worker.pid):
        worker.kill()
        sys.exit("the worker started no child process (see its output above)")
    return worker


def measure(env: dict, worker: subprocess.Popen, cluster_id: int, syncs: int) -> None:
    print(f"worker child before: {_rss_mib(_children(worker.pid)[0]):.0f} MiB")
    send = (
        "import time; from inventory.tasks import sync_cluster;"
        f"t = time.perf_counter(); r = sync_cluster.apply_async(args=[{cluster_id}]);"
        "out = r.get(timeout=1800);"
        "print(round(time.perf_counter() - t, 1), out.get('status'))"
    )
    for number in range(1, syncs + 1):
        sampler = Sampler(worker.pid)
        sampler.start()
        result = _manage(env, "shell", "--no-imports", "-c", send).split()
        sampler.done.set()
        sampler.join()
        time.sleep(1)
        # A child replaced for its size shows as the fresh one (or none for a moment).
        after = [_rss_mib(pid) for pid in _children(worker.pid)] or [0.0]
        print(
            f"sync {number}: {result[0]} s ({' '.join(result[1:])}), child peak "
            f"{sampler.peak:.0f} MiB, after {', '.join(f'{m:.0f}' for m in after)} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--syncs", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL must point at Redis (the worker's broker)")
    admin_url, url, name = database_urls(os.environ.get("DATABASE_URL", ""), "worker")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.setdefault("SECRET_KEY", "bench-worker-memory-not-a-secret-0123456789abcdef")
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="worker-memory-"))
    worker = None
    try:
        recreate(admin_url, name)
        cluster_id = prepare(env, folder / "cluster", args.nodes)
        worker = start_worker(env)
        measure(env, worker, cluster_id, args.syncs)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        shutil.rmtree(folder, ignore_errors=True)
        recreate(admin_url, name, drop_only=True)


if __name__ == "__main__":
    main()
