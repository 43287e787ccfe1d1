"""The API's throttles. DRF's own classes read their rates once, at import; these read
them at each request, so a deployment's (or a test's) settings always apply."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RatesFromSettings:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or None


class AnonymousThrottle(_RatesFromSettings, AnonRateThrottle):
    """Requests without a user, per client address."""


class UserThrottle(_RatesFromSettings, UserRateThrottle):
    """Requests of a signed-in or token-bearing user, per user."""
