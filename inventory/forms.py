from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.choices import ComponentCategory, ObjectKind


class CapacityForm(forms.Form):
    model_gb = forms.FloatField(
        label=_("Model size (GB)"), min_value=0.01, max_value=100_000, initial=14
    )
    batch_gb = forms.FloatField(
        label=_("Memory per batch (GB)"), min_value=0, max_value=100_000, initial=8
    )
    dataset_gb = forms.FloatField(
        label=_("Dataset size (GB)"), min_value=0, max_value=10_000_000, initial=100
    )
    gpu_count = forms.IntegerField(label=_("GPUs"), min_value=1, max_value=64, initial=1)
    cluster = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ChangeFilterForm(forms.Form):
    cluster = forms.IntegerField(required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all")), *list(ObjectKind.choices)]
    )
    since = forms.DateTimeField(label=_("Since"), required=False)

    def clean_since(self):
        # ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: compare in UTC.
        since = self.cleaned_data.get("since")
        if since is None:
            return None
        try:
            return since.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(_("The date is out of range.")) from exc


class ComponentFilterForm(forms.Form):
    cluster = forms.IntegerField(required=False)
    q = forms.CharField(label=_("Name"), required=False, max_length=200)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("all")), *list(ComponentCategory.choices)],
    )
