"""Slugs that read well for Russian titles: transliterate, then slugify.

The table follows the BGN/PCGN romanisation without diacritics ("х" → "kh",
"щ" → "shch"), which is what Russian-speaking engineers type in URLs by hand.
"""

import re

from django.utils.text import slugify

# "[text](href)" → "text", repeatedly, so nested link markup in a title leaves words.
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()\s]*\)")

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}  # fmt: skip


def transliterate(text: str) -> str:
    out = []
    for char in text:
        lower = char.lower()
        if lower in _CYRILLIC:
            latin = _CYRILLIC[lower]
            out.append(latin.capitalize() if char != lower else latin)
        else:
            out.append(char)
    return "".join(out)


def plain_title(title: str) -> str:
    """The words of a title without Markdown link markup (titles like "[Superseded by
    [ADR-0019](0019-x.md)] Push metrics" exist), for slugs and file names."""
    previous = None
    while previous != title:
        previous, title = title, _MD_LINK.sub(r"\1", title)
    return re.sub(r"\\?[\[\]]", "", title)


def make_slug(title: str, max_length: int = 80) -> str:
    slug = slugify(transliterate(plain_title(title)))[:max_length].strip("-")
    return slug or "adr"
