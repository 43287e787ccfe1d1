from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from knowledge.choices import AdrStatus, LinkKind, Phase, StepKind
from knowledge.models import Adr, Role, Track, TrackStep
from knowledge.models.adr import SECTION_FIELDS
from knowledge.models.onboarding import STEP_FIELDS
from knowledge.selectors.adr import parse_number
from portal.elements import ElementCode
from portal.lookup import ReferenceField
from procedures.lookup import procedure_field


def adr_field(*, queryset=None, multiple: bool = False, **kwargs) -> ReferenceField:
    """A record named by its number or code ("42", "ADR-0042"), with suggestions."""
    return ReferenceField(
        queryset=Adr.objects.all() if queryset is None else queryset,
        to_field="number",
        parse=parse_number,
        display=lambda adr: adr.code,
        lookup_url=reverse_lazy("knowledge:adr-lookup"),
        multiple=multiple,
        **kwargs,
    )


def _names(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class AdrForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    decision_makers = forms.CharField(
        label=_("Decision makers"), required=False, help_text=_("Names, separated by commas.")
    )
    consulted = forms.CharField(label=_("Consulted"), required=False)
    informed = forms.CharField(label=_("Informed"), required=False)
    elements = forms.MultipleChoiceField(
        label=_("IS elements"),
        choices=ElementCode.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    procedures = procedure_field(
        multiple=True,
        label=_("Procedures"),
        required=False,
        help_text=_("Slugs, separated by commas."),
    )
    context = forms.CharField(
        label=_("Context and problem statement"), widget=forms.Textarea, required=False
    )
    drivers = forms.CharField(label=_("Decision drivers"), widget=forms.Textarea, required=False)
    options = forms.CharField(label=_("Considered options"), widget=forms.Textarea, required=False)
    outcome = forms.CharField(label=_("Decision outcome"), widget=forms.Textarea, required=False)
    consequences = forms.CharField(label=_("Consequences"), widget=forms.Textarea, required=False)
    confirmation = forms.CharField(label=_("Confirmation"), widget=forms.Textarea, required=False)
    pros_cons = forms.CharField(
        label=_("Pros and cons of the options"), widget=forms.Textarea, required=False
    )
    more_info = forms.CharField(label=_("More information"), widget=forms.Textarea, required=False)
    supersedes = adr_field(
        multiple=True,
        queryset=Adr.objects.filter(
            status__in=[AdrStatus.ACCEPTED, AdrStatus.DEPRECATED, AdrStatus.PROPOSED]
        ),
        label=_("Supersedes"),
        required=False,
        help_text=_(
            "Record numbers, separated by commas. Takes effect when this record is accepted."
        ),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, adr: Adr | None) -> dict:
        if adr is None:
            return {"date": timezone.localdate()}
        data = {
            "title": adr.title,
            "date": adr.date,
            "decision_makers": ", ".join(adr.decision_makers),
            "consulted": ", ".join(adr.consulted),
            "informed": ", ".join(adr.informed),
            "elements": [e.code for e in adr.elements.all()],
            "tags": ", ".join(t.name for t in adr.tags.all()),
            "procedures": list(adr.procedures.all()),
            "revision": adr.revision,
        }
        data.update(adr.sections())
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "title": data["title"],
            "date": data["date"],
            "decision_makers": _names(data["decision_makers"]),
            "consulted": _names(data["consulted"]),
            "informed": _names(data["informed"]),
            "elements": data["elements"],
            "tags": _names(data["tags"]),
            "procedures": list(data["procedures"]),
        }
        kwargs.update({name: data[name] for name in SECTION_FIELDS})
        return kwargs


class StatusNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


def _other_than(adr: Adr | None, other: Adr, message) -> Adr:
    """A record is never accepted as a link target of itself."""
    if adr is not None and other.pk == adr.pk:
        raise ValidationError(message, code="itself")
    return other


class SupersedeForm(forms.Form):
    old = adr_field(label=_("Record this one supersedes"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, adr: Adr | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.adr = adr

    def clean_old(self) -> Adr:
        return _other_than(
            self.adr, self.cleaned_data["old"], _("A record cannot supersede itself.")
        )


class LinkForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Link"),
        choices=[
            (LinkKind.AMENDS, LinkKind.AMENDS.label),
            (LinkKind.RELATES_TO, LinkKind.RELATES_TO.label),
        ],
    )
    target = adr_field(label=_("Record"))

    def __init__(self, *args, adr: Adr | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.adr = adr

    def clean_target(self) -> Adr:
        return _other_than(
            self.adr, self.cleaned_data["target"], _("A record cannot link to itself.")
        )


class ComponentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        version = f" {obj.version}" if obj.version else ""
        return f"{obj.name}{version} — {obj.cluster.name}/{obj.namespace}"


class ComponentLinkForm(forms.Form):
    component = ComponentChoiceField(label=_("Software component"), queryset=None)

    def __init__(self, *args, **kwargs):
        from knowledge.selectors.adr_components import component_choices

        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = component_choices()


class EnrolForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
    )
    track = forms.ModelChoiceField(label=_("Track"), queryset=Track.objects.select_related("role"))
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    buddy = forms.ModelChoiceField(
        label=_("Buddy"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )


class TrackStepForm(forms.ModelForm):
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=StepKind.choices)
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    procedure = procedure_field(label=_("Procedure"), required=False)
    adr = adr_field(label=_("Decision record"), required=False)

    class Meta:
        model = TrackStep
        fields = [*STEP_FIELDS, "depends_on"]

    def __init__(self, *args, track: Track, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.track = track
        self.fields["depends_on"].queryset = track.steps.exclude(pk=self.instance.pk or 0)
        self.fields["depends_on"].required = False

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        depends_on = list(data.pop("depends_on", []) or [])
        return {"depends_on": depends_on, **data}


class TrackForm(forms.Form):
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.filter(track__isnull=True))
    title = forms.CharField(label=_("Title"), max_length=200)
    title_ru = forms.CharField(label=_("Title in Russian"), max_length=200, required=False)
