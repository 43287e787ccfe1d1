"""The matrix's cells, written in Python: a big matrix has thousands of them, and one
template include per cell was most of the page's cost (and of its size)."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_LETTERS = {"R", "A", "C", "I"}


def cell_html(
    activity_id: int,
    role_id: int,
    letter: str,
    *,
    may_edit: bool,
    next_letter: str = "",
    error: str = "",
    oob: bool = False,
) -> str:
    """One cell. Editors get a button of the matrix's one form (``name="cell"``, value
    ``<activity>-<role>[-<next letter>]``); the role and activity are read from the
    table's headers, so the cell repeats neither."""
    letter = letter if letter in _LETTERS else ""
    css = f' class="l-{letter}"' if letter else ""
    if not may_edit:
        return f"<td{css}>{letter}</td>"
    value = f"{activity_id}-{role_id}" + (f"-{next_letter}" if next_letter in _LETTERS else "")
    swap = ' hx-swap-oob="true"' if oob else ""
    alert = f'<p class="error small" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<td id="cell-{activity_id}-{role_id}"{swap}><button name="cell" value="{value}"{css}>'
        f"{letter or '·'}</button>{alert}</td>"
    )


@register.simple_tag
def raci_cells(row, may_edit: bool) -> SafeString:
    """All the cells of one matrix row."""
    activity_id = row.activity.pk
    # Ids are integers and letters come from a fixed set; the error is escaped.
    return mark_safe(
        "".join(
            cell_html(activity_id, role_id, letter, may_edit=may_edit)
            for role_id, letter in row.cells
        )
    )


@register.simple_tag
def raci_cell(activity, role, letter: str, may_edit: bool, next_letter="", error="", oob=False):
    return mark_safe(
        cell_html(
            activity.pk,
            role.pk,
            letter,
            may_edit=may_edit,
            next_letter=next_letter,
            error=error,
            oob=oob,
        )
    )
