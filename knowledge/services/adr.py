"""Writes to decision records: numbering, edits with revisions, status changes,
links. Keyword-only, atomic, policy-checked, audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from knowledge.adr_render import ExportAdr, render_madr
from knowledge.choices import STATUS_ACTIONS, AdrStatus, LinkKind
from knowledge.models import Adr, AdrCounter, AdrLink, AdrRevision, AdrStatusChange, Tag
from knowledge.models.adr import SECTION_FIELDS
from knowledge.selectors.adr_graph import graph_changed
from knowledge.slugs import make_slug
from portal.audit import audit_record
from portal.errors import ConflictError, WorkflowError
from portal.markdown import validate_markdown
from portal.models import Element
from portal.policy import require
from portal.validation import has_nul

COUNTER = "adr"
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
PEOPLE_FIELDS = ("decision_makers", "consulted", "informed")


def _take_number(at_least: int = 0) -> int:
    """The next record number. The counter row is locked until the transaction ends,
    so a concurrent creation waits and then takes the number after ours."""
    counter = AdrCounter.objects.select_for_update().filter(name=COUNTER).first()
    if counter is None:
        highest = Adr.objects.aggregate(n=Max("number"))["n"] or 0
        try:
            with transaction.atomic():
                AdrCounter.objects.create(name=COUNTER, value=highest)
        except IntegrityError:
            pass  # created by a concurrent transaction: lock theirs
        counter = AdrCounter.objects.select_for_update().get(name=COUNTER)
    counter.value = max(counter.value, at_least - 1) + 1
    counter.save(update_fields=["value"])
    return counter.value


def _reserve_number(number: int) -> None:
    """An imported record keeps its number; later creations continue after it."""
    counter = AdrCounter.objects.select_for_update().filter(name=COUNTER).first()
    if counter is None:
        AdrCounter.objects.get_or_create(name=COUNTER, defaults={"value": number})
        counter = AdrCounter.objects.select_for_update().get(name=COUNTER)
    if counter.value < number:
        counter.value = number
        counter.save(update_fields=["value"])


def _clean_names(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() for v in values if v and v.strip()]


def _elements(codes: Iterable) -> list[Element]:
    codes = [getattr(c, "code", c) for c in codes]
    found = list(Element.objects.filter(code__in=codes))
    unknown = set(codes) - {e.code for e in found}
    if unknown:
        raise ValidationError(
            {
                "elements": _("Unknown IS elements: %(codes)s.")
                % {"codes": ", ".join(sorted(unknown))}
            }
        )
    return found


def _tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in _clean_names(list(names)):
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                {"tags": _("A tag is at most %(limit)s characters.") % {"limit": TAG_MAX_LENGTH}}
            )
        tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def _validate(title: str, sections: dict[str, str]) -> None:
    errors = {}
    if not title or not title.strip():
        errors["title"] = [_("A decision record needs a title.")]
    elif len(title) > 200 or has_nul(title):
        errors["title"] = [_("The title is at most 200 characters of text.")]
    for name, text in sections.items():
        try:
            validate_markdown(text or "")
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def adr_content(adr: Adr) -> str:
    """The record as one Markdown text: what revisions store and diffs compare."""
    return render_madr(
        ExportAdr(
            number=adr.number,
            title=adr.title,
            file_name=adr.file_name,
            status=adr.status,
            date=adr.date,
            decision_makers=adr.decision_makers,
            consulted=adr.consulted,
            informed=adr.informed,
            tags=[],
            elements=[],
            sections=adr.sections(),
            links=[],
        )
    )


def _snapshot(adr: Adr) -> dict:
    data = {name: getattr(adr, name) for name in ("title", "status", "date", *PEOPLE_FIELDS)}
    data.update(adr.sections())
    return data


def _revise(adr: Adr, actor) -> AdrRevision:
    number = (adr.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return AdrRevision.objects.create(
        adr=adr,
        number=number,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        content=adr_content(adr),
    )


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def adr_create(
    *,
    actor,
    title: str,
    date: datetime.date | None = None,
    decision_makers: Iterable[str] | str = (),
    consulted: Iterable[str] | str = (),
    informed: Iterable[str] | str = (),
    elements: Iterable = (),
    tags: Iterable[str] = (),
    procedures: Iterable = (),
    **sections: str,
) -> Adr:
    """A new record, proposed, with the next number."""
    require(actor, "adr.create")
    unknown = set(sections) - set(SECTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown ADR sections: {sorted(unknown)}")
    _validate(title, sections)
    element_rows = _elements(elements)
    tag_rows = _tags(tags)
    adr = Adr(
        number=_take_number(),
        title=title.strip(),
        slug=make_slug(title),
        status=AdrStatus.PROPOSED,
        date=date or timezone.localdate(),
        decision_makers=_clean_names(decision_makers),
        consulted=_clean_names(consulted),
        informed=_clean_names(informed),
        created_by=_user_or_none(actor),
        **{name: (sections.get(name) or "").strip() for name in SECTION_FIELDS},
    )
    adr.full_clean(exclude=["elements", "tags", "procedures"])
    adr.save()
    adr.elements.set(element_rows)
    adr.tags.set(tag_rows)
    adr.procedures.set(list(procedures))
    _revise(adr, actor)
    AdrStatusChange.objects.create(
        adr=adr, from_status="", to_status=adr.status, actor=_user_or_none(actor)
    )
    audit_record(actor=actor, verb="adr.create", obj=adr, after=_snapshot(adr))
    return adr


def _lock(adr: Adr) -> Adr:
    return Adr.objects.select_for_update().get(pk=adr.pk)


@transaction.atomic
def adr_update(
    *,
    actor,
    adr: Adr,
    revision: int,
    title: str | None = None,
    date: datetime.date | None = None,
    decision_makers: Iterable[str] | str | None = None,
    consulted: Iterable[str] | str | None = None,
    informed: Iterable[str] | str | None = None,
    elements: Iterable | None = None,
    tags: Iterable[str] | None = None,
    procedures: Iterable | None = None,
    **sections: str,
) -> Adr:
    """Edit the text and metadata (not the status). ``revision`` is the one the
    editor started from: if someone saved in between, the edit is refused."""
    require(actor, "adr.edit", adr)
    unknown = set(sections) - set(SECTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown ADR sections: {sorted(unknown)}")
    locked = _lock(adr)
    if locked.revision != revision:
        raise ConflictError(
            _("Someone else saved this record after you opened it. Reload and edit again.")
        )
    before = _snapshot(locked)
    new_title = title.strip() if title is not None else locked.title
    new_sections = {k: (v or "").strip() for k, v in sections.items()}
    _validate(new_title, new_sections)
    locked.title = new_title
    locked.slug = make_slug(new_title)
    if date is not None:
        locked.date = date
    for name, value in (
        ("decision_makers", decision_makers),
        ("consulted", consulted),
        ("informed", informed),
    ):
        if value is not None:
            setattr(locked, name, _clean_names(value))
    for name, value in new_sections.items():
        setattr(locked, name, value)
    if elements is not None:
        locked.elements.set(_elements(elements))
    if tags is not None:
        locked.tags.set(_tags(tags))
    if procedures is not None:
        locked.procedures.set(list(procedures))
    after = _snapshot(locked)
    if after != before:
        locked.revision += 1
        locked.full_clean(exclude=["elements", "tags", "procedures"])
        locked.save()
        _revise(locked, actor)
        changed = [k for k in after if after[k] != before[k]]
        if "title" in changed:
            graph_changed()
        audit_record(
            actor=actor,
            verb="adr.update",
            obj=locked,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return locked


def _change_status(actor, adr: Adr, to_status: str, note: str, verb: str) -> Adr:
    from_status = adr.status
    adr.status = to_status
    adr.save(update_fields=["status", "updated_at"])
    graph_changed()
    AdrStatusChange.objects.create(
        adr=adr,
        from_status=from_status,
        to_status=to_status,
        actor=_user_or_none(actor),
        note=note[:500],
    )
    audit_record(
        actor=actor,
        verb=verb,
        obj=adr,
        before={"status": from_status},
        after={"status": to_status, "note": note},
    )
    return adr


def _status_action(action: str, actor, adr: Adr, note: str) -> Adr:
    require(actor, f"adr.{action}", adr)
    allowed_from, to_status = STATUS_ACTIONS[action]
    locked = _lock(adr)
    if locked.status not in allowed_from:
        raise WorkflowError(
            _("A record that is %(status)s cannot be %(action)s.")
            % {
                "status": AdrStatus(locked.status).label.lower(),
                "action": AdrStatus(to_status).label.lower(),
            },
            code="invalid_status",
        )
    return _change_status(actor, locked, to_status, note, f"adr.{action}")


@transaction.atomic
def adr_accept(*, actor, adr: Adr, note: str = "") -> Adr:
    from knowledge.services.adr_proposals import supersede_proposals_apply

    accepted = _status_action("accept", actor, adr, note)
    supersede_proposals_apply(actor=actor, adr=accepted)  # what it proposed takes effect now
    return accepted


@transaction.atomic
def adr_reject(*, actor, adr: Adr, note: str = "") -> Adr:
    from knowledge.services.adr_proposals import supersede_proposals_drop

    rejected = _status_action("reject", actor, adr, note)
    supersede_proposals_drop(adr=rejected)
    return rejected


@transaction.atomic
def adr_deprecate(*, actor, adr: Adr, note: str = "") -> Adr:
    return _status_action("deprecate", actor, adr, note)


SUPERSEDABLE = {AdrStatus.ACCEPTED, AdrStatus.DEPRECATED, AdrStatus.PROPOSED}


@transaction.atomic
def adr_supersede(*, actor, adr: Adr, old: Adr, note: str = "") -> AdrLink:
    """``adr`` supersedes ``old``: the link and the old record's new status are
    written together or not at all."""
    require(actor, "adr.supersede", old)
    if adr.pk == old.pk:
        raise ValidationError(_("A record cannot supersede itself."))
    # Lock both rows in a fixed order so that two crossing supersessions cannot deadlock.
    rows = {
        a.pk: a
        for a in Adr.objects.select_for_update().filter(pk__in=[adr.pk, old.pk]).order_by("pk")
    }
    new, previous = rows[adr.pk], rows[old.pk]
    if previous.status not in SUPERSEDABLE:
        raise WorkflowError(
            _("%(code)s is %(status)s and cannot be superseded.")
            % {"code": previous.code, "status": AdrStatus(previous.status).label.lower()},
            code="invalid_status",
        )
    if new.status in (AdrStatus.SUPERSEDED, AdrStatus.REJECTED):
        raise WorkflowError(
            _("%(code)s is %(status)s and cannot supersede another record.")
            % {"code": new.code, "status": AdrStatus(new.status).label.lower()},
            code="invalid_status",
        )
    if AdrLink.objects.filter(source=previous, target=new, kind=LinkKind.SUPERSEDES).exists():
        raise WorkflowError(
            _("%(old)s already supersedes %(new)s.") % {"old": previous.code, "new": new.code},
            code="cycle",
        )
    link = AdrLink.objects.create(
        source=new, target=previous, kind=LinkKind.SUPERSEDES, created_by=_user_or_none(actor)
    )
    _change_status(actor, previous, AdrStatus.SUPERSEDED, note, "adr.superseded")
    audit_record(
        actor=actor,
        verb="adr.supersede",
        obj=new,
        after={"supersedes": previous.code, "note": note},
    )
    return link


@transaction.atomic
def adr_link_add(*, actor, source: Adr, target: Adr, kind: str, note: str = "") -> AdrLink:
    if kind == LinkKind.SUPERSEDES:
        return adr_supersede(actor=actor, adr=source, old=target, note=note)
    require(actor, "adr.edit", source)
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Unknown link kind.")})
    if source.pk == target.pk:
        raise ValidationError(_("A record cannot link to itself."))
    exists = AdrLink.objects.filter(source=source, target=target, kind=kind)
    if kind == LinkKind.RELATES_TO:
        exists = exists | AdrLink.objects.filter(source=target, target=source, kind=kind)
    if exists.exists():
        raise ConflictError(_("These records are already linked that way."))
    link = AdrLink.objects.create(
        source=source, target=target, kind=kind, created_by=_user_or_none(actor)
    )
    graph_changed()
    audit_record(
        actor=actor,
        verb="adr.link_add",
        obj=source,
        after={"kind": kind, "target": target.code},
    )
    return link


def status_before_supersession(adr: Adr) -> str:
    """The status a superseded record had before its latest supersession."""
    change = (
        adr.status_changes.filter(to_status=AdrStatus.SUPERSEDED)
        .exclude(from_status=AdrStatus.SUPERSEDED)
        .order_by("-changed_at", "-id")
        .first()
    )
    if change is None or not change.from_status:
        return AdrStatus.ACCEPTED
    return change.from_status


@transaction.atomic
def adr_link_remove(*, actor, link: AdrLink, note: str = "") -> None:
    """Remove a link. Removing a supersession needs the right that made it, and gives
    the old record back the status it had when nothing else supersedes it any more."""
    require(actor, "adr.link_remove", link)
    link = AdrLink.objects.select_for_update().select_related("source", "target").get(pk=link.pk)
    audit_record(
        actor=actor,
        verb="adr.link_remove",
        obj=link.source,
        before={"kind": link.kind, "target": link.target.code},
    )
    target = link.target
    link.delete()
    graph_changed()
    if link.kind != LinkKind.SUPERSEDES:
        return
    old = _lock(target)
    still_superseded = old.links_in.filter(kind=LinkKind.SUPERSEDES).exists()
    if old.status == AdrStatus.SUPERSEDED and not still_superseded:
        _change_status(
            actor, old, status_before_supersession(old), note, "adr.supersession_removed"
        )
