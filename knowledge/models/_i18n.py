from django.utils.translation import get_language


def pick(english: str, russian: str) -> str:
    """Starter content is stored in both languages; show the one the reader uses."""
    if russian and (get_language() or "").startswith("ru"):
        return russian
    return english
