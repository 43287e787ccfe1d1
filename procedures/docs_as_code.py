"""Procedures as Markdown files with YAML front matter (docs-as-code).

Parsing and serialising only; loading into the database is
``procedures.services.procedure_import_document``. Every problem with a file is a
:class:`DocumentError` with a message a person can act on, so an import reports it
for that file and carries on with the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _

from portal.elements import ElementCode
from portal.frontmatter import FrontMatterError, parse_front_matter
from portal.markdown import validate_markdown
from portal.validation import has_nul, nul_message, size_message
from procedures.choices import ChangeKind
from procedures.content import normalise_body, normalise_text

# Front matter is small; the body has the portal's Markdown limit.
FRONT_MATTER_MAX_BYTES = 64 * 1024
VERSION_RE = re.compile(r"^(\d{1,6})\.(\d{1,6})$")
# Keys the export writes for readers; an import ignores them.
READ_ONLY_KEYS = ("status", "effective_from", "content_sha256", "approvals")
KNOWN_KEYS = {
    "slug",
    "title",
    "category",
    "elements",
    "review_interval_days",
    "required_approvals",
    "version",
    "change_kind",
    "change_summary",
    *READ_ONLY_KEYS,
}


class DocumentError(ValueError):
    """A file that cannot be loaded, with the reason."""


@dataclass(frozen=True)
class ProcedureDocument:
    slug: str
    title: str
    category: str
    body: str
    elements: tuple[str, ...] = ()
    review_interval_days: int = 365
    required_approvals: int = 1
    version: str | None = None
    change_kind: str = ChangeKind.MAJOR.value
    change_summary: str = ""
    # Read-only facts from an export; never loaded.
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def version_tuple(self) -> tuple[int, int] | None:
        if not self.version:
            return None
        match = VERSION_RE.match(self.version)
        return (int(match.group(1)), int(match.group(2))) if match else None


def max_file_bytes() -> int:
    return settings.MARKDOWN_MAX_BYTES + FRONT_MATTER_MAX_BYTES


def _positive_int(meta: dict, key: str, default: int) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DocumentError(
            _("%(key)s must be a whole number of at least 1, got %(value)r.")
            % {"key": key, "value": value}
        )
    return value


def _text(meta: dict, key: str, *, required: bool, max_length: int) -> str:
    value = meta.get(key)
    if value is None:
        if required:
            raise DocumentError(_("The front matter has no %(key)s.") % {"key": key})
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise DocumentError(_("%(key)s must be text.") % {"key": key})
    value = str(value).strip()
    if required and not value:
        raise DocumentError(_("%(key)s must not be empty.") % {"key": key})
    if len(value) > max_length:
        raise DocumentError(
            _("%(key)s is longer than %(limit)s characters.") % {"key": key, "limit": max_length}
        )
    return value


def parse_document(data: bytes) -> ProcedureDocument:
    """Bytes of one file to a document, or :class:`DocumentError`."""
    meta, body = _front_matter_of(data)
    slug = _text(meta, "slug", required=True, max_length=120)
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise DocumentError(_("slug %(slug)r is not a valid slug.") % {"slug": slug}) from exc
    title = _text(meta, "title", required=True, max_length=200)
    category = _text(meta, "category", required=True, max_length=50)
    elements = _elements(meta)
    version = _version(meta)
    change_kind = _text(meta, "change_kind", required=False, max_length=10) or ChangeKind.MAJOR
    if change_kind not in ChangeKind.values:
        raise DocumentError(
            _("change_kind must be one of %(kinds)s.") % {"kinds": ", ".join(ChangeKind.values)}
        )
    body = normalise_body(body)
    try:
        validate_markdown(body)
    except ValidationError as exc:
        raise DocumentError(" ".join(exc.messages)) from exc
    return ProcedureDocument(
        slug=slug,
        title=title,
        category=category,
        body=body,
        elements=elements,
        review_interval_days=_positive_int(meta, "review_interval_days", 365),
        required_approvals=_positive_int(meta, "required_approvals", 1),
        version=version,
        change_kind=str(change_kind),
        change_summary=_text(meta, "change_summary", required=False, max_length=500),
        extra={k: meta[k] for k in READ_ONLY_KEYS if k in meta},
    )


def _front_matter_of(data: bytes) -> tuple[dict, str]:
    """The file's front matter (known keys only) and body, from its bytes."""
    too_big = size_message(len(data), max_file_bytes(), file=True)
    if too_big:
        raise DocumentError(too_big)
    if has_nul(data):
        raise DocumentError(nul_message(file=True))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            _("The file is not valid UTF-8 (byte %(position)s).") % {"position": exc.start}
        ) from exc
    text = normalise_text(text.removeprefix("\ufeff"))
    try:
        meta, body, _line = parse_front_matter(text, required=True)
    except FrontMatterError as exc:
        raise DocumentError(
            _("line %(line)s: %(message)s") % {"line": exc.line, "message": exc.message}
        ) from exc
    unknown = sorted(str(k) for k in meta if k not in KNOWN_KEYS)
    if unknown:
        raise DocumentError(
            _("Unknown front matter keys: %(keys)s.") % {"keys": ", ".join(unknown)}
        )
    return meta, body


