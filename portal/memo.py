"""What one request works out once and several parts of its page use (the home page's
cards and "My work" read the same person's figures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_request(request, key: str, build: Callable[[], T]) -> T:
    """``build()`` the first time ``key`` is asked for during ``request``, its result
    after that. Keys are the caller's to make unique (``"<app>:<what>"``)."""
    memo = request.__dict__.setdefault("_portal_memo", {})
    if key not in memo:
        memo[key] = build()
    return memo[key]
