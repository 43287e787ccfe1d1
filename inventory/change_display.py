"""How an inventory change reads: a field's name and values as the page's reader says
them ("готов: Нет → Да"), not the column and the JSON the sync stored ("ready False→True")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.formats import localize
from django.utils.translation import gettext as _

from inventory.choices import ObjectKind
from inventory.models import Certificate, Component, Gpu, Node, Volume

MODELS: dict[str, type[models.Model]] = {
    ObjectKind.NODE: Node,
    ObjectKind.GPU: Gpu,
    ObjectKind.COMPONENT: Component,
    ObjectKind.CERTIFICATE: Certificate,
    ObjectKind.VOLUME: Volume,
}


def _model_field(kind: str, name: str) -> models.Field | None:
    model = MODELS.get(kind)
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(kind: str, name: str) -> str:
    """``ready`` → the field's verbose name; ``labels.nvidia.com/gpu.count`` (one key of
    a mapping field) → "метки: nvidia.com/gpu.count"; an unknown name as it is."""
    if not name:
        return ""
    field = _model_field(kind, name)
    if field is None and "." in name:
        head, key = name.split(".", 1)
        field = _model_field(kind, head)
        if field is not None:
            return f"{field.verbose_name}: {key}"
    return str(field.verbose_name) if field is not None else name


def value_display(kind: str, name: str, value: Any) -> str:
    """A stored old or new value in words: yes/no, a choice's label, a list joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(value_display(kind, "", v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={value_display(kind, '', v)}" for k, v in value.items()) or "—"
    field = _model_field(kind, name)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, int | float):
        return str(localize(value))
    return str(value)
