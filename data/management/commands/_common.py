from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def actor_from(username: str | None):
    """``--as NAME`` acts as that person (policy applies); without it, the system."""
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"no user {username!r}") from exc


def write_report(command, report) -> None:
    for f in report.files:
        line = f"{f.name}: {f.message}" if f.ok else f"ERROR {f.message}"
        (command.stdout if f.ok else command.stderr).write(line)
    command.stdout.write(
        f"{report.updated} updated, {report.created} created, {report.skipped} skipped, "
        f"{len(report.errors)} bad files"
    )
