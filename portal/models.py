from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.elements import ELEMENT_ORDER, ElementCode


class Element(models.Model):
    """One of the seven IS elements; rows are created by a migration and never change.

    A table (not a JSON list) so that "everything tagged *data*" is a plain join that
    works the same on SQLite and PostgreSQL.
    """

    code = models.CharField(max_length=20, choices=ElementCode.choices, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self):
        return ElementCode(self.code).label

    @property
    def position(self) -> int:
        return ELEMENT_ORDER.index(self.code)


class AuditEventQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))

    def with_actor(self):
        return self.select_related("actor")


class AuditEvent(models.Model):
    """Append-only record of a state change, written by the service that made it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept even when the user row goes, so the log still says who it was.
    actor_label = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only")


class OidcIdentity(models.Model):
    """Who a user is in Keycloak. Users are matched by issuer + subject, never by
    email or username, which people can change or reuse in Keycloak."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    # Keycloak group names (without path); the role matrix maps its roles to them.
    groups = models.JSONField(default=list, blank=True)
    # Roles as Keycloak last reported them (realm and this client's), for the record.
    roles = models.JSONField(default=list, blank=True)
    # Metadata of the last tokens (expiry, scope, sid), never the tokens themselves.
    token_metadata = models.JSONField(default=dict, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_issuer_sub")
        ]
        verbose_name = _("Keycloak identity")
        verbose_name_plural = _("Keycloak identities")

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"


class OidcSession(models.Model):
    """Which portal session belongs to which Keycloak session (sid), so that a
    back-channel logout from Keycloak can end exactly those sessions."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_sessions"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    sid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["issuer", "sid"], name="oidc_session_sid_idx"),
            models.Index(fields=["issuer", "subject"], name="oidc_session_sub_idx"),
        ]
        verbose_name = _("Keycloak session")
        verbose_name_plural = _("Keycloak sessions")

    def __str__(self) -> str:
        return f"{self.sid or '-'} → {self.session_key[:8]}…"


# Models of the portal's own sub-packages; imported here so Django finds them.
from portal.api_tokens.models import ApiToken, ApiTokenRefusal  # noqa: E402, F401
from portal.notifications.models import (  # noqa: E402, F401
    Notification,
    NotificationPreference,
    Webhook,
    WebhookDelivery,
)
from portal.search.models import SearchEntry  # noqa: E402, F401
