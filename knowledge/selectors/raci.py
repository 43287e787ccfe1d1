"""The matrix page in a fixed number of queries, with its findings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from knowledge.choices import ACCOUNTABLE_OVERLOAD, FindingLevel, RaciLetter
from knowledge.models import Activity, Assignment, Role
from knowledge.selectors.people import groups_of_users, members_of_groups, normalise_group
from portal.elements import ELEMENT_ORDER, ElementCode


@dataclass
class Finding:
    level: str
    code: str
    message: str
    activity: Activity | None = None
    role: Role | None = None


@dataclass
class MatrixRow:
    activity: Activity
    cells: list[tuple[int, str]]  # (role id, letter) in the order of ``Matrix.roles``


@dataclass
class MatrixGroup:
    code: str
    label: str
    rows: list[MatrixRow] = field(default_factory=list)


@dataclass
class Matrix:
    roles: list[Role]
    groups: list[MatrixGroup]
    findings: list[Finding]
    members: dict[int, list]


def primary_element(codes) -> str:
    codes = list(codes)
    return min(codes, key=ELEMENT_ORDER.index) if codes else ""


def role_members(roles: list[Role]) -> dict[int, list]:
    by_group = members_of_groups([r.keycloak_group for r in roles])
    return {r.pk: by_group.get(normalise_group(r.keycloak_group), []) for r in roles}


def matrix_findings(roles, activities, members, letters_of: dict[int, dict[int, str]]):
    """``letters_of``: activity id → {role id: letter}."""
    findings: list[Finding] = []
    accountable_count = {r.pk: 0 for r in roles}
    for activity in activities:
        cells = letters_of.get(activity.pk, {})
        letters = set(cells.values())
        for role_id, letter in cells.items():
            if letter == RaciLetter.ACCOUNTABLE:
                accountable_count[role_id] = accountable_count.get(role_id, 0) + 1
        if RaciLetter.ACCOUNTABLE not in letters:
            findings.append(
                Finding(
                    FindingLevel.ERROR,
                    "no_accountable",
                    _("“%(activity)s” has no Accountable role.")
                    % {"activity": activity.display_name},
                    activity=activity,
                )
            )
        if RaciLetter.RESPONSIBLE not in letters:
            findings.append(
                Finding(
                    FindingLevel.WARNING,
                    "no_responsible",
                    _("“%(activity)s” has no Responsible role.")
                    % {"activity": activity.display_name},
                    activity=activity,
                )
            )
    for role in roles:
        if not members.get(role.pk):
            findings.append(
                Finding(
                    FindingLevel.WARNING,
                    "role_without_people",
                    _("Nobody holds the role “%(role)s” (group “%(group)s” has no members).")
                    % {"role": role.display_name, "group": role.keycloak_group or "—"},
                    role=role,
                )
            )
        if accountable_count.get(role.pk, 0) > ACCOUNTABLE_OVERLOAD:
            findings.append(
                Finding(
                    FindingLevel.WARNING,
                    "accountable_overload",
                    _("“%(role)s” is Accountable for %(count)s activities (more than %(limit)s).")
                    % {
                        "role": role.display_name,
                        "count": accountable_count[role.pk],
                        "limit": ACCOUNTABLE_OVERLOAD,
                    },
                    role=role,
                )
            )
    return findings


def raci_matrix() -> Matrix:
    # Letters and element codes are read as plain tuples: a big matrix has thousands
    # of cells, and a model instance (plus a prefetch cache) per cell cost most of the page.
    roles = list(Role.objects.all())
    activities = list(Activity.objects.select_related("procedure"))
    letters_of: dict[int, dict[int, str]] = defaultdict(dict)
    for activity_id, role_id, letter in Assignment.objects.values_list(
        "activity_id", "role_id", "letter"
    ):
        letters_of[activity_id][role_id] = letter
    codes_of: dict[int, list[str]] = defaultdict(list)
    for activity_id, code in Activity.elements.through.objects.values_list(
        "activity_id", "element__code"
    ):
        codes_of[activity_id].append(code)
    members = role_members(roles)
    for role in roles:
        role.people = members[role.pk]
    groups = {code: MatrixGroup(code, label) for code, label in ElementCode.choices}
    other = MatrixGroup("", _("No IS element"))
    role_ids = [role.pk for role in roles]
    for activity in activities:
        letters = letters_of.get(activity.pk, {})
        row = MatrixRow(activity, [(pk, letters.get(pk, "")) for pk in role_ids])
        code = primary_element(codes_of.get(activity.pk, ()))
        (groups[code] if code else other).rows.append(row)
    ordered = [g for g in groups.values() if g.rows] + ([other] if other.rows else [])
    findings = matrix_findings(roles, activities, members, letters_of)
    return Matrix(roles, ordered, findings, members)


def roles_of_person(user) -> list[Role]:
    groups = groups_of_users([user.pk])[user.pk]
    return [r for r in Role.objects.all() if normalise_group(r.keycloak_group) in groups]


def responsibilities_of(user) -> tuple[list[Role], list[Assignment]]:
    roles = roles_of_person(user)
    assignments = list(
        Assignment.objects.filter(role__in=roles)
        .select_related("activity", "role", "activity__procedure")
        .order_by("letter", "activity__order", "activity__name")
    )
    return roles, assignments


def people_panel(request) -> dict:
    roles = list(Role.objects.all())
    members = role_members(roles)
    without_a = list(
        Activity.objects.annotate(
            accountable=Count("assignments", filter=Q(assignments__letter=RaciLetter.ACCOUNTABLE))
        )
        .filter(accountable=0)
        .order_by("order", "name")
    )
    return {
        "role_count": len(roles),
        "without_accountable": without_a[:5],
        "without_accountable_count": len(without_a),
        "roles_without_people": [r for r in roles if not members.get(r.pk)],
    }
