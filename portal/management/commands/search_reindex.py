"""Rebuild the search index from the records themselves (after a restore, a bulk
import, or a change to what a provider indexes)."""

from django.core.management.base import BaseCommand, CommandError

from portal.registry import registry
from portal.search import search_reindex_all, search_reindex_kind


class Command(BaseCommand):
    help = "Rebuild the search index (all kinds, or the kinds named)."

    def add_arguments(self, parser):
        parser.add_argument("kinds", nargs="*", help="kinds to rebuild (default: all)")

    def handle(self, *args, kinds: list[str], **options):
        unknown = sorted(set(kinds) - set(registry.search_providers))
        if unknown:
            known = ", ".join(sorted(registry.search_providers))
            raise CommandError(f"unknown kind(s): {', '.join(unknown)}; known: {known}")
        counts = (
            {kind: search_reindex_kind(kind) for kind in kinds} if kinds else search_reindex_all()
        )
        for kind, n in counts.items():
            self.stdout.write(f"{kind}: {n}")
