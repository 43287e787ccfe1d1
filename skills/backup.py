"""Skills in a portal backup: the catalogue, who has which level (with who
confirmed it), and what roles need, as JSON rows."""

from __future__ import annotations

from portal.backup import Table, table_export, table_restore
from portal.registry import registry
from skills.models import PersonSkill, RoleSkill, Skill, SkillComponent

TABLES = (
    Table(Skill, "skills/skills.json", m2m={"elements": "code"}),
    Table(SkillComponent, "skills/skill-components.json"),
    Table(PersonSkill, "skills/levels.json", users=("user", "confirmed_by")),
    Table(RoleSkill, "skills/role-needs.json", natural={"role": "slug"}),
)


def skills_export(writer) -> None:
    for table in TABLES:
        table_export(writer, table)


def skills_restore(reader) -> None:
    for table in TABLES:
        table_restore(reader, table)


def register() -> None:
    registry.add_backup_part(
        50, "skills", skills_export, skills_restore, must_be_empty=tuple(t.label for t in TABLES)
    )
