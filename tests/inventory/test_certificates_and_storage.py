"""The software element: cert-manager Certificates and Ingress TLS hosts (real samples
in tests/fixtures/cert-manager), storage classes and claims, through the reconciler,
the expiry check and the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.certificates import certificates_expiring
from inventory.choices import ChangeKind, ObjectKind, SourceKind, SyncStatus
from inventory.models import Certificate, InventoryChange, SyncRun, Volume
from inventory.reconcile import reconcile
from inventory.sources.facts import CertificateFacts, Snapshot, SourceError, VolumeFacts
from inventory.sources.k8s_objects import (
    certificate_facts,
    ingress_tls_facts,
    storage_class_facts,
    volume_claim_facts,
)

from .builders import make_cluster

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cert-manager"


def sample(name: str) -> dict:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def test_a_real_certificate_gives_its_expiry_issuer_and_hosts():
    facts = certificate_facts(sample("verrazzano-docs__my-root-ca.certificate.yaml"))
    assert facts.key == ("cert-manager", "Certificate", "my-root-ca")
    assert facts.hosts == ("my-root-ca",)  # no dnsNames: the commonName
    assert facts.issuer == "ClusterIssuer/my-root-issuer"
    assert facts.secret_name == "my-root-ca-tls"
    assert facts.not_after == "2024-04-07T16:53:47Z"
    assert facts.ready is True


def test_a_certificate_failing_to_renew_is_not_ready():
    facts = certificate_facts(sample("argo-cd__too_many_certificates.yaml"))
    assert facts.hosts == ("domain.example.com",)
    assert facts.ready is False
    assert facts.not_after.startswith("2023-09-25T08:34:15")


def test_an_old_certificate_without_not_after_has_no_expiry():
    facts = certificate_facts(sample("argo-cd__healthy_issued.yaml"))
    assert facts.not_after == "" and facts.ready is True


def test_ingress_tls_entries_are_the_domain_names():
    [grafana] = ingress_tls_facts(sample("gitops-engine__ingress-nonemptylist.yaml"))
    assert grafana.hosts == ("grafana.com",) and grafana.secret_name == "my-secret"
    [tutorial] = ingress_tls_facts(sample("cert-manager-website__ingress-tls-final.yaml"))
    assert tutorial.hosts == ("example.example.com",)
    assert tutorial.issuer == "Issuer/letsencrypt-prod"


def test_storage_classes_and_claims():
    standard = storage_class_facts(
        {
            "metadata": {
                "name": "standard",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "rancher.io/local-path",
        }
    )
    assert (standard.phase, standard.detail) == ("default", "rancher.io/local-path")
    claim = volume_claim_facts(
        {
            "metadata": {"name": "datasets", "namespace": "ml"},
            "spec": {
                "storageClassName": "cephfs",
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "2Ti"}},
            },
            "status": {"phase": "Pending"},
        }
    )
    assert claim.size_bytes == 2 * 2**40
    assert (claim.storage_class, claim.access_modes, claim.phase) == (
        "cephfs", ("ReadWriteMany",), "Pending",
    )  # fmt: skip


def test_a_claim_with_a_garbage_size_names_itself():
    with pytest.raises(SourceError, match="PersistentVolumeClaim ml/x: size"):
        volume_claim_facts(
            {"metadata": {"name": "x", "namespace": "ml"},
             "spec": {"resources": {"requests": {"storage": "lots"}}}}
        )  # fmt: skip


def _sync(cluster, *, certificates=(), volumes=(), covers=("certificates", "volumes")):
    run = SyncRun(
        cluster=cluster,
        source_kind=SourceKind.KUBERNETES,
        status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )
    snapshot = Snapshot(
        source="kubernetes",
        certificates=list(certificates),
        volumes=list(volumes),
        covers=frozenset(covers),
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)
    return run


def cert(name: str, not_after: datetime | None, **extra) -> CertificateFacts:
    return CertificateFacts(
        namespace="web",
        kind="Certificate",
        name=name,
        hosts=(f"{name}.example.org",),
        secret_name=f"{name}-tls",
        not_after=not_after.isoformat() if not_after else "",
        **extra,
    )


@pytest.mark.django_db
def test_certificates_are_reconciled_with_history_and_marked_gone():
    cluster = make_cluster()
    soon = datetime(2027, 1, 1, tzinfo=UTC)
    first = _sync(cluster, certificates=[cert("portal", soon), cert("mlflow", soon)])
    assert first.added == 2
    renewed = soon + timedelta(days=90)
    again = _sync(cluster, certificates=[cert("portal", renewed)])
    assert (again.changed, again.gone) == (1, 1)
    portal = Certificate.objects.get(name="portal")
    assert portal.not_after == renewed
    change = InventoryChange.objects.get(object_kind=ObjectKind.CERTIFICATE, field="not_after")
    assert change.object_key == "web/Certificate/portal"
    assert Certificate.objects.get(name="mlflow").gone_at is not None
    assert InventoryChange.objects.filter(change=ChangeKind.GONE).count() == 1


@pytest.mark.django_db
def test_a_source_that_may_not_read_certificates_leaves_them_alone():
    cluster = make_cluster()
    _sync(cluster, certificates=[cert("portal", None)])
    _sync(cluster, certificates=[], covers=("volumes",))  # 403 on certificates
    assert Certificate.objects.present().count() == 1


@pytest.mark.django_db
def test_the_expiry_check_finds_certificates_within_21_days_or_expired():
    cluster = make_cluster()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    _sync(
        cluster,
        certificates=[
            cert("expired", now - timedelta(days=2)),
            cert("in-20-days", now + timedelta(days=20)),
            cert("in-22-days", now + timedelta(days=22)),
            cert("unissued", None),
        ],
    )
    found = certificates_expiring(now=now)
    assert [c.name for c in found] == ["expired", "in-20-days"]
    assert certificates_expiring(now=now, cluster_id=cluster.pk + 1).count() == 0


@pytest.mark.django_db
def test_expiring_certificates_are_findings():
    from inventory.findings import Scope, findings_list

    cluster = make_cluster()
    now = timezone.now()
    _sync(cluster, certificates=[cert("expired", now - timedelta(days=2)), cert("fine", None)])
    listing = findings_list(scope=Scope(cluster_id=cluster.pk), code="certificate_expiring")
    (finding,) = listing[0:10]
    assert finding.code == "certificate_expiring" and finding.severity == "critical"
    assert "expired" in finding.message and finding.cluster_id == cluster.pk


@pytest.mark.django_db
def test_storage_is_reconciled():
    cluster = make_cluster()
    claim = VolumeFacts(
        namespace="ml", kind="PersistentVolumeClaim", name="datasets", storage_class="cephfs",
        size_bytes=2**40, access_modes=("ReadWriteMany",), phase="Bound",
    )  # fmt: skip
    klass = VolumeFacts(namespace="", kind="StorageClass", name="cephfs", detail="cephfs.csi")
    assert _sync(cluster, volumes=[claim, klass]).added == 2
    assert Volume.objects.get(name="datasets").size_gib == 1024.0


@pytest.mark.django_db
def test_the_pages_list_them_in_constant_queries(client_for, carol):
    cluster = make_cluster()
    now = timezone.now()
    client = client_for(carol)
    _sync(cluster, certificates=[cert("portal", now + timedelta(days=3))])
    client.get(reverse("inventory:certificate-list"))
    with CaptureQueriesContext(connection) as small:
        body = client.get(reverse("inventory:certificate-list")).content.decode()
    assert "portal.example.org" in body and "expires soon" in body
    ingress = CertificateFacts(
        namespace="web", kind="Ingress", name="portal/portal-tls", hosts=("portal.example.org",),
        secret_name="portal-tls",
    )  # fmt: skip
    _sync(
        cluster,
        certificates=[cert("portal", now + timedelta(days=3)), ingress]
        + [cert(f"c{i}", now + timedelta(days=200)) for i in range(60)],
    )
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("inventory:certificate-list"))
    assert len(large) == len(small)
    # The Ingress entry shows the expiry of the Certificate behind its Secret.
    rows = [c for c in response.context["page"] if c.kind == "Ingress"]
    assert rows and rows[0].expires is not None
    assert client.get(reverse("inventory:storage-list")).status_code == 200
