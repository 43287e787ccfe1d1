"""Write every ADR as a Markdown file into a folder (MADR 4 or Nygard / adr-tools)."""

from pathlib import Path

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Export the decision records to DIR as MADR 4 or Nygard Markdown."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--format", choices=["madr", "nygard"], default="madr")

    def handle(self, *args, directory: Path, format: str, **options):
        from knowledge.models import Adr
        from knowledge.selectors.adr import export_files

        directory.mkdir(parents=True, exist_ok=True)
        files = export_files(Adr.objects.all(), format)
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {len(files)} record(s) to {directory}")
