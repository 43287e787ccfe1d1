"""STARTER_LANGUAGE=ru loads a Russian portal: every text of the starter content a
reader sees — procedure titles, summaries and role headers, decision records, their
decision makers and history notes, roles, activities, tracks, steps and skills — is
Russian. Product names and established terms may stay in Latin letters; a text with
no Cyrillic letter beyond them is English left behind."""

from __future__ import annotations

import io
import re

import pytest

pytestmark = pytest.mark.django_db

# Names a Russian text keeps as they are.
KEPT = {
    "ADR", "Ansible", "Argo", "CD", "CI", "ClearML", "CUDA", "DevOps", "GitOps", "GPU",
    "Keycloak", "Kubernetes", "ML", "MLflow", "MLOps", "SSO", "Terraform",
}  # fmt: skip


def english(text: str) -> bool:
    """No Cyrillic letter, and a Latin word that is not a kept name."""
    if not text or re.search("[а-яё]", text, re.IGNORECASE):
        return False
    words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"ADR-\d+", "", text)))
    return bool(words - KEPT)


def test_the_heuristic_tells_english_from_russian():
    assert english("Team lead") and english("starter") and english("Data scientist")
    assert not english("Руководитель команды") and not english("MLOps-инженер")
    assert not english("SSO / Keycloak") and not english("CI/CD") and not english("")


def _raci_headers(body: str) -> list[str]:
    """The role columns of the body's RACI table (the first table with R/A cells)."""
    for table in re.findall(r"((?:^\|.*\|\n)+)", body, re.M):
        lines = table.strip().splitlines()
        if len(lines) > 2 and re.search(r"\|\s*A\s*\|", table):
            return [c.strip() for c in lines[0].strip("|").split("|")][1:]
    return []


@pytest.fixture
def russian_starter(monkeypatch, django_user_model):
    from knowledge.starter import seed_knowledge
    from procedures.seed import seed_procedures
    from skills.starter import seed_skills

    monkeypatch.setenv("STARTER_LANGUAGE", "ru")
    django_user_model.objects.create_superuser("admin", "admin@example.org", "x")
    out = io.StringIO()
    seed_procedures(stdout=out, demo=True)
    seed_knowledge(stdout=out, demo=False)
    seed_skills(stdout=out, demo=False)


def _texts():
    from knowledge.models import Activity, Adr, AdrStatusChange, Role, Track, TrackStep
    from procedures.models import Procedure, ProcedureVersion
    from skills.models import Skill

    yield from (("procedure", p.slug, p.title) for p in Procedure.objects.all())
    for v in ProcedureVersion.objects.select_related("procedure"):
        yield "change summary", v.procedure.slug, v.change_summary
        for header in _raci_headers(v.body):
            yield "role header", v.procedure.slug, header
    for adr in Adr.objects.all():
        yield "decision", adr.code, adr.title
        for person in adr.decision_makers:
            yield "decision maker", adr.code, person
    for change in AdrStatusChange.objects.select_related("adr"):
        yield "history note", change.adr.code, change.note
    for role in Role.objects.all():
        yield "role", role.slug, role.name_ru
        yield "role description", role.slug, role.description
    yield from (("activity", a.slug, a.name_ru) for a in Activity.objects.all())
    yield from (("track", t.role.slug, t.title_ru) for t in Track.objects.select_related("role"))
    yield from (("step", s.pk, s.title_ru) for s in TrackStep.objects.all())
    for skill in Skill.objects.all():
        yield "skill", skill.slug, skill.name_ru
        yield "skill description", skill.slug, skill.description_ru


def test_the_russian_starter_is_russian_throughout(russian_starter):
    texts = list(_texts())
    kinds = {kind for kind, _key, _text in texts}
    assert {"role header", "decision maker", "history note", "skill description"} <= kinds
    left = [
        (kind, key, text)
        for kind, key, text in texts
        if english(text) or (not text and kind != "history note")
    ]
    assert not left, "\n".join(map(str, left))
