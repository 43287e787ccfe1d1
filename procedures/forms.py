from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.markdown import validate_markdown
from portal.models import Element
from portal.validation import refuse_nul
from procedures.choices import ChangeKind, SignatureMeaning
from procedures.models import RESERVED_SLUGS, Category


class ElementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class VersionContentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, validators=[refuse_nul])
    change_kind = forms.ChoiceField(
        label=_("Kind of change"), choices=ChangeKind.choices, initial=ChangeKind.MAJOR
    )
    change_summary = forms.CharField(
        label=_("Change summary"), max_length=500, required=False, validators=[refuse_nul]
    )
    effective_from = forms.DateTimeField(
        label=_("Effective from"),
        required=False,
        help_text=_("Leave empty to take effect when approved."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # strip=False: leading spaces are Markdown (an indented code block).
    body = forms.CharField(
        label=_("Text (Markdown)"),
        strip=False,
        required=False,
        validators=[validate_markdown],
        widget=forms.Textarea(attrs={"rows": 24}),
    )


class VersionEditForm(VersionContentForm):
    # The revision the editor started from: a save on top of somebody else's is refused.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProcedureCreateForm(VersionContentForm):
    slug = forms.SlugField(
        label=_("Slug"),
        max_length=120,
        help_text=_("Lower-case letters, digits and hyphens; the address of the procedure."),
    )
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.all())
    elements = ElementChoiceField(
        label=_("IS elements"),
        queryset=Element.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    review_interval_days = forms.IntegerField(
        label=_("Review interval (days)"), min_value=1, max_value=3650, initial=365
    )
    required_approvals = forms.IntegerField(
        label=_("Approvals needed"), min_value=1, max_value=20, initial=1
    )

    field_order = [
        "title",
        "slug",
        "category",
        "elements",
        "review_interval_days",
        "required_approvals",
        "change_summary",
        "body",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The first version is always a major one.
        del self.fields["change_kind"]
        del self.fields["effective_from"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise ValidationError(_("This slug is reserved; choose another one."))
        return slug


class ReviewForm(forms.Form):
    DECISIONS = [
        ("approve", _("Approve")),
        ("request_changes", _("Request changes")),
        ("reject", _("Reject")),
    ]
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    meaning = forms.ChoiceField(
        label=_("Meaning of the signature"),
        choices=SignatureMeaning.choices,
        initial=SignatureMeaning.APPROVED,
        required=False,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=10_000,
        validators=[refuse_nul],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # The hash of the text the reviewer read: approving anything else is refused.
    content_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, validators=[refuse_nul]
    )


class ProcedureFilterForm(forms.Form):
    STATUSES = [
        ("", _("Any status")),
        ("current", _("In force")),
        ("unread", _("Not yet acknowledged by me")),
        ("none", _("No version in force")),
        ("in_review", _("In review")),
        ("draft", _("Draft open")),
        ("overdue", _("Review overdue")),
        ("withdrawn", _("Withdrawn")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    element = forms.ChoiceField(label=_("IS element"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        from portal.elements import ElementCode

        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.slug, c.display_name) for c in categories
        ]
        self.fields["element"].choices = [("", _("All elements")), *ElementCode.choices]
