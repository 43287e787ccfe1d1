from django import template

from inventory.change_display import field_label, value_display

register = template.Library()


@register.filter
def change_field(change) -> str:
    """{{ ch|change_field }}: the changed field's name in the reader's language."""
    return field_label(change.object_kind, change.field)


@register.filter
def change_old(change) -> str:
    return value_display(change.object_kind, change.field, change.old_value)


@register.filter
def change_new(change) -> str:
    return value_display(change.object_kind, change.field, change.new_value)
