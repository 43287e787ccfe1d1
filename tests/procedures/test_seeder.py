"""The starter set: loaded once, approved in demo mode, skipped when absent."""

from __future__ import annotations

import io

import pytest

from procedures import seed
from procedures.models import Procedure, ProcedureVersion
from tests.procedures.test_docs_as_code import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def starter(tmp_path, monkeypatch):
    (tmp_path / "en").mkdir()
    (tmp_path / "ru").mkdir()
    (tmp_path / "en" / "dataset-versioning.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "ru" / "dataset-versioning.md").write_text(
        GOOD.replace("title: Dataset versioning", "title: Версионирование датасетов"),
        encoding="utf-8",
    )
    monkeypatch.setattr(seed, "STARTER_DIR", tmp_path)
    return tmp_path


def test_seeding_twice_creates_once_and_demo_approves(starter, django_user_model):
    django_user_model.objects.create_superuser("admin", "admin@example.org", "x")
    out = io.StringIO()
    seed.seed_procedures(stdout=out, demo=True)
    procedure = Procedure.objects.get(slug="dataset-versioning")
    version = procedure.versions.get()
    assert version.status == "approved"
    assert version.author.username == "admin"
    assert version.reviews.get().reviewer.username == "portal"
    seed.seed_procedures(stdout=out, demo=True)
    assert ProcedureVersion.objects.count() == 1


def test_without_demo_the_starter_stays_a_draft_owned_by_the_portal(starter):
    seed.seed_procedures(stdout=io.StringIO(), demo=False)
    procedure = Procedure.objects.get()
    assert procedure.owner.username == "portal"
    assert procedure.versions.get().status == "draft"
    assert not procedure.owner.has_usable_password()


def test_language_comes_from_the_environment(starter, monkeypatch):
    monkeypatch.setenv("STARTER_LANGUAGE", "ru")
    seed.seed_procedures(stdout=io.StringIO(), demo=False)
    assert Procedure.objects.get().title == "Версионирование датасетов"


def test_missing_starter_folder_is_fine(tmp_path, monkeypatch):
    monkeypatch.setattr(seed, "STARTER_DIR", tmp_path / "absent")
    out = io.StringIO()
    seed.seed_procedures(stdout=out, demo=True)
    assert "nothing to load" in out.getvalue()
    assert not Procedure.objects.exists()
