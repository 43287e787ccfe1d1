from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
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
