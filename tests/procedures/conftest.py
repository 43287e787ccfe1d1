"""Helpers for the procedures tests: a procedure in each workflow state, built
through the services so the tests exercise what users do."""

from __future__ import annotations

import pytest

from procedures import services
from procedures.models import Category, Procedure, ProcedureVersion

BODY = "## Purpose\n\nKeep every dataset version reproducible.\n"


def make_procedure(author, *, slug="dataset-rules", title="Dataset rules", body=BODY, **extra):
    return services.procedure_create(
        actor=author,
        title=title,
        slug=slug,
        category=Category.objects.get(slug="dataset-versioning"),
        body=body,
        elements=["data", "procedures"],
        **extra,
    )


def draft_of(procedure: Procedure) -> ProcedureVersion:
    return procedure.versions.open().get()


def submitted(author, **kwargs) -> ProcedureVersion:
    procedure = make_procedure(author, **kwargs)
    return services.version_submit(actor=author, version=draft_of(procedure))


def approved(author, approver, **kwargs) -> ProcedureVersion:
    version = submitted(author, **kwargs)
    services.version_approve(actor=approver, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    return version


@pytest.fixture
def draft(alice):
    return draft_of(make_procedure(alice))


@pytest.fixture
def in_review(alice):
    return submitted(alice)


@pytest.fixture
def published(alice, bob):
    return approved(alice, bob)
