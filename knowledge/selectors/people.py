"""Who is in which group: Django groups (Keycloak realm roles are synced to them)
plus, when single sign-on records them, the Keycloak groups of the last sign-in."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q

from portal.auth.services import keycloak_groups_of


def normalise_group(name: str) -> str:
    """Roles name a Keycloak group by path ("/ml/engineers") or by name; sign-in
    records names without the path, and Django groups may carry either. Compare
    the last segment, so all of them mean the same group."""
    return name.strip().rstrip("/").rsplit("/", 1)[-1]


def groups_of_users(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """user id → normalised group names, in two queries however many people."""
    User = get_user_model()
    ids = list(set(user_ids))
    result: dict[int, set[str]] = {pk: set() for pk in ids}
    if not ids:
        return result
    through = User.groups.through
    for user_id, name in through.objects.filter(user_id__in=ids).values_list(
        "user_id", "group__name"
    ):
        result[user_id].add(normalise_group(name))
    for user in User.objects.filter(pk__in=ids).select_related("oidc_identity"):
        result[user.pk].update(normalise_group(g) for g in keycloak_groups_of(user))
    return result


def members_of_groups(names: Iterable[str]) -> dict[str, list]:
    """normalised group name → active users in it (Django group or Keycloak group)."""
    User = get_user_model()
    wanted = {normalise_group(n) for n in names if n and n.strip()}
    result: dict[str, list] = {name: [] for name in wanted}
    if not wanted:
        return result
    by_name = Q(group__name__in=wanted)
    for name in wanted:
        by_name |= Q(group__name__endswith="/" + name)
    through = User.groups.through
    rows = through.objects.filter(by_name, user__is_active=True).select_related("user", "group")
    for row in rows:
        name = normalise_group(row.group.name)
        if name in result and all(u.pk != row.user_id for u in result[name]):
            result[name].append(row.user)
    signed_in = User.objects.filter(is_active=True, oidc_identity__isnull=False).select_related(
        "oidc_identity"
    )
    for user in signed_in:
        for group in {normalise_group(g) for g in keycloak_groups_of(user)} & wanted:
            if all(u.pk != user.pk for u in result[group]):
                result[group].append(user)
    for members in result.values():
        members.sort(key=lambda u: u.get_username())
    return result
