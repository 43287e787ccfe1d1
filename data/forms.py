from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from data.choices import StoreKind, Versioning
from data.models import Dataset, DataStore, NetworkLink, Site
from inventory.models import Cluster

GB = 10**9


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "kind", "location", "description"]


class StoreForm(forms.ModelForm):
    capacity_tb = forms.FloatField(
        label=_("Capacity (TB)"), required=False, min_value=0, max_value=10**7
    )

    class Meta:
        model = DataStore
        fields = ["name", "kind", "site", "endpoint", "owner_role", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.capacity_bytes is not None:
            self.initial["capacity_tb"] = self.instance.capacity_bytes / 10**12

    def service_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        tb = self.cleaned_data.get("capacity_tb")
        values["capacity_bytes"] = None if tb is None else round(tb * 10**12)
        return values


class DatasetForm(forms.ModelForm):
    size_gb = forms.FloatField(label=_("Size (GB)"), required=False, min_value=0, max_value=10**9)
    used_by_text = forms.CharField(
        label=_("Used by (models, projects)"),
        required=False,
        max_length=2000,
        help_text=_("Comma-separated names."),
    )
    clusters = forms.ModelMultipleChoiceField(
        label=_("Trained on clusters"),
        queryset=Cluster.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Dataset
        fields = [
            "name",
            "store",
            "path",
            "file_count",
            "format",
            "owner_role",
            "personal_data",
            "versioning",
            "version_ref",
            "procedure",
            "description",
            "last_updated",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = DataStore.objects.order_by("name")
        if self.instance.pk:
            if self.instance.size_bytes is not None:
                self.initial["size_gb"] = self.instance.size_bytes / GB
            self.initial["used_by_text"] = ", ".join(self.instance.used_by or [])
            self.initial["clusters"] = list(self.instance.clusters.values_list("pk", flat=True))

    def clean_used_by_text(self):
        names = [n.strip() for n in self.cleaned_data["used_by_text"].split(",") if n.strip()]
        if any(len(n) > 100 for n in names):
            raise forms.ValidationError(_("Each name up to 100 characters."))
        return names

    def service_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        gb = self.cleaned_data.get("size_gb")
        values["size_bytes"] = None if gb is None else round(gb * GB)
        values["used_by"] = self.cleaned_data["used_by_text"]
        values["clusters"] = list(self.cleaned_data["clusters"])
        return values


class LinkForm(forms.ModelForm):
    class Meta:
        model = NetworkLink
        fields = [
            "site_a",
            "site_b",
            "name",
            "bandwidth_gbps",
            "latency_ms",
            "dedicated",
            "description",
        ]


class PlacementForm(forms.Form):
    cluster = forms.ModelChoiceField(label=_("Cluster"), queryset=Cluster.objects.order_by("name"))


class MeasurementForm(forms.Form):
    gbps = forms.FloatField(label=_("Measured (Gbit/s)"), min_value=0, max_value=100_000)
    measured_at = forms.DateTimeField(label=_("Measured at"), required=False)
    how = forms.CharField(label=_("How"), max_length=300, required=False)


class Iperf3UploadForm(forms.Form):
    files = MultipleFileField(label=_("iperf3 -J results"))


class DvcUploadForm(forms.Form):
    files = MultipleFileField(label=_(".dvc files and dvc.lock"))
    store = forms.ModelChoiceField(
        label=_("Create datasets missing from the catalogue in"),
        queryset=DataStore.objects.order_by("name"),
        required=False,
    )


class DatasetFilterForm(forms.Form):
    q = forms.CharField(label=_("Name, path or format"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Store kind"), required=False, choices=[("", _("all")), *StoreKind.choices]
    )
    versioning = forms.ChoiceField(
        label=_("Versioning"), required=False, choices=[("", _("all")), *Versioning.choices]
    )
    store = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


class AdvisorForm(forms.Form):
    dataset = forms.ModelChoiceField(label=_("Dataset"), queryset=Dataset.objects.order_by("name"))
    model_gb = forms.FloatField(
        label=_("Model size (GB)"), min_value=0.01, max_value=100_000, initial=14
    )
    batch_gb = forms.FloatField(
        label=_("Memory per batch (GB)"), min_value=0, max_value=100_000, initial=8
    )
    gpu_count = forms.IntegerField(label=_("GPUs"), min_value=1, max_value=64, initial=1)
