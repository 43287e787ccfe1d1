from datetime import UTC

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.choices import ComponentCategory, ObjectKind, SourceKind


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


# -- sources: one form per kind, with help for each field --------------------------


class SourceForm(forms.Form):
    """What every source has; each kind's form adds its configuration fields and
    turns them into the source's ``config`` (paths and URLs only, never a secret)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    enabled = forms.BooleanField(
        label=_("Enabled"), required=False, initial=True,
        help_text=_("A disabled source is never read; what it found stays."),
    )  # fmt: skip
    sync_interval_seconds = forms.IntegerField(
        label=_("Sync interval (seconds)"), min_value=30, initial=300,
        help_text=_("How often the source is read (at least 30 seconds)."),
    )  # fmt: skip

    config_fields: tuple[str, ...] = ()

    def config(self) -> dict:
        return {
            k: v for k in self.config_fields if (v := self.cleaned_data.get(k)) not in ("", None)
        }

    @classmethod
    def initial_from(cls, source) -> dict:
        return {
            "name": source.name,
            "enabled": source.enabled,
            "sync_interval_seconds": source.sync_interval_seconds,
            **(source.config or {}),
        }


class KubernetesSourceForm(SourceForm):
    in_cluster = forms.BooleanField(
        label=_("In-cluster service account"), required=False,
        help_text=_("Use the token of the pod the portal runs in (the portal-inventory-reader "
                    "account of deploy/kubernetes/rbac.yaml), instead of a kubeconfig."),
    )  # fmt: skip
    kubeconfig = forms.CharField(
        label=_("Kubeconfig path"), required=False, max_length=500,
        help_text=_("A file on the portal's machine, e.g. /etc/portal/kubeconfig. The "
                    "credentials stay in the file; only its path is stored."),
    )  # fmt: skip
    context = forms.CharField(
        label=_("Context"), required=False, max_length=200,
        help_text=_("The kubeconfig context to use; empty for its current context."),
    )  # fmt: skip
    page_size = forms.IntegerField(
        label=_("Page size"), required=False, min_value=1, max_value=5000,
        help_text=_("Objects per list request (default 500): smaller pages ask less of the "
                    "API server at a time."),
    )  # fmt: skip
    request_timeout = forms.FloatField(
        label=_("Request timeout (seconds)"), required=False, min_value=1, max_value=300,
        help_text=_("How long one request may take before the read fails (default 30)."),
    )  # fmt: skip

    config_fields = ("in_cluster", "kubeconfig", "context", "page_size", "request_timeout")

    def config(self) -> dict:
        config = super().config()
        if not config.get("in_cluster"):
            config.pop("in_cluster", None)
        return config

    def clean(self):
        data = super().clean()
        if not data.get("in_cluster") and not data.get("kubeconfig"):
            raise forms.ValidationError(_("Give a kubeconfig path, or use the in-cluster account."))
        return data


class FilesSourceForm(SourceForm):
    path = forms.CharField(
        label=_("Folder"), max_length=500,
        help_text=_("A folder holding nodes.json and workloads.json (kubectl get -o json) and "
                    "nvidia-smi/<node>.xml (nvidia-smi -q -x); relative to the portal's folder."),
    )  # fmt: skip

    config_fields = ("path",)


class DcgmSourceForm(SourceForm):
    urls = forms.CharField(
        label=_("Metrics URLs"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One dcgm-exporter /metrics URL per line, e.g. http://gpu-node-1:9400/metrics."),
    )  # fmt: skip

    config_fields = ("urls",)

    def clean_urls(self) -> list[str]:
        urls = [u.strip() for u in self.cleaned_data["urls"].splitlines() if u.strip()]
        if not urls or not all(u.startswith(("http://", "https://")) for u in urls):
            raise forms.ValidationError(_("Give one http(s) URL per line."))
        return urls

    @classmethod
    def initial_from(cls, source) -> dict:
        initial = super().initial_from(source)
        initial["urls"] = "\n".join(initial.get("urls") or [])
        return initial


class GpuAgentSourceForm(SourceForm):
    """GPU agents push their reports: nothing to configure but the interval at which
    they are asked."""


SOURCE_FORMS = {
    SourceKind.KUBERNETES: KubernetesSourceForm,
    SourceKind.FILES: FilesSourceForm,
    SourceKind.DCGM: DcgmSourceForm,
    SourceKind.GPU_AGENT: GpuAgentSourceForm,
}
