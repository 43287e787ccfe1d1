from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    NONE = 0, _("none")
    LEARNING = 1, _("learning")
    WORKS_ALONE = 2, _("works alone")
    CAN_TEACH = 3, _("can teach")


# A person "holds" a skill from this level on: they can run it without help.
HOLDS = Level.WORKS_ALONE


class FindingLevel(models.TextChoices):
    ERROR = "error", _("error")
    WARNING = "warning", _("warning")
