"""The portal's own parts of a backup: the people (first, everything names them) and
the audit log (last, it names everything)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from portal.backup.archive import BackupError
from portal.backup.tables import Table, table_load, table_rows, user_placeholder
from portal.models import AuditEvent, OidcIdentity
from portal.registry import registry

USERS = "users.json"
# Rows get new keys: a database being restored into may already log its own events.
AUDIT = Table(
    AuditEvent, "audit/events.json", users=("actor",), keep_pk=False, order_by=("created_at", "id")
)


def users_export(writer) -> None:
    """Names, email, groups and the Keycloak identity that signs them in: never
    passwords, never tokens."""
    User = get_user_model()
    identities = {
        i.user_id: {"issuer": i.issuer, "subject": i.subject} for i in OidcIdentity.objects.all()
    }
    users = [
        {
            "username": u.username,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "email": u.email,
            "groups": sorted(g.name for g in u.groups.all()),
            "keycloak": identities.get(u.pk),
        }
        for u in User._default_manager.prefetch_related("groups").order_by("username")
    ]
    writer.write_json(USERS, users)
    writer.count("auth.User", len(users))


def users_restore(reader) -> None:
    """People the database lacks are created unable to sign in; people it has are
    left as they are (their passwords and roles here are newer than the backup's)."""
    User = get_user_model()
    rows = reader.read_json(USERS)
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and isinstance(r.get("username"), str) and r["username"] for r in rows
    ):
        raise BackupError(f"{USERS}: expected a list of people, each with a username.")
    existing = set(User._default_manager.values_list("username", flat=True))
    linked = set(OidcIdentity.objects.values_list("issuer", "subject"))
    for row in rows:
        if row["username"] in existing:
            continue
        user = user_placeholder(
            username=row["username"],
            first_name=row.get("first_name", ""),
            last_name=row.get("last_name", ""),
            email=row.get("email", ""),
            groups=row.get("groups", []),
        )
        identity = row.get("keycloak")
        if identity and (identity["issuer"], identity["subject"]) not in linked:
            OidcIdentity.objects.create(
                user=user, issuer=identity["issuer"], subject=identity["subject"]
            )
    reader.keys.forget()


def audit_export(writer) -> None:
    rows = table_rows(AUDIT, writer.keys)
    writer.write_json(AUDIT.path, rows)
    writer.count(AUDIT.label, len(rows))


def audit_restore(reader) -> None:
    table_load(AUDIT, reader.read_json(AUDIT.path), reader.keys)


def register() -> None:
    registry.add_backup_part(0, "users", users_export, users_restore)
    registry.add_backup_part(1000, "audit", audit_export, audit_restore)
