import pytest

from tests.procedures.conftest import approved

pytestmark = pytest.mark.django_db


def test_pages_render(client_for, alice, bob, carol):
    version = approved(alice, bob)
    slug = version.procedure.slug
    c = client_for(carol)
    for url in [
        "/procedures/",
        f"/procedures/{slug}/",
        f"/procedures/{slug}/history/",
        f"/procedures/{slug}/diff/",
        f"/procedures/{slug}/v1.0/",
        "/procedures/review-queue/",
        "/procedures/overdue/",
        "/",
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.content[:2000])
    r = client_for(alice).get("/procedures/new/")
    assert r.status_code == 200
