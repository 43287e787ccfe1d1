"""Writes to the responsibility matrix."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from knowledge.choices import RaciLetter
from knowledge.models import Activity, Assignment, Role
from knowledge.services.adr import _elements
from knowledge.slugs import make_slug
from portal.audit import audit_record
from portal.errors import ConflictError
from portal.policy import require


def _role_data(role: Role) -> dict:
    return {
        "name": role.name,
        "name_ru": role.name_ru,
        "keycloak_group": role.keycloak_group,
        "description": role.description,
    }


@transaction.atomic
def role_create(
    *,
    actor,
    name: str,
    name_ru: str = "",
    description: str = "",
    keycloak_group: str = "",
    slug: str = "",
    order: int = 100,
) -> Role:
    require(actor, "matrix.edit")
    role = Role(
        slug=slug or make_slug(name),
        name=name.strip(),
        name_ru=name_ru.strip(),
        description=description,
        keycloak_group=keycloak_group.strip(),
        order=order,
    )
    role.full_clean()
    role.save()
    audit_record(actor=actor, verb="raci.role_create", obj=role, after=_role_data(role))
    return role


@transaction.atomic
def role_update(*, actor, role: Role, **changes) -> Role:
    require(actor, "matrix.edit", role)
    allowed = {"name", "name_ru", "description", "keycloak_group", "order"}
    if set(changes) - allowed:
        raise TypeError(f"cannot change {sorted(set(changes) - allowed)}")
    before = _role_data(role)
    for key, value in changes.items():
        setattr(role, key, value.strip() if isinstance(value, str) else value)
    role.full_clean()
    role.save()
    audit_record(
        actor=actor, verb="raci.role_update", obj=role, before=before, after=_role_data(role)
    )
    return role


@transaction.atomic
def activity_create(
    *,
    actor,
    name: str,
    name_ru: str = "",
    description: str = "",
    elements: Iterable = (),
    procedure=None,
    slug: str = "",
    order: int = 100,
) -> Activity:
    require(actor, "matrix.edit")
    activity = Activity(
        slug=slug or make_slug(name),
        name=name.strip(),
        name_ru=name_ru.strip(),
        description=description,
        procedure=procedure,
        order=order,
    )
    activity.full_clean(exclude=["elements"])
    activity.save()
    element_rows = _elements(elements)
    activity.elements.set(element_rows)
    audit_record(
        actor=actor,
        verb="raci.activity_create",
        obj=activity,
        after={
            "name": activity.name,
            "elements": [e.code for e in element_rows],
            "procedure": procedure.pk if procedure else None,
        },
    )
    return activity


@transaction.atomic
def assignment_set(
    *, actor, activity: Activity, role: Role, letter: str | None
) -> Assignment | None:
    """Put ``letter`` in the cell (activity, role); an empty letter clears it.

    Exactly one Accountable per activity: the database refuses a second A, and this
    says which role already holds it."""
    require(actor, "matrix.edit", activity)
    letter = (letter or "").strip().upper() or None
    if letter is not None and letter not in RaciLetter.values:
        raise ValidationError({"letter": _("The letter must be one of R, A, C, I.")})
    current = Assignment.objects.select_for_update().filter(activity=activity, role=role).first()
    before = current.letter if current else None
    if before == letter:
        return current
    if letter == RaciLetter.ACCOUNTABLE:
        holder = (
            Assignment.objects.filter(activity=activity, letter=RaciLetter.ACCOUNTABLE)
            .exclude(role=role)
            .select_related("role")
            .first()
        )
        if holder is not None:
            raise ConflictError(_accountable_taken(activity, holder.role), code="one_accountable")
    try:
        with transaction.atomic():
            if letter is None:
                current.delete()
                result = None
            elif current is None:
                result = Assignment.objects.create(activity=activity, role=role, letter=letter)
            else:
                current.letter = letter
                current.save(update_fields=["letter"])
                result = current
    except IntegrityError as exc:
        # Another editor gave the A to some role between our check and our write.
        holder = (
            Assignment.objects.filter(activity=activity, letter=RaciLetter.ACCOUNTABLE)
            .select_related("role")
            .first()
        )
        raise ConflictError(
            _accountable_taken(activity, holder.role) if holder else str(exc),
            code="one_accountable",
        ) from exc
    audit_record(
        actor=actor,
        verb="raci.assignment_set",
        obj=activity,
        before={"role": role.slug, "letter": before},
        after={"role": role.slug, "letter": letter},
    )
    return result


def _accountable_taken(activity: Activity, role: Role) -> str:
    return _(
        "“%(role)s” is already Accountable for “%(activity)s”. An activity has exactly one "
        "Accountable: take the A from that role first."
    ) % {"role": role.display_name, "activity": activity.display_name}
