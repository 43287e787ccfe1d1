"""Certificates that need attention: expiring within three weeks, or already expired.

cert-manager renews a certificate at two thirds of its life by default (30 days before
the end of a 90-day Let's Encrypt one), so a certificate with 21 days left is one whose
renewal has already failed for over a week. The check is a queryset, so a page can
paginate it and a finding can count it, at the same cost at any size (``not_after`` is
indexed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.choices import Severity
from inventory.models import Certificate

EXPIRY_WARNING_DAYS = 21


def certificates_expiring(
    *, cluster_id: int | None = None, now: datetime | None = None, days: int = EXPIRY_WARNING_DAYS
) -> QuerySet[Certificate]:
    """Present cert-manager Certificates whose ``notAfter`` is within ``days`` days or
    past, soonest first. Ingress TLS entries carry no expiry of their own: the
    Certificate behind their Secret is the one listed."""
    limit = (now or timezone.now()) + timedelta(days=days)
    qs = Certificate.objects.present().filter(not_after__lte=limit).select_related("cluster")
    if cluster_id is not None:
        qs = qs.filter(cluster_id=cluster_id)
    return qs.order_by("not_after", "pk")


def certificate_list(*, cluster_id: int | None = None, include_gone: bool = False):
    """Every certificate and Ingress TLS entry, each with ``expires``: its own
    ``notAfter``, or for an Ingress entry that of the Certificate issuing its Secret."""
    behind = Certificate.objects.filter(
        cluster_id=OuterRef("cluster_id"),
        namespace=OuterRef("namespace"),
        secret_name=OuterRef("secret_name"),
        kind="Certificate",
        gone_at__isnull=True,
    ).values("not_after")[:1]
    qs = Certificate.objects.select_related("cluster").annotate(
        expires=Coalesce(F("not_after"), Subquery(behind))
    )
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id is not None:
        qs = qs.filter(cluster_id=cluster_id)
    return qs.order_by(F("expires").asc(nulls_last=True), "namespace", "name", "pk")


def _expiring_rows(scope):
    return certificates_expiring(cluster_id=scope.cluster_id, now=scope.now)


def _expiring_finding(cert: Certificate, scope):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from inventory.findings import Finding

    expired = cert.not_after <= scope.now
    message = (
        _("%(name)s expired on %(date)s.")
        if expired
        else _("%(name)s expires on %(date)s: its renewal has not happened.")
    ) % {"name": cert, "date": cert.not_after.date().isoformat()}
    return Finding(
        code="certificate_expiring",
        severity=Severity.CRITICAL if expired else Severity.WARNING,
        message=message,
        cluster_id=cert.cluster_id,
        cluster_name=cert.cluster.name,
        object_label=str(cert),
        url=reverse("inventory:certificate-list") + f"?cluster={cert.cluster_id}",
    )


def register_certificate_rule() -> None:
    from django.utils.translation import gettext_lazy

    from inventory.findings import Rule, register_rule

    register_rule(
        Rule(
            "certificate_expiring",
            Severity.WARNING,
            gettext_lazy("Certificate expired or expiring within 21 days"),
            _expiring_rows,
            _expiring_finding,
        )
    )
