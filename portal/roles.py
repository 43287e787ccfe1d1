"""Portal roles. Keycloak realm roles of the same names map to these Django groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalRole(models.TextChoices):
    VIEWER = "portal-viewer", _("Viewer")
    EDITOR = "portal-editor", _("Editor")
    APPROVER = "portal-approver", _("Approver")
    ADMIN = "portal-admin", _("Administrator")


ROLE_NAMES = [role.value for role in PortalRole]
