"""Architecture decision records, their links and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from knowledge.choices import REVERSE_LABELS, AdrStatus, LinkKind

# The Markdown sections of a record, in the order MADR 4 writes them.
SECTION_FIELDS = (
    "context",
    "drivers",
    "options",
    "outcome",
    "consequences",
    "confirmation",
    "pros_cons",
    "more_info",
)


class AdrCounter(models.Model):
    """One row per sequence, locked with SELECT … FOR UPDATE while a number is taken,
    so that concurrent creations get consecutive numbers and no gaps."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Tag(models.Model):
    # Compliance tags are long ("ISO 27001 A.17.1.1 Planning Information Security
    # Continuity"); real decision logs carry them.
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class AdrQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("created_by").prefetch_related("elements", "tags")

    def for_page(self):
        return self.select_related("created_by").prefetch_related(
            "elements",
            "tags",
            "procedures",
            models.Prefetch("links_out", queryset=AdrLink.objects.select_related("target")),
            models.Prefetch("links_in", queryset=AdrLink.objects.select_related("source")),
        )


class Adr(models.Model):
    number = models.PositiveIntegerField(_("number"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AdrStatus.choices,
        default=AdrStatus.PROPOSED,
        db_index=True,
    )
    # Unknown when the record's file gave none: an import never invents one.
    date = models.DateField(_("date"), null=True, blank=True)
    # The status as an imported file wrote it ("on hold", "принято") when that is not
    # simply one of the five; the status above is the nearest of them.
    status_note = models.CharField(
        _("status as written"), max_length=200, blank=True, default="", db_default=""
    )
    # The file the record was imported from; day-named (log4brains) files have no
    # number of their own and are found again by it.
    source_file = models.CharField(
        _("source file"), max_length=255, blank=True, db_index=True, default="", db_default=""
    )
    decision_makers = models.JSONField(_("decision makers"), default=list, blank=True)
    consulted = models.JSONField(_("consulted"), default=list, blank=True)
    informed = models.JSONField(_("informed"), default=list, blank=True)
    elements = models.ManyToManyField(
        "portal.Element", blank=True, related_name="adrs", verbose_name=_("IS elements")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="adrs", verbose_name=_("tags"))
    procedures = models.ManyToManyField(
        "procedures.Procedure", blank=True, related_name="adrs", verbose_name=_("procedures")
    )
    context = models.TextField(_("context and problem statement"), blank=True)
    drivers = models.TextField(_("decision drivers"), blank=True)
    options = models.TextField(_("considered options"), blank=True)
    outcome = models.TextField(_("decision outcome"), blank=True)
    consequences = models.TextField(_("consequences"), blank=True)
    confirmation = models.TextField(_("confirmation"), blank=True)
    pros_cons = models.TextField(_("pros and cons of the options"), blank=True)
    more_info = models.TextField(_("more information"), blank=True)
    # Optimistic locking: an edit names the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_adrs",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdrQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("architecture decision record")
        verbose_name_plural = _("architecture decision records")
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=0), name="adr_number_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:adr-detail", args=[self.number])

    @property
    def code(self) -> str:
        return f"ADR-{self.number:04d}"

    @property
    def file_name(self) -> str:
        return f"{self.number:04d}-{self.slug or 'adr'}.md"

    def sections(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SECTION_FIELDS}


class AdrLink(models.Model):
    source = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source__number", "kind", "target__number"]
        verbose_name = _("decision link")
        verbose_name_plural = _("decision links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="adr_link_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="adr_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} {self.kind} {self.target.code}"

    @property
    def label(self):
        return LinkKind(self.kind).label

    @property
    def reverse_label(self):
        return REVERSE_LABELS[LinkKind(self.kind)]


class AdrRevision(models.Model):
    """The content of a record as it was after an edit; diffs compare two of these."""

    adr = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    content = models.TextField()

    class Meta:
        ordering = ["adr", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["adr", "number"], name="adr_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.adr.code} r{self.number}"


class AdrStatusChange(models.Model):
    adr = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=AdrStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AdrStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["adr", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.adr.code}: {self.from_status} → {self.to_status}"


class AdrSubject(models.Model):
    """The generic subjects table of the first release, read and written by nothing
    any more (``AdrComponent`` replaced it). It stays for the version still serving
    during an upgrade and is dropped, after a last copy into ``AdrComponent``, a
    release later, as README's "Upgrades" asks of every removal."""

    adr = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="subjects")
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["adr", "content_type", "object_id"], name="adr_subject_unique"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="adr_subject_idx")]

    def __str__(self) -> str:
        return f"{self.adr_id} → {self.content_type_id}:{self.object_id}"


class AdrComponent(models.Model):
    """A software component of the inventory that a decision is about. A plain foreign
    key: the component is the one kind of subject, so the database keeps the link whole
    and pages join instead of casting ids."""

    adr = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="component_links")
    component = models.ForeignKey(
        "inventory.Component", on_delete=models.CASCADE, related_name="adr_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adr", "component"], name="adr_component_unique")
        ]

    def __str__(self) -> str:
        return f"{self.adr.code} → component {self.component_id}"


class AdrSupersedeProposal(models.Model):
    """An editor's proposal, made with a new record, that it supersedes ``old``. It
    changes nothing until the record is accepted: ``adr_accept`` then links the two
    and marks ``old`` superseded; a rejection drops it."""

    adr = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="supersede_proposals")
    old = models.ForeignKey(Adr, on_delete=models.CASCADE, related_name="proposed_successors")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["old__number"]
        constraints = [
            models.UniqueConstraint(fields=["adr", "old"], name="one_supersede_proposal_per_pair"),
            models.CheckConstraint(condition=~Q(adr=F("old")), name="supersede_proposal_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.adr} proposes to supersede {self.old}"
