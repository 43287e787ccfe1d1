"""The record fields in a real browser: alice types part of a title into the link
form, chooses a suggestion with the keyboard, and the link is made."""

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_alice_links_a_record_chosen_from_the_suggestions(live_server, page_for, alice):
    from playwright.sync_api import expect

    from knowledge.models import AdrLink
    from knowledge.services import adr_create

    source = adr_create(actor=alice, title="Use MLflow")
    target = adr_create(actor=alice, title="Квоты GPU через Kueue")
    adr_create(actor=alice, title="Use DVC")

    page = page_for(alice)
    page.goto(f"{live_server.url}/knowledge/adr/{source.number}/")
    field = page.locator("#links input[name=target]")
    field.press_sequentially("kueue", delay=50)
    options = page.locator("#links [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text(target.code)
    field.press("ArrowDown")
    field.press("Enter")
    expect(field).to_have_value(target.code)
    page.locator("#links button[type=submit]", has_text="Add link").click()
    expect(page.locator("#links")).to_contain_text(f"{target.code} {target.title}")
    assert AdrLink.objects.get(source=source).target == target
