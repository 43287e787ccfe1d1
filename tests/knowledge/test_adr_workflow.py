"""Status changes by approvers, recorded with who and when; edits keep revisions;
superseding marks the old record in the same transaction."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink, AdrStatusChange
from knowledge.services import (
    adr_accept,
    adr_deprecate,
    adr_link_add,
    adr_reject,
    adr_supersede,
    adr_update,
)
from portal.errors import ConflictError, WorkflowError


def test_an_approver_accepts_and_the_history_says_who_and_when(make_adr, bob):
    adr = make_adr()
    adr_accept(actor=bob, adr=adr, note="agreed in the architecture meeting")
    adr.refresh_from_db()
    assert adr.status == AdrStatus.ACCEPTED
    change = AdrStatusChange.objects.filter(adr=adr).last()
    assert (change.from_status, change.to_status, change.actor) == ("proposed", "accepted", bob)
    assert change.changed_at is not None
    assert change.note == "agreed in the architecture meeting"


def test_an_editor_cannot_accept(make_adr, alice):
    adr = make_adr()
    with pytest.raises(PermissionDenied):
        adr_accept(actor=alice, adr=adr)
    adr.refresh_from_db()
    assert adr.status == AdrStatus.PROPOSED


def test_status_changes_follow_the_lifecycle(make_adr, bob):
    adr = make_adr()
    with pytest.raises(WorkflowError):
        adr_deprecate(actor=bob, adr=adr)
    adr_reject(actor=bob, adr=adr)
    with pytest.raises(WorkflowError):
        adr_reject(actor=bob, adr=adr)
    adr_accept(actor=bob, adr=adr)
    adr_deprecate(actor=bob, adr=adr)
    assert Adr.objects.get(pk=adr.pk).status == AdrStatus.DEPRECATED


def test_superseding_marks_the_old_record_superseded(make_adr, bob):
    old = make_adr("Use DVC")
    adr_accept(actor=bob, adr=old)
    new = make_adr("Use lakeFS")
    link = adr_supersede(actor=bob, adr=new, old=old)
    old.refresh_from_db()
    assert old.status == AdrStatus.SUPERSEDED
    assert (link.source, link.target, link.kind) == (new, old, LinkKind.SUPERSEDES)
    assert link.reverse_label == "Superseded by"


def test_supersede_is_all_or_nothing(make_adr, bob, monkeypatch):
    """If writing the status change fails, the link is not kept either."""
    from knowledge.services import adr as adr_services

    old = make_adr("Old")
    adr_accept(actor=bob, adr=old)
    new = make_adr("New")

    def broken(*args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(adr_services, "_change_status", broken)
    with pytest.raises(IntegrityError):
        adr_supersede(actor=bob, adr=new, old=old)
    assert not AdrLink.objects.exists()
    assert Adr.objects.get(pk=old.pk).status == AdrStatus.ACCEPTED


def test_a_record_cannot_supersede_itself_or_a_rejected_one(make_adr, bob):
    adr = make_adr()
    with pytest.raises(ValidationError):
        adr_supersede(actor=bob, adr=adr, old=adr)
    rejected = make_adr("Rejected")
    adr_reject(actor=bob, adr=rejected)
    with pytest.raises(WorkflowError):
        adr_supersede(actor=bob, adr=adr, old=rejected)


def test_edits_keep_revisions_and_stale_edits_are_refused(make_adr, alice):
    adr = make_adr(context="First text.")
    adr = adr_update(actor=alice, adr=adr, revision=1, context="Second text.")
    assert adr.revision == 2
    assert list(adr.revisions.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert "Second text." in adr.revisions.get(number=2).content
    with pytest.raises(ConflictError):
        adr_update(actor=alice, adr=adr, revision=1, context="Lost update")
    assert Adr.objects.get(pk=adr.pk).context == "Second text."


def test_an_edit_that_changes_nothing_makes_no_revision(make_adr, alice):
    adr = make_adr(context="Same.")
    adr_update(actor=alice, adr=adr, revision=1, context="Same.")
    assert adr.revisions.count() == 1


def test_links_read_both_ways(make_adr, alice):
    from knowledge.selectors.adr import links_of

    a = make_adr("Serve with KServe")
    b = make_adr("Model storage")
    adr_link_add(actor=alice, source=b, target=a, kind=LinkKind.AMENDS)
    a = Adr.objects.for_page().get(pk=a.pk)
    b = Adr.objects.for_page().get(pk=b.pk)
    assert [(str(v.label), v.other.number) for v in links_of(a)] == [("Amended by", b.number)]
    assert [(str(v.label), v.other.number) for v in links_of(b)] == [("Amends", a.number)]
    with pytest.raises(ConflictError):
        adr_link_add(actor=alice, source=b, target=a, kind=LinkKind.AMENDS)


def test_cyrillic_titles_get_transliterated_slugs(make_adr):
    assert make_adr("Выбор хранилища").slug == "vybor-khranilishcha"
    assert make_adr("Use MLflow as the tracker").slug == "use-mlflow-as-the-tracker"


def test_markdown_over_the_limit_or_with_nul_is_refused(make_adr, settings):
    settings.MARKDOWN_MAX_BYTES = 100
    with pytest.raises(ValidationError) as caught:
        make_adr(context="x" * 101)
    assert "context" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_adr(outcome="a\x00b")
    assert not Adr.objects.exists()
