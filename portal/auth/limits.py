"""What a stranger can cost the portal: password sign-in lockouts per account and
address, a rate limit on the back-channel endpoint, and refused bearer tokens that
are counted (a metric) but audited at most once per source and interval.

All state is in Django's cache (Redis in deployment, shared by every process):
counters in fixed windows, which is enough to bound cost and keep the audit log
readable, and needs no table.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

PREFIX = "portal:limits"


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _bump(key: str, window: int) -> int:
    """Add one to a counter that lives ``window`` seconds from its first use."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


# --- password sign-in lockout -------------------------------------------------------


def _lockout_key(username: str, address: str) -> str:
    return f"{PREFIX}:lockout:{_digest(username.strip().lower(), address)}"


def lockout_remaining(*, username: str, address: str) -> int:
    """Seconds this account is still locked out from this address (0: not locked)."""
    until = cache.get(f"{_lockout_key(username, address)}:until")
    return max(0, math.ceil(until - time.time())) if until else 0


def lockout_failure_record(*, username: str, address: str) -> bool:
    """Count a failed password; returns whether the account+address is now locked."""
    key = _lockout_key(username, address)
    seconds = settings.AUTH_LOCKOUT_SECONDS
    if _bump(f"{key}:failures", seconds) < settings.AUTH_LOCKOUT_FAILURES:
        return False
    cache.set(f"{key}:until", time.time() + seconds, seconds)
    cache.delete(f"{key}:failures")
    return True


def lockout_clear(*, username: str, address: str) -> None:
    key = _lockout_key(username, address)
    cache.delete_many([f"{key}:failures", f"{key}:until"])


# --- rate limits --------------------------------------------------------------------


def rate_exceeded(*, name: str, address: str, limit: int, window: int) -> bool:
    """Whether ``address`` has made more than ``limit`` calls of ``name`` in the current
    ``window``-second window (this call counted)."""
    slot = int(time.time() // window)
    return _bump(f"{PREFIX}:rate:{name}:{_digest(address)}:{slot}", window) > limit


def first_in_interval(*, name: str, address: str, interval: int) -> bool:
    """True once per ``interval`` seconds for each ``name`` and address."""
    return cache.add(f"{PREFIX}:once:{name}:{_digest(address)}", 1, interval)
