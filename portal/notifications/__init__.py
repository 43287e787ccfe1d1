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

from portal.registry import DuplicateRegistration


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


def add_notification_rule(verb: str, func: Rule) -> None:
    """Turn the audit events of ``verb`` into messages: ``func(event) -> messages``.
    Called from the app's ``AppConfig.ready()``; one function once per verb."""
    rules = _RULES.setdefault(verb, [])
    if func in rules:
        raise DuplicateRegistration(f"notification rule {func!r} for {verb!r} is registered twice")
    rules.append(func)


def add_notification_check(name: str, func: Check, every: str = "daily") -> None:
    """A periodic check ``func() -> messages`` run daily (07:00 UTC) or hourly; give
    each message a ``dedup_key`` so that a reminder is sent once, not every time."""
    if every not in FREQUENCIES:
        raise ValueError(f"every must be one of {FREQUENCIES}")
    if name in _CHECKS:
        raise DuplicateRegistration(f"notification check {name!r} is registered twice")
    _CHECKS[name] = (func, every)


def rules_for(verb: str) -> list[Rule]:
    return list(_RULES.get(verb, ()))


def checks(every: str | None = None) -> dict[str, Check]:
    return {name: f for name, (f, freq) in _CHECKS.items() if every in (None, freq)}
