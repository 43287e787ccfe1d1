"""The words ADR files use, in English, Russian and French: metadata keys, section
headings and status words, each mapped to what the portal stores. Keys are lower
case; the reader lower-cases and strips what it finds before looking it up."""

from __future__ import annotations

import re

from knowledge.choices import AdrStatus, LinkKind

# Section heading → field. MADR 2/3 names map onto the MADR 4 fields.
SECTION_NAMES = {
    # English
    "context and problem statement": "context",
    "context": "context",
    "decision drivers": "drivers",
    "considered options": "options",
    "decision outcome": "outcome",
    "decision": "outcome",
    "consequences": "consequences",
    "positive consequences": "consequences",
    "negative consequences": "consequences",
    "confirmation": "confirmation",
    "validation": "confirmation",
    "pros and cons of the options": "pros_cons",
    "more information": "more_info",
    "links": "more_info",
    "references": "more_info",
    # Russian
    "контекст и постановка проблемы": "context",
    "контекст и постановка задачи": "context",
    "контекст и проблема": "context",
    "контекст": "context",
    "факторы принятия решения": "drivers",
    "движущие силы решения": "drivers",
    "причины": "drivers",
    "рассмотренные варианты решения": "options",
    "рассмотренные варианты": "options",
    "рассматриваемые варианты": "options",
    "альтернативы": "options",
    "результат принятия решения": "outcome",
    "принятое решение": "outcome",
    "решение": "outcome",
    "последствия": "consequences",
    "положительные последствия": "consequences",
    "позитивные последствия": "consequences",
    "отрицательные последствия": "consequences",
    "негативные последствия": "consequences",
    "подтверждение": "confirmation",
    "проверка": "confirmation",
    "плюсы и минусы вариантов": "pros_cons",
    "плюсы и минусы": "pros_cons",
    "дополнительная информация": "more_info",
    "ссылки": "more_info",
    # French
    "contexte et énoncé du problème": "context",
    "contexte et définition du problème": "context",
    "contexte": "context",
    "facteurs de décision": "drivers",
    "options considérées": "options",
    "options envisagées": "options",
    "résultat de la décision": "outcome",
    "décision": "outcome",
    "conséquences": "consequences",
    "conséquences positives": "consequences",
    "conséquences négatives": "consequences",
    "avantages et inconvénients des options": "pros_cons",
    "informations complémentaires": "more_info",
    "liens": "more_info",
    "références": "more_info",
}
# Sub-headings that have no field of their own: kept, one level down, in the
# consequences text so that nothing the author wrote is lost.
KEPT_SUBHEADINGS = {
    name for name in SECTION_NAMES if SECTION_NAMES[name] == "consequences" and " " in name
}

# Metadata key (a front matter key, a "* Key: value" line or a "## Key" heading) →
# what it fills. "status", "date", "tags" and "elements" are read specially; the
# people keys name a list field of the record.
META_KEYS = {
    "status": "status",
    "статус": "status",
    "statut": "status",
    "état": "status",
    "date": "date",
    "last modified": "date",
    "last updated": "date",
    "дата": "date",
    "дата создания": "date",
    "дата принятия": "date",
    "дата принятия решения": "date",
    "decision-makers": "decision_makers",
    "decision makers": "decision_makers",
    "deciders": "decision_makers",
    "authors": "decision_makers",
    "author": "decision_makers",
    "участники": "decision_makers",
    "ответственные": "decision_makers",
    "авторы": "decision_makers",
    "автор": "decision_makers",
    "принимающие решение": "decision_makers",
    "décideurs": "decision_makers",
    "décisionnaires": "decision_makers",
    "auteurs": "decision_makers",
    "consulted": "consulted",
    "консультанты": "consulted",
    "consultés": "consulted",
    "informed": "informed",
    "проинформированы": "informed",
    "informés": "informed",
    "tags": "tags",
    "теги": "tags",
    "метки": "tags",
    "étiquettes": "tags",
    "elements": "elements",
}
PEOPLE_FIELDS = ("decision_makers", "consulted", "informed")

# Link phrases as they appear in files (adr-tools used to spell "supercede").
# Each maps to (kind, the file's record is the source?).
LINK_PHRASES = {
    "supersedes": (LinkKind.SUPERSEDES, True),
    "supercedes": (LinkKind.SUPERSEDES, True),
    "superseded by": (LinkKind.SUPERSEDES, False),
    "superceded by": (LinkKind.SUPERSEDES, False),
    "replaced by": (LinkKind.SUPERSEDES, False),
    "amends": (LinkKind.AMENDS, True),
    "amended by": (LinkKind.AMENDS, False),
    "relates to": (LinkKind.RELATES_TO, True),
    "related to": (LinkKind.RELATES_TO, True),
    "заменяет": (LinkKind.SUPERSEDES, True),
    "заменено": (LinkKind.SUPERSEDES, False),
    "заменено на": (LinkKind.SUPERSEDES, False),
    "дополняет": (LinkKind.AMENDS, True),
    "связано с": (LinkKind.RELATES_TO, True),
    "remplace": (LinkKind.SUPERSEDES, True),
    "remplacé par": (LinkKind.SUPERSEDES, False),
    "modifie": (LinkKind.AMENDS, True),
    "modifié par": (LinkKind.AMENDS, False),
    "lié à": (LinkKind.RELATES_TO, True),
}
FRONT_MATTER_LINKS = {
    "supersedes": (LinkKind.SUPERSEDES, True),
    "superseded-by": (LinkKind.SUPERSEDES, False),
    "amends": (LinkKind.AMENDS, True),
    "amended-by": (LinkKind.AMENDS, False),
    "relates-to": (LinkKind.RELATES_TO, True),
}

