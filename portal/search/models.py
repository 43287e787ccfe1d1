from django.db import models
from django.utils.translation import gettext_lazy as _


def fold(text: str) -> str:
    """Lower case the way Python does it, for SQLite whose LIKE folds ASCII only.

    ``lower`` rather than ``casefold`` keeps the length (so a match found in the folded
    text points at the same place in the original); "ё" reads as "е" as Russian
    readers expect.
    """
    return (text or "").lower().replace("ё", "е")


class SearchEntry(models.Model):
    """One searchable record, written only by ``portal.search.index`` from the
    documents an app's provider builds.

    On PostgreSQL the migration adds a generated ``search_vector`` column (English and
    Russian stems, title weighted above body) with a GIN index; the model does not
    declare it so that the same model runs on SQLite, which searches the folded
    columns instead.
    """

    kind = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    url = models.CharField(max_length=500)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # "|data|networks|": a substring test finds one element on every database.
    elements = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)
    # Python-folded copies for databases without full-text search (SQLite); empty
    # on PostgreSQL, which searches the generated vectors.
    title_folded = models.CharField(max_length=300, blank=True)
    body_folded = models.TextField(blank=True)
    # SHA-1 of what the entry shows: a refresh writes only entries whose digest moved.
    digest = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique")
        ]
        indexes = [models.Index(fields=["kind", "-updated_at"], name="search_kind_updated_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"

    @property
    def element_codes(self) -> list[str]:
        return [code for code in self.elements.split("|") if code]
