"""Nobody approves their own version: the policy rule says so and the service
enforces it even when a caller skips the rule."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.policy import can
from procedures import services
from procedures.models import Review
from tests.procedures.conftest import submitted

pytestmark = pytest.mark.django_db


def test_policy_rule_refuses_the_author(dave, bob):
    version = submitted(dave)
    assert not can(dave, "version.approve", version)
    assert not can(dave, "version.review", version)
    assert can(bob, "version.approve", version)


def test_service_refuses_the_author_even_an_admin(dave):
    version = submitted(dave)
    with pytest.raises(PermissionDenied):
        services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    with pytest.raises(PermissionDenied):
        services.version_request_changes(actor=dave, version=version, comment="mine")
    version.refresh_from_db()
    assert version.status == "in_review"
    assert not Review.objects.exists()


def test_service_checks_the_stored_author_not_the_object_passed(dave, alice):
    """A stale object claiming another author must not open the door."""
    version = submitted(dave)
    version.author_id = alice.pk  # what a buggy caller might hold in memory
    with pytest.raises(PermissionDenied):
        services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    assert not Review.objects.exists()


def test_editors_and_viewers_cannot_approve(alice, carol, dave):
    version = submitted(dave)
    for person in (alice, carol):
        with pytest.raises(PermissionDenied):
            services.version_approve(
                actor=person, version=version, content_sha256=version.content_sha256
            )


def test_admin_approves_somebody_elses_version(alice, dave):
    version = submitted(alice)
    services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "approved"


def test_n_approvals_needed(alice, bob, dave):
    version = submitted(alice, required_approvals=2)
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "in_review"
    services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "approved"
    signatures = list(version.reviews.order_by("id"))
    assert [(r.reviewer, r.meaning, r.content_sha256) for r in signatures] == [
        (bob, "approved", version.content_sha256),
        (dave, "approved", version.content_sha256),
    ]


def test_a_reviewed_signature_does_not_count_as_an_approval(alice, bob, dave):
    version = submitted(alice)
    services.version_approve(
        actor=bob, version=version, content_sha256=version.content_sha256, meaning="reviewed"
    )
    version.refresh_from_db()
    assert version.status == "in_review"
    services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "approved"


def test_signatures_of_an_earlier_text_do_not_count(alice, bob, dave):
    version = submitted(alice, required_approvals=2)
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    services.version_request_changes(actor=dave, version=version, comment="One more rule.")
    version.refresh_from_db()
    version = services.version_update(
        actor=alice,
        version=version,
        revision=version.revision,
        title=version.title,
        body=version.body + "\nOne more rule.\n",
        change_summary="",
        change_kind=version.change_kind,
    )
    version = services.version_submit(actor=alice, version=version)
    services.version_approve(actor=dave, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "in_review"  # bob signed the old text: 1 of 2
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "approved"
    assert version.reviews.filter(reviewer=bob, decision="approve").count() == 2
