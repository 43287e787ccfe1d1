"""Follow clusters' Kubernetes APIs and record changes within seconds.

``inventory_watch prod`` or ``--all``: one thread per cluster (see inventory.watcher).
Runs until SIGTERM or Ctrl-C. Start one per deployment, or more as standbys: a Redis
lock per cluster lets only one of them watch it.
"""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from inventory.choices import SourceKind
from inventory.models import Cluster
from inventory.watcher import watch_cluster


class Command(BaseCommand):
    help = "Watch clusters' nodes and pods and reconcile each change as it happens."

    def add_arguments(self, parser):
        parser.add_argument("cluster", nargs="*", help="cluster name(s) or id(s)")
        parser.add_argument(
            "--all", action="store_true", help="every cluster with a Kubernetes source"
        )
        parser.add_argument(
            "--lock-ttl", type=int, default=30, help="seconds a dead watcher holds its cluster"
        )

    def handle(self, *args, cluster: list[str], all: bool, lock_ttl: int, **options):
        if all == bool(cluster):
            raise CommandError("give cluster names, or --all")
        if all:
            ids = list(
                Cluster.objects.filter(sources__kind=SourceKind.KUBERNETES)
                .distinct()
                .order_by("name")
                .values_list("pk", flat=True)
            )
        else:
            ids = []
            for ref in cluster:
                found = Cluster.objects.filter(name=ref).first()
                if found is None and ref.isdigit():
                    found = Cluster.objects.filter(pk=int(ref)).first()
                if found is None:
                    raise CommandError(f"no cluster {ref!r}")
                ids.append(found.pk)
        if not ids:
            raise CommandError("no cluster has a Kubernetes source to watch")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        threads = [
            threading.Thread(
                target=watch_cluster,
                args=(pk, stop),
                kwargs={"lock_ttl": lock_ttl},
                name=f"watch-cluster-{pk}",
            )
            for pk in ids
        ]
        for thread in threads:
            thread.start()
        self.stdout.write(f"watching {len(ids)} cluster(s); stop with SIGTERM or Ctrl-C")
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(1)
