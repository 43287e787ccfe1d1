"""portal.generations: a scope's token is replaced after the change commits."""

import uuid

import pytest

from portal import generations

pytestmark = pytest.mark.django_db


def test_a_token_is_replaced_after_the_commit_not_before(django_capture_on_commit_callbacks):
    scope = f"test-{uuid.uuid4().hex}"
    first = generations.token(scope)
    assert generations.token(scope) == first  # created once, then kept
    with django_capture_on_commit_callbacks(execute=True):
        generations.changed(scope)
        assert generations.token(scope) == first  # nobody caches the old state anew
    assert generations.token(scope) != first


def test_tokens_are_taken_from_what_one_read_found():
    scope = f"test-{uuid.uuid4().hex}"
    other = f"test-{uuid.uuid4().hex}"
    found = {generations.key_of(scope): "kept", "page": "something else"}
    tokens = generations.tokens((scope, other), found)
    assert tokens[0] == "kept"
    assert tokens[1] == generations.token(other)  # the missing one was created


def test_a_change_rolled_back_with_its_savepoint_replaces_nothing(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    scope = f"test-{uuid.uuid4().hex}"
    first = generations.token(scope)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                generations.changed(scope)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert generations.token(scope) == first
    with django_capture_on_commit_callbacks(execute=True):
        generations.changed(scope)
    assert generations.token(scope) != first
