"""The starter procedures, loaded by ``manage.py seed_portal``."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth import get_user_model

from procedures.choices import VersionStatus
from procedures.services import (
    procedures_import_directory,
    system_user,
    version_approve,
    version_submit,
)

STARTER_DIR = Path(__file__).resolve().parent / "starter"
STARTER_LANGUAGES = ("en", "ru")


def starter_language() -> str:
    lang = os.environ.get("STARTER_LANGUAGE", "en").strip().lower() or "en"
    return lang if lang in STARTER_LANGUAGES else "en"


def _owner():
    """The first superuser owns the starter set; without one, the portal itself."""
    User = get_user_model()
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    return admin or system_user()


def _publish(procedure, owner, stdout) -> None:
    """Demo mode: submit as the author and approve as somebody else, so the demo shows
    versions in force without breaking the four-eyes rule."""
    version = procedure.versions.open().first()
    if version is None:
        return
    if version.status != VersionStatus.IN_REVIEW:
        version = version_submit(actor=owner, version=version)
    approver = system_user()
    if approver.pk == version.author_id:
        approver = owner
    if approver.pk == version.author_id:
        return
    version_approve(actor=approver, version=version, content_sha256=version.content_sha256)
    stdout.write(f"  approved {procedure.slug} v{version.number}")


def seed_procedures(stdout, demo: bool) -> None:
    from procedures.models import Procedure

    lang = os.environ.get("STARTER_LANGUAGE", "en").strip().lower() or "en"
    if lang not in STARTER_LANGUAGES:
        stdout.write(f"STARTER_LANGUAGE={lang!r} is not one of en, ru; using en")
    directory = STARTER_DIR / starter_language()
    if not directory.is_dir() or not any(directory.glob("*.md")):
        stdout.write(f"no starter procedures in {directory}; nothing to load")
        return
    owner = _owner()
    for outcome in procedures_import_directory(actor=owner, directory=directory):
        line = f"  {outcome.name}: {outcome.result}"
        stdout.write(line + (f" ({outcome.message})" if outcome.message else ""))
        if demo and outcome.ok and outcome.slug:
            procedure = Procedure.objects.get(slug=outcome.slug)
            if procedure.versions.open().filter(author=owner).exists():
                _publish(procedure, owner, stdout)