def _elements(meta: dict) -> tuple[str, ...]:
    elements = meta.get("elements") or []
    if not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
        raise DocumentError(_("elements must be a list of element codes."))
    known = {code for code, _label in ElementCode.choices}
    bad = [e for e in elements if e not in known]
    if bad:
        raise DocumentError(
            _("Unknown elements: %(bad)s (known: %(known)s).")
            % {"bad": ", ".join(bad), "known": ", ".join(sorted(known))}
        )
    return tuple(dict.fromkeys(elements))


def _version(meta: dict) -> str | None:
    version = meta.get("version")
    if version is None:
        return None
    # An unquoted 1.0 arrives as a float; its text is still the number meant.
    version = str(version).strip()
    if not VERSION_RE.match(version):
        raise DocumentError(_('version must look like "1.0", got %(value)r.') % {"value": version})
    return version


def serialise_document(document: ProcedureDocument) -> str:
    meta = {
        "slug": document.slug,
        "title": document.title,
        "category": document.category,
        "elements": list(document.elements),
        "review_interval_days": document.review_interval_days,
        "required_approvals": document.required_approvals,
        "version": document.version,
        "change_kind": document.change_kind,
        "change_summary": document.change_summary,
    }
    meta.update({k: document.extra[k] for k in READ_ONLY_KEYS if k in document.extra})
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None)
    if yaml.safe_load(front) != meta:
        # PyYAML writes some Unicode line breaks (U+0085, U+2028) raw, and reading them
        # back folds them into spaces; escaped ASCII output always reads back exactly.
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=False, default_flow_style=None)
    return f"---\n{front}---\n{normalise_body(document.body)}"


def document_from_version(version, approvals) -> ProcedureDocument:
    """The export form of a version; ``approvals`` are its approving reviews."""
    procedure = version.procedure
    return ProcedureDocument(
        slug=procedure.slug,
        title=version.title or procedure.title,
        category=procedure.category.slug,
        body=version.body,
        elements=tuple(e.code for e in procedure.elements.all()),
        review_interval_days=procedure.review_interval_days,
        required_approvals=procedure.required_approvals,
        version=version.number,
        change_kind=version.change_kind,
        change_summary=version.change_summary,
        extra={
            "status": version.status,
            "effective_from": version.effective_from.isoformat()
            if version.effective_from
            else None,
            "content_sha256": version.content_sha256,
            "approvals": [
                {
                    "by": r.reviewer.get_username(),
                    "at": r.created_at.isoformat(),
                    "meaning": r.meaning,
                }
                for r in approvals
            ],
        },
    )
