from django import forms
from django.utils.translation import gettext_lazy as _

from portal.elements import ElementCode
from portal.registry import registry
from portal.search.query import MAX_QUERY
from portal.validation import refuse_nul


def kind_choices() -> list[tuple[str, str]]:
    return [("", _("All kinds")), *((p.kind, p.label) for p in registry.search_kinds())]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=MAX_QUERY, required=False, strip=True)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    element = forms.ChoiceField(
        label=_("IS element"),
        required=False,
        choices=[("", _("All elements")), *ElementCode.choices],
    )
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Providers register at start-up, after this module may have been imported.
        self.fields["kind"].choices = kind_choices()

    def clean_q(self) -> str:
        value = self.cleaned_data["q"]
        refuse_nul(value)
        return value
