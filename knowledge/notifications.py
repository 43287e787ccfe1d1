"""Who hears about decisions and onboarding. Rules read the audit events the
knowledge services write; the daily check finds overdue onboarding steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from knowledge.models import Adr
from portal.notifications import (
    Message,
    add_notification_check,
    add_notification_rule,
    notification_kind,
)

ONBOARDING_OVERDUE = "onboarding_overdue"
ONBOARDING_COMPLETED = "onboarding_completed"
ADR_DECIDED = "adr_decided"


def _adr(event):
    if event.object_type != "knowledge.adr":
        return None
    return Adr.objects.filter(pk=event.object_id).first()


def _decided(text_key: str):
    def rule(event):
        adr = _adr(event)
        if adr is None or adr.created_by_id is None:
            return []
        return [
            Message(
                kind=ADR_DECIDED,
                recipients=[adr.created_by_id],
                text_key=text_key,
                params={"actor": event.actor_label, "object": str(adr)},
                url=adr.get_absolute_url(),
            )
        ]

    return rule


def onboarding_overdue(now=None):
    """Each open step past its due date, told once to the person and their buddy."""
    from django.urls import reverse

    from knowledge.selectors.onboarding import all_enrolments, progress_of

    mine = reverse("knowledge:onboarding-mine")
    for progress in progress_of(all_enrolments(), now):
        enrolment = progress.enrolment
        if not enrolment.user.is_active:
            continue
        for item in progress.steps:
            if not item.overdue:
                continue
            yield Message(
                kind=ONBOARDING_OVERDUE,
                recipients=[r for r in (enrolment.user_id, enrolment.buddy_id) if r],
                text_key="onboarding_overdue",
                params={"object": item.step.display_title, "date": f"{item.due:%Y-%m-%d}"},
                url=f"{mine}#step-{item.step.pk}",
                dedup_key=f"onboarding:{enrolment.pk}:{item.step.pk}:{item.due:%Y-%m-%d}",
            )


def onboarding_completed(event):
    """The step that finished a track tells the buddy, once per enrolment."""
    from django.urls import reverse

    from knowledge.selectors.onboarding import enrolments_of, progress_of

    person = event.actor
    if person is None:
        return []
    team = reverse("knowledge:onboarding-team")
    return [
        Message(
            kind=ONBOARDING_COMPLETED,
            recipients=[p.enrolment.buddy_id],
            text_key="onboarding_completed",
            params={
                "person": person.get_full_name() or person.get_username(),
                "object": p.enrolment.track.display_title,
            },
            url=f"{team}#enrolment-{p.enrolment.pk}",
            dedup_key=f"onboarding-done:{p.enrolment.pk}",
        )
        for p in progress_of(enrolments_of(person))
        if p.enrolment.buddy_id and p.total and p.done == p.total
    ]


def register() -> None:
    notification_kind(
        ONBOARDING_OVERDUE,
        _("An onboarding step of mine is overdue"),
        texts={"onboarding_overdue": _("Onboarding step “%(object)s” was due on %(date)s")},
    )
    notification_kind(
        ONBOARDING_COMPLETED,
        _("Somebody I am buddy to finished their onboarding"),
        texts={"onboarding_completed": _("%(person)s finished the onboarding track “%(object)s”")},
    )
    notification_kind(
        ADR_DECIDED,
        _("An architecture decision was accepted or rejected"),
        texts={
            "adr_accepted": _("%(actor)s accepted “%(object)s”"),
            "adr_rejected": _("%(actor)s rejected “%(object)s”"),
        },
    )
    add_notification_rule("adr.accept", _decided("adr_accepted"))
    add_notification_rule("adr.reject", _decided("adr_rejected"))
    add_notification_check("knowledge.onboarding_overdue", onboarding_overdue)
    # Acknowledging a procedure completes its step too, so both events may finish a track.
    add_notification_rule("onboarding.step_complete", onboarding_completed)
    add_notification_rule("procedure.acknowledge", onboarding_completed)
