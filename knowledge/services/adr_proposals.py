"""Proposals that a new record supersedes older ones. An editor makes them with the
record; they take effect only when an approver accepts it (through ``adr_supersede``,
the one place that supersedes), and a rejection drops them. Until then the old
records stay as they are."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from knowledge.choices import AdrStatus
from knowledge.models import Adr, AdrSupersedeProposal
from portal.audit import audit_record
from portal.policy import require

# The states an old record may be in to be proposed for superseding.
PROPOSABLE = {AdrStatus.ACCEPTED, AdrStatus.DEPRECATED, AdrStatus.PROPOSED}


def _check(adr: Adr, old: Adr) -> None:
    if adr.pk == old.pk:
        raise ValidationError({"supersedes": [_("A record cannot supersede itself.")]})
    if old.status not in PROPOSABLE:
        raise ValidationError(
            {
                "supersedes": [
                    _("%(code)s is %(status)s and cannot be superseded.")
                    % {"code": old.code, "status": AdrStatus(old.status).label.lower()}
                ]
            }
        )


@transaction.atomic
def adr_supersede_propose(*, actor, adr: Adr, olds: Iterable[Adr]) -> list[AdrSupersedeProposal]:
    """Propose that ``adr`` (still proposed) supersedes each of ``olds``."""
    require(actor, "adr.edit", adr)
    adr = Adr.objects.select_for_update().get(pk=adr.pk)
    if adr.status != AdrStatus.PROPOSED:
        raise ValidationError(
            {"supersedes": [_("Only a proposed record can propose to supersede others.")]}
        )
    made = []
    for old in olds:
        _check(adr, old)
        proposal, created = AdrSupersedeProposal.objects.get_or_create(
            adr=adr,
            old=old,
            defaults={"proposed_by": actor if actor.is_authenticated else None},
        )
        if created:
            made.append(proposal)
    if made:
        audit_record(
            actor=actor,
            verb="adr.supersede_propose",
            obj=adr,
            after={"supersedes": [p.old.code for p in made]},
        )
    return made


def supersede_proposals_apply(*, actor, adr: Adr) -> None:
    """Called by ``adr_accept`` inside its transaction: each old record the accepted
    one proposed to supersede is superseded now, unless it no longer can be (it was
    superseded or rejected meanwhile: that proposal is dropped)."""
    from knowledge.services.adr import adr_supersede

    proposals = list(adr.supersede_proposals.select_related("old"))
    for proposal in proposals:
        if proposal.old.status in PROPOSABLE:
            adr_supersede(
                actor=actor,
                adr=adr,
                old=proposal.old,
                note=_("Superseded by %(code)s") % {"code": adr.code},
            )
    AdrSupersedeProposal.objects.filter(pk__in=[p.pk for p in proposals]).delete()


def supersede_proposals_drop(*, adr: Adr) -> None:
    """Called by ``adr_reject``: a rejected record supersedes nothing."""
    AdrSupersedeProposal.objects.filter(adr=adr).delete()
