"""Notifications: in the portal (the bell), by e-mail and to webhooks.

Apps never call this package from their services. Every state change already
writes an AuditEvent; apps register *rules* that turn an event's verb into
messages, and *periodic checks* (run daily) for what happens with time (reviews
coming due, overdue onboarding). Delivery runs in Celery tasks after the commit, so
a slow or failing mail server never touches the action that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """Tell ``recipients`` (users or user ids) about something. ``text_key`` names a
    sentence registered with ``notification_kind``; ``params`` fills it in."""

    kind: str
    recipients: Iterable
    text_key: str
    params: dict = field(default_factory=dict)
    url: str = ""
    dedup_key: str = ""
    fallback_text: str = ""


@dataclass(frozen=True)
class Resolved:
    """What a rule returns, beside messages, when the event settles an earlier notice:
    the recipients' unread notifications under ``dedup_key`` are marked read (carol
    acknowledges, so "read and acknowledge it" stops asking)."""

    recipients: Iterable
    dedup_key: str


def notification_kind(key: str, label, *, texts: dict) -> str:
    """Register a kind of notification a person can choose (``label``, shown on the
    preferences page) and the sentences, by text key, its messages are told in (lazy
    translations with ``%(name)s`` parameters, filled in the reader's language when
    shown). Returns ``key``, for the app's rules to name it by."""
    from portal.registry import registry

    registry.add_notification_kind(key, label)
    for text_key, text in texts.items():
        registry.add_notification_text(text_key, text)
    return key


Rule = Callable[[object], Iterable[Message]]
Check = Callable[[], Iterable[Message]]

_RULES: dict[str, list[Rule]] = {}
_CHECKS: dict[str, tuple[Check, str]] = {}
FREQUENCIES = ("daily", "hourly")


def notification_rule(verb: str) -> Callable[[Rule], Rule]:
    """``@notification_rule("procedure.version_submit")`` on ``f(event) -> messages``."""

    def register(func: Rule) -> Rule:
        rules = _RULES.setdefault(verb, [])
        if func not in rules:
            rules.append(func)
        return func

    return register


def notification_check(name: str, every: str = "daily") -> Callable[[Check], Check]:
    """A periodic check ``f() -> messages`` run daily (07:00 UTC) or hourly; give
    each message a ``dedup_key`` so that a reminder is sent once, not every time."""
    if every not in FREQUENCIES:
        raise ValueError(f"every must be one of {FREQUENCIES}")

    def register(func: Check) -> Check:
        if name in _CHECKS and _CHECKS[name][0] is not func:
            raise RuntimeError(f"notification check {name!r} registered twice")
        _CHECKS[name] = (func, every)
        return func

    return register


def rules_for(verb: str) -> list[Rule]:
    return list(_RULES.get(verb, ()))


def checks(every: str | None = None) -> dict[str, Check]:
    return {name: f for name, (f, freq) in _CHECKS.items() if every in (None, freq)}
