from django.conf import settings
from django.core.checks import Warning
from django.core.checks import register as check_register


def keycloak_secret_check(app_configs, **kwargs):
    if settings.KEYCLOAK_ENABLED and not settings.KEYCLOAK_CLIENT_SECRET:
        return [
            Warning(
                "KEYCLOAK_CLIENT_SECRET is empty while Keycloak is configured.",
                hint="Set KEYCLOAK_CLIENT_SECRET or KEYCLOAK_CLIENT_SECRET_FILE.",
                id="portal.W001",
            )
        ]
    return []


def site_url_check(app_configs, **kwargs):
    """E-mails and webhooks are sent from workers, with no request to take the
    address from: without SITE_URL their links point at the development address."""
    if not settings.SITE_URL_SET:
        return [
            Warning(
                f"SITE_URL is not set and no host in ALLOWED_HOSTS gives it: links in e-mails "
                f"and webhooks go to {settings.SITE_URL}.",
                hint="Set SITE_URL to the portal's public address, e.g. https://portal.example.org.",
                id="portal.W002",
            )
        ]
    return []


def register() -> None:
    check_register(keycloak_secret_check, deploy=True)
    check_register(site_url_check, deploy=True)
