"""A worker child gives a large task's memory back: ``release_memory`` after a sync,
and a child that still ends a task above ``CELERY_WORKER_MAX_MEMORY_PER_CHILD`` is
replaced (figures for a 5,000-node files sync: bench/worker_memory.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Frees 120 MB of 2 KB objects (glibc's heap, not pymalloc's arenas) but keeps every
# 50th alive, the shape a parsed export leaves behind; prints the resident MiB after
# the free and after release_memory().
PROGRAM = """
import gc, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from portal.celery import release_memory

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

blobs = [bytes(2000) + str(i).encode() for i in range(60000)]
kept = blobs[::50]
del blobs
gc.collect()
freed = rss()
trimmed = release_memory()
print(freed, rss(), trimmed)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_release_memory_hands_freed_heap_back_to_the_system():
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_TESTING": "true"},
    ).stdout.split()
    freed, after, trimmed = int(out[0]), int(out[1]), out[2] == "True"
    assert trimmed, "glibc's malloc_trim was not found"
    assert freed - after > 60, (freed, after)


def test_the_worker_replaces_a_child_that_stays_large(settings):
    from portal.celery import app

    assert settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD  # on by default (README's table)
    assert app.conf.worker_max_memory_per_child == settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD
