"""Records named in both languages (roles, activities, tracks, steps, skills,
categories) show the reader's name, the other one when theirs is empty."""

from django.utils.translation import get_language


def pick(english: str, russian: str) -> str:
    if (get_language() or "").startswith("ru"):
        return russian or english
    return english or russian
