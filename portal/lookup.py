"""Choosing a record among thousands: a text field that takes what a person types (a
number, a code, a slug), a JSON endpoint that suggests matches as they type, and the
small script (``static/js/lookup.js``) that joins the two. A dropdown of every record
made each form page grow with the data; this costs one query to validate whatever
the size of the table, and works without the script: typing the key and submitting
is enough.

Apps give the field their queryset, the key column, how to read a typed key and how
to write one, and the URL of their lookup view built with :func:`lookup_response`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.validation import refusal_response

# Longer than any key or title fragment worth searching for.
MAX_QUERY = 100
MAX_RESULTS = 20
# A multiple field names at most this many records: a form is not a bulk import.
MAX_ITEMS = 50


class LookupInput(forms.TextInput):
    """A text input the script turns into a typeahead fed by ``lookup_url``."""

    def __init__(self, lookup_url, *, multiple: bool = False, attrs: dict | None = None):
        super().__init__(attrs)
        self.lookup_url = lookup_url
        self.multiple = multiple

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.update({"data-lookup": str(self.lookup_url), "autocomplete": "off"})
        if self.multiple:
            widget_attrs["data-lookup-multiple"] = "true"
        return context


class ReferenceField(forms.Field):
    """One record (or, with ``multiple``, several separated by commas) named by its key.

    ``parse`` turns a typed word into the key (``None`` when it cannot be one);
    ``display`` writes a record the way a person would type it."""

    default_error_messages = {
        "invalid": gettext_lazy("“%(value)s” does not name a record."),
        "unknown": gettext_lazy("No such record: %(value)s."),
        "too_many": gettext_lazy("Name at most %(limit)s records."),
    }

    def __init__(
        self,
        *,
        queryset: QuerySet,
        to_field: str,
        parse: Callable[[str], object | None],
        display: Callable[[Model], str],
        lookup_url,
        multiple: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("widget", LookupInput(lookup_url, multiple=multiple, attrs={"size": 30}))
        super().__init__(**kwargs)
        self.queryset = queryset
        self.to_field = to_field
        self.parse = parse
        self.display = display
        self.multiple = multiple

    def prepare_value(self, value):
        if isinstance(value, Model):
            return self.display(value)
        if isinstance(value, Iterable) and not isinstance(value, str):
            return ", ".join(self.display(v) if isinstance(v, Model) else str(v) for v in value)
        return value

    def _words(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        words = [w.strip() for w in str(value).split(",")] if self.multiple else [str(value)]
        return [w for w in words if w.strip()]

    def clean(self, value):
        words = self._words(value)
        if not words:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return [] if self.multiple else None
        if len(words) > MAX_ITEMS:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": MAX_ITEMS}
            )
        keys = {}
        for word in words:
            key = self.parse(word.strip())
            if key is None:
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": word[:50]}
                )
            keys.setdefault(key, word.strip())
        found = {
            getattr(row, self.to_field): row
            for row in self.queryset.filter(**{f"{self.to_field}__in": list(keys)})
        }
        missing = [word for key, word in keys.items() if key not in found]
        if missing:
            raise ValidationError(
                self.error_messages["unknown"],
                code="unknown",
                params={"value": ", ".join(m[:50] for m in missing)},
            )
        rows = [found[key] for key in keys]
        return rows if self.multiple else rows[0]


def lookup_response(request, search: Callable[[str], list[dict]]) -> JsonResponse:
    """``{"results": search(q)[:MAX_RESULTS]}``, or a 400 for a query no key or title
    can match, in the one error shape (a NUL never gets here: the input layer refuses it
    for every view, in that shape too since the lookups ask for JSON)."""
    q = request.GET.get("q", "").strip()
    if len(q) > MAX_QUERY:
        message = _("The query is at most %(limit)s characters.") % {"limit": MAX_QUERY}
        return refusal_response(request, message, "q")
    return JsonResponse({"results": search(q)[:MAX_RESULTS]})
