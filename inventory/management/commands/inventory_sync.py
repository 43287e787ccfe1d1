"""Sync a cluster's inventory now, in this process: ``inventory_sync prod`` or ``--all``."""

from django.core.management.base import BaseCommand, CommandError

from inventory.locks import ClusterBusy
from inventory.models import Cluster
from inventory.services import cluster_sync


class Command(BaseCommand):
    help = "Read a cluster's enabled sources and reconcile the inventory."

    def add_arguments(self, parser):
        parser.add_argument("cluster", nargs="*", help="cluster name(s) or id(s)")
        parser.add_argument("--all", action="store_true", help="every cluster")

    def handle(self, *args, cluster: list[str], all: bool, **options):
        if all == bool(cluster):
            raise CommandError("give cluster names, or --all")
        if all:
            clusters = list(Cluster.objects.order_by("name"))
        else:
            clusters = []
            for ref in cluster:
                found = Cluster.objects.filter(name=ref).first()
                if found is None and ref.isdigit():
                    found = Cluster.objects.filter(pk=int(ref)).first()
                if found is None:
                    raise CommandError(f"no cluster {ref!r}")
                clusters.append(found)
        failed = False
        for item in clusters:
            try:
                runs = cluster_sync(cluster_id=item.pk)
            except ClusterBusy:
                self.stderr.write(f"{item.name}: a sync is already running")
                failed = True
                continue
            if not runs:
                self.stdout.write(f"{item.name}: no enabled sources to read")
            for run in runs:
                line = (
                    f"{item.name} / {run.source.name if run.source else run.source_kind}: "
                    f"{run.status} in {run.duration_ms} ms, +{run.added} ~{run.changed} "
                    f"-{run.gone}"
                )
                if run.error:
                    failed = True
                    self.stderr.write(f"{line}: {run.error}")
                else:
                    self.stdout.write(line)
        if failed:
            raise CommandError("some sources failed; see above")
