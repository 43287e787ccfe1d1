"""Load the starter content (idempotent) and, with --demo, local demo accounts."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.audit import audit_record
from portal.registry import registry
from portal.roles import ROLE_NAMES

DEMO_PEOPLE = {
    "alice": ("Alice", "Editor", "portal-editor"),
    "bob": ("Bob", "Approver", "portal-approver"),
    "carol": ("Carol", "Newcomer", "portal-viewer"),
    "dave": ("Dave", "Admin", "portal-admin"),
}


class Command(BaseCommand):
    help = "Load starter content; with --demo also demo accounts and the demo inventory."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="create demo accounts and data")

    def handle(self, *args, demo: bool, **options):
        for name in ROLE_NAMES:
            Group.objects.get_or_create(name=name)
        if demo:
            self._demo_accounts()
        for _order, name, seed in registry.seeders:
            with transaction.atomic():
                seed(stdout=self.stdout, demo=demo)
            self.stdout.write(f"seeded {name}")

    def _demo_accounts(self):
        User = get_user_model()
        password_file = settings.VAR_DIR / "admin-password.txt"
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            password = secrets.token_urlsafe(12)
            admin = User.objects.create_superuser("admin", "admin@localhost", password)
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n", encoding="utf-8")
            password_file.chmod(0o600)
            audit_record(actor=None, verb="user.create", obj=admin, after={"superuser": True})
        for username, (first, last, role) in DEMO_PEOPLE.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                },
            )
            if created:
                user.set_password(f"demo-{username}")
                user.save()
                user.groups.set([Group.objects.get(name=role)])
                audit_record(actor=None, verb="user.create", obj=user, after={"role": role})
        shown = password_file.read_text().strip() if password_file.exists() else "(unchanged)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Local admin: admin / {shown}  (also in {password_file})\n"
                "Demo people: alice (editor), bob (approver), carol (viewer), dave (admin); "
                "password demo-<name>, e.g. demo-alice"
            )
        )