# A status word outside the five → the nearest of the five. The wording itself is
# kept on the record. Multi-word phrases are looked up before first words.
NEAREST_STATUS = {
    **{value: value for value in AdrStatus.values},
    "draft": AdrStatus.PROPOSED,
    "on hold": AdrStatus.PROPOSED,
    "hold": AdrStatus.PROPOSED,
    "pending": AdrStatus.PROPOSED,
    "open": AdrStatus.PROPOSED,
    "in progress": AdrStatus.PROPOSED,
    "under review": AdrStatus.PROPOSED,
    "review": AdrStatus.PROPOSED,
    "proposal": AdrStatus.PROPOSED,
    "suggested": AdrStatus.PROPOSED,
    "approved": AdrStatus.ACCEPTED,
    "agreed": AdrStatus.ACCEPTED,
    "adopted": AdrStatus.ACCEPTED,
    "decided": AdrStatus.ACCEPTED,
    "done": AdrStatus.ACCEPTED,
    "implemented": AdrStatus.ACCEPTED,
    "active": AdrStatus.ACCEPTED,
    "declined": AdrStatus.REJECTED,
    "abandoned": AdrStatus.REJECTED,
    "withdrawn": AdrStatus.REJECTED,
    "obsolete": AdrStatus.DEPRECATED,
    "retired": AdrStatus.DEPRECATED,
    "replaced": AdrStatus.SUPERSEDED,
    "superceded": AdrStatus.SUPERSEDED,
    # Russian
    "принято": AdrStatus.ACCEPTED,
    "принят": AdrStatus.ACCEPTED,
    "принята": AdrStatus.ACCEPTED,
    "утверждено": AdrStatus.ACCEPTED,
    "предложено": AdrStatus.PROPOSED,
    "предложен": AdrStatus.PROPOSED,
    "черновик": AdrStatus.PROPOSED,
    "на рассмотрении": AdrStatus.PROPOSED,
    "на согласовании": AdrStatus.PROPOSED,
    "в работе": AdrStatus.PROPOSED,
    "обсуждается": AdrStatus.PROPOSED,
    "отклонено": AdrStatus.REJECTED,
    "отклонён": AdrStatus.REJECTED,
    "отклонен": AdrStatus.REJECTED,
    "устарело": AdrStatus.DEPRECATED,
    "устарел": AdrStatus.DEPRECATED,
    "отменено": AdrStatus.DEPRECATED,
    "заменено": AdrStatus.SUPERSEDED,
    "заменён": AdrStatus.SUPERSEDED,
    "заменен": AdrStatus.SUPERSEDED,
    # French
    "accepté": AdrStatus.ACCEPTED,
    "acceptée": AdrStatus.ACCEPTED,
    "proposé": AdrStatus.PROPOSED,
    "proposée": AdrStatus.PROPOSED,
    "brouillon": AdrStatus.PROPOSED,
    "rejeté": AdrStatus.REJECTED,
    "rejetée": AdrStatus.REJECTED,
    "refusé": AdrStatus.REJECTED,
    "déprécié": AdrStatus.DEPRECATED,
    "dépréciée": AdrStatus.DEPRECATED,
    "obsolète": AdrStatus.DEPRECATED,
    "remplacé": AdrStatus.SUPERSEDED,
    "remplacée": AdrStatus.SUPERSEDED,
}

# Status words that are only the five said in another language: kept as written,
# without a warning.
STATUS_TRANSLATIONS = {
    "принято", "принят", "принята", "предложено", "предложен", "отклонено", "отклонён",
    "отклонен", "устарело", "устарел", "заменено", "заменён", "заменен", "accepté",
    "acceptée", "proposé", "proposée", "rejeté", "rejetée", "déprécié", "dépréciée",
    "remplacé", "remplacée",
}  # fmt: skip


def nearest_status(text: str) -> str | None:
    """The status of the five that a wording means: its first three, two or one
    words looked up in NEAREST_STATUS ("on hold" → proposed)."""
    words = re.sub(r"[^\w\s-]", " ", text.lower()).split()
    for size in (3, 2, 1):
        if len(words) >= size and " ".join(words[:size]) in NEAREST_STATUS:
            return NEAREST_STATUS[" ".join(words[:size])]
    return None
