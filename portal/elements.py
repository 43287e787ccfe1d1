"""The seven elements of an ML platform seen as an information system."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ElementCode(models.TextChoices):
    HARDWARE = "hardware", _("Hardware")
    SOFTWARE = "software", _("Software")
    DATA = "data", _("Data")
    NETWORKS = "networks", _("Networks")
    PEOPLE = "people", _("People")
    PROCEDURES = "procedures", _("Procedures")
    KNOWLEDGE = "knowledge", _("Knowledge")


ELEMENT_ORDER = [code for code, _label in ElementCode.choices]
