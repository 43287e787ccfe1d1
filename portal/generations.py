"""Generation tokens: one per *scope* of change, kept in the cache, replaced after a
change commits. Whatever is cached under a scope's token (a drawn graph, a rendered
page) is found only while the token holds, so a change is seen at once without
knowing which cached values it touched.

A new token, not a counter: a token lost from the cache (evicted, a restart) is
replaced by another one, never by an old value whose entries may still be cached.
Replaced after the commit, so that no one caches the old state under the new token.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)


def key_of(scope: str) -> str:
    return f"generation:{scope}"


def changed(scope: str) -> None:
    """``scope``'s token is replaced once the current transaction commits."""

    def replace() -> None:
        try:
            cache.set(key_of(scope), uuid.uuid4().hex, None)
        except Exception:  # an unreachable cache: the entries' TTLs still bound them
            log.warning("could not replace the %s generation", scope, exc_info=True)

    transaction.on_commit(replace)


def tokens(scopes: tuple[str, ...], found: dict | None = None) -> list[str]:
    """The current token of each scope; ``found`` is what a ``get_many`` that asked
    for their ``key_of`` (among other keys) returned, else they are read here. A
    missing token is created."""
    keys = [key_of(scope) for scope in scopes]
    found = dict(found) if found is not None else cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, None)
            found[key] = cache.get(key) or ""
    return [found[key] for key in keys]


def token(scope: str) -> str:
    return tokens((scope,))[0]
