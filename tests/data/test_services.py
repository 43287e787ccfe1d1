"""Who may change data and networks, what is refused, and the audit trail."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from data import services
from data.choices import SiteKind, StoreKind
from data.models import ClusterPlacement, Dataset, Site
from portal.errors import WorkflowError
from portal.models import AuditEvent


def test_viewers_cannot_create(carol, db):
    with pytest.raises(PermissionDenied):
        services.site_create(actor=carol, name="x", kind=SiteKind.OFFICE)
    assert not Site.objects.exists()


def test_editors_create_and_edit_and_the_audit_keeps_before_and_after(alice, net):
    services.dataset_update(actor=alice, dataset=net.tabular, size_bytes=41 * 10**9)
    event = AuditEvent.objects.filter(verb="data.dataset_update").latest("id")
    assert event.actor == alice
    assert event.before == {"size_bytes": 40 * 10**9}
    assert event.after == {"size_bytes": 41 * 10**9}


def test_editors_cannot_delete_admins_can(alice, dave, net):
    with pytest.raises(PermissionDenied):
        services.dataset_delete(actor=alice, dataset=net.tabular)
    services.dataset_delete(actor=dave, dataset=net.tabular)
    assert not Dataset.objects.filter(pk=net.tabular.pk).exists()
    assert AuditEvent.objects.filter(verb="data.dataset_delete", actor=dave).exists()


def test_anonymous_people_are_refused(net):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.link_update(actor=AnonymousUser(), link=net.slow, bandwidth_gbps=100)


@pytest.mark.parametrize(
    "endpoint",
    [
        "s3://AKIA:secret@bucket/path",
        "https://user:pw@nas.example.org/share",
        "https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abc&X-Amz-Credential=k",
        "https://acct.blob.core.windows.net/c?sig=abc",
        "https://host/data?token=abc",
    ],
)
def test_an_endpoint_with_credentials_is_refused(alice, db, endpoint):
    with pytest.raises(ValidationError) as exc:
        services.store_create(actor=alice, name="s", kind=StoreKind.OBJECT, endpoint=endpoint)
    assert "endpoint" in exc.value.message_dict


def test_plain_endpoints_are_kept(alice, db):
    for i, endpoint in enumerate(
        ["s3://bucket/raw/", "nfs://nas01/export", "/mnt/data", "smb://fs/share"]
    ):
        services.store_create(actor=alice, name=f"s{i}", kind=StoreKind.SHARE, endpoint=endpoint)


def test_a_store_with_datasets_is_not_deleted(dave, net):
    with pytest.raises(WorkflowError):
        services.store_delete(actor=dave, store=net.nfs)
    services.store_delete(actor=dave, store=net.bucket)


def test_a_link_joins_two_different_sites_once(alice, net):
    with pytest.raises(ValidationError):
        services.link_create(actor=alice, site_a=net.house, site_b=net.house, bandwidth_gbps=1)
    with pytest.raises(ValidationError):  # the same pair the other way round
        services.link_create(actor=alice, site_a=net.provider, site_b=net.house, bandwidth_gbps=1)
    with pytest.raises(ValidationError):
        services.link_update(actor=alice, link=net.slow, bandwidth_gbps=0)


def test_deleting_a_site_leaves_its_stores_without_a_site(dave, net):
    services.site_delete(actor=dave, site=net.cloud)
    net.bucket.refresh_from_db()
    assert net.bucket.site_id is None


def test_placing_a_cluster_moves_it_and_is_audited(alice, net):
    services.cluster_place(actor=alice, cluster=net.cluster, site=net.house)
    assert ClusterPlacement.objects.get(cluster=net.cluster).site == net.house
    event = AuditEvent.objects.filter(verb="data.cluster_place").latest("id")
    assert event.before == {"site": net.provider.pk} and event.after == {"site": net.house.pk}


def test_the_newest_measurement_is_the_links_measured_bandwidth(alice, dave, net):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    services.measurement_record(actor=alice, link=net.slow, gbps=0.9, measured_at=now)
    services.measurement_record(
        actor=alice, link=net.slow, gbps=0.3, measured_at=now - timedelta(days=3)
    )
    net.slow.refresh_from_db()
    assert net.slow.measured_gbps == 0.9
    newest = net.slow.measurements.first()
    services.measurement_delete(actor=dave, measurement=newest)
    net.slow.refresh_from_db()
    assert net.slow.measured_gbps == 0.3


def test_unknown_fields_are_refused(alice, net):
    with pytest.raises(ValidationError):
        services.site_update(actor=alice, site=net.house, is_superuser=True)
