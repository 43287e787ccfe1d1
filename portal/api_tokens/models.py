"""Personal API tokens: a person's scripts call the API as that person, with the
roles that person holds at the time of the call, never more."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(
        _("access"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ
    )
    # The start of the token, shown so that its owner can tell tokens apart.
    prefix = models.CharField(max_length=16)
    # SHA-256 of the whole token: a random 256-bit secret needs no slow hash, and
    # the token itself is shown once and never stored.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_name_unique_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiTokenRefusal(models.Model):
    """Refused calls, counted per token (none for an unknown one), reason and day:
    a script retrying a revoked token all night is one row, not thousands."""

    token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.CASCADE, related_name="refusals"
    )
    reason = models.CharField(max_length=20)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "-last_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["token", "reason", "day"],
                condition=Q(token__isnull=False),
                name="api_token_refusal_one_row_per_day",
            ),
            models.UniqueConstraint(
                fields=["reason", "day"],
                condition=Q(token__isnull=True),
                name="api_token_unknown_refusal_one_row_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.token or 'unknown token'}: {self.reason} ×{self.count} on {self.day}"
