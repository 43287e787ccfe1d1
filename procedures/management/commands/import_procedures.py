"""Load Markdown files with front matter as new drafts (docs-as-code)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from procedures.services import procedures_import_directory, system_user


class Command(BaseCommand):
    help = (
        "Import DIR/*.md as drafts: new procedures are created, changed texts become a new "
        "draft (or update the open one), unchanged files change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="author of the drafts (default: the first superuser, else the portal account)",
        )

    def handle(self, *args, directory: Path, username: str, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        User = get_user_model()
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"no user {username!r}")
        else:
            actor = (
                User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
                or system_user()
            )
        outcomes = procedures_import_directory(actor=actor, directory=directory)
        failed = [o for o in outcomes if not o.ok]
        for outcome in outcomes:
            if outcome.ok:
                self.stdout.write(f"{outcome.name}: {outcome.result}")
            else:
                self.stderr.write(f"{outcome.name}: error: {outcome.message}")
        summary = f"{len(outcomes) - len(failed)} file(s) imported, {len(failed)} refused"
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
