"""A supersession is undone only by whoever may make one, and the two records'
statuses follow the link both ways."""

from __future__ import annotations

import pytest

from knowledge.models import Adr, AdrLink
from knowledge.services import adr_accept, adr_link_add, adr_link_remove, adr_supersede
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def superseded(make_adr, bob):
    old = adr_accept(actor=bob, adr=make_adr("Old"))
    new = make_adr("New")
    link = adr_supersede(actor=bob, adr=new, old=old)
    return old, new, link


def test_an_editor_cannot_delete_a_supersedes_link_over_the_api(api_for, alice, superseded):
    old, _new, link = superseded
    response = api_for(alice).delete(f"/api/v1/adr-links/{link.pk}/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert AdrLink.objects.filter(pk=link.pk).exists()
    assert Adr.objects.get(pk=old.pk).status == "superseded"


def test_removing_the_link_gives_the_old_record_its_status_back(api_for, bob, superseded):
    old, _new, link = superseded
    response = api_for(bob).delete(f"/api/v1/adr-links/{link.pk}/")
    assert response.status_code == 204
    old.refresh_from_db()
    assert old.status == "accepted"
    change = old.status_changes.order_by("-id").first()
    assert (change.from_status, change.to_status, change.actor) == ("superseded", "accepted", bob)
    assert AuditEvent.objects.filter(verb="adr.supersession_removed", actor=bob).count() == 1


def test_a_record_superseded_by_two_stays_superseded_until_both_links_go(make_adr, bob, superseded):
    old, _new, link = superseded
    # A second successor, linked while the first still stands (e.g. from an import).
    third = make_adr("Third")
    second = AdrLink.objects.create(source=third, target=old, kind="supersedes")
    adr_link_remove(actor=bob, link=link)
    old.refresh_from_db()
    assert old.status == "superseded"
    adr_link_remove(actor=bob, link=second)
    old.refresh_from_db()
    assert old.status == "accepted"


def test_a_proposed_record_superseded_and_restored_is_proposed_again(make_adr, bob):
    old, new = make_adr("Draft idea"), make_adr("Better idea")
    link = adr_supersede(actor=bob, adr=new, old=old)
    adr_link_remove(actor=bob, link=link)
    old.refresh_from_db()
    assert old.status == "proposed"


def test_editors_still_remove_other_links(alice, make_adr):
    a, b = make_adr("A"), make_adr("B")
    link = adr_link_add(actor=alice, source=a, target=b, kind="amends")
    adr_link_remove(actor=alice, link=link)
    assert not AdrLink.objects.exists()


@pytest.mark.parametrize("kind", ["supersedes", "amends", "relates_to"])
def test_a_record_cannot_link_to_itself(api_for, dave, make_adr, kind):
    adr = make_adr("Alone")
    response = api_for(dave).post(
        "/api/v1/adr-links/",
        {"source": adr.number, "target": adr.number, "kind": kind},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not AdrLink.objects.exists()
    adr.refresh_from_db()
    assert adr.status == "proposed"


def test_the_page_offers_and_refuses_removal_by_the_same_rule(client_for, alice, bob, superseded):
    _old, new, link = superseded
    url = f"/knowledge/adr/{new.number}/"
    remove = f"/knowledge/adr/{new.number}/links/{link.pk}/remove/"
    assert remove not in client_for(alice).get(url).content.decode()
    assert remove in client_for(bob).get(url).content.decode()
    assert client_for(alice).post(remove).status_code == 403
    assert AdrLink.objects.filter(pk=link.pk).exists()
    assert client_for(bob).post(remove).status_code == 302
    assert Adr.objects.get(title="Old").status == "accepted"
