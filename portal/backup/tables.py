"""A table as plain JSON rows and back.

Rows keep their primary keys, so links between restored rows (and the audit log's
object ids) stay true. Rows that another database already has under other keys are
named instead of numbered: users by username, elements by code, categories by slug.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models

from portal.backup.archive import BackupError


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    path: str
    # Foreign keys to the user model, written as usernames.
    users: tuple[str, ...] = ()
    # Foreign key -> attribute of the target that names it in any database
    # ("slug", "code"; "app_label.model" joins several with dots).
    natural: Mapping[str, str] = field(default_factory=dict)
    # Many-to-many field -> attribute naming the target ("pk" for the key itself).
    m2m: Mapping[str, str] = field(default_factory=dict)
    omit: tuple[str, ...] = ()
    # False: rows get new keys on import (tables that may already have rows).
    keep_pk: bool = True
    order_by: tuple[str, ...] = ("pk",)

    @property
    def label(self) -> str:
        return self.model._meta.label

    def fields(self) -> list[models.Field]:
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in self.omit and (self.keep_pk or not f.primary_key)
        ]


def _key_of(obj, attr: str):
    if attr == "pk":
        return obj.pk
    return ".".join(str(getattr(obj, part)) for part in attr.split("."))


class Keys:
    """Lookups between keys and names, built once per table so a dump or a load costs
    a fixed number of queries however many rows it has."""

    def __init__(self) -> None:
        self._names: dict[tuple, dict] = {}
        self._pks: dict[tuple, dict] = {}
        self._usernames: dict[int, str] | None = None
        self._user_pks: dict[str, int] | None = None
        # Rows loaded per model label, checked against the manifest's counts.
        self.loaded: dict[str, int] = {}
        self.kept_pk_models: list[type[models.Model]] = []

    def note(self, label: str, n: int) -> None:
        self.loaded[label] = self.loaded.get(label, 0) + n

    def drop(self, model: type[models.Model]) -> None:
        """Names of ``model`` are looked up again: its rows just changed."""
        for cache in (self._names, self._pks):
            for key in [k for k in cache if k[0] is model]:
                del cache[key]

    def forget(self) -> None:
        self._names.clear()
        self._pks.clear()
        self._usernames = None
        self._user_pks = None

    def names(self, model: type[models.Model], attr: str) -> dict:
        key = (model, attr)
        if key not in self._names:
            self._names[key] = {o.pk: _key_of(o, attr) for o in model._default_manager.all()}
        return self._names[key]

    def pk_of(self, model: type[models.Model], attr: str, name, *, where: str):
        if attr == "pk":
            return name
        key = (model, attr)
        if key not in self._pks:
            # Built once, not per row: a restore looks up every row's links here.
            self._pks[key] = {v: k for k, v in self.names(model, attr).items()}
        reverse = self._pks[key]
        if name not in reverse:
            raise BackupError(
                f"{where}: no {model._meta.verbose_name} named {name!r} in this database."
            )
        return reverse[name]

    def username(self, pk: int | None) -> str | None:
        if pk is None:
            return None
        if self._usernames is None:
            self._usernames = dict(get_user_model()._default_manager.values_list("pk", "username"))
        return self._usernames[pk]

    def user_pk(self, username: str | None) -> int | None:
        if username is None:
            return None
        if self._user_pks is None:
            self._user_pks = {
                u: pk for pk, u in get_user_model()._default_manager.values_list("pk", "username")
            }
        if username not in self._user_pks:
            self._user_pks[username] = user_placeholder(username=username).pk
        return self._user_pks[username]


def user_placeholder(*, username: str, first_name="", last_name="", email="", groups=()):
    """A person the backup names who has no account here: created unable to sign in
    until an administrator activates them (or Keycloak links them on first login)."""
    User = get_user_model()
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_active=False,
    )
    user.set_unusable_password()
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save()
    if groups:
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def table_rows(table: Table, keys: Keys, queryset=None) -> list[dict]:
    """Every row of the table (or of ``queryset``) in primary-key order."""
    fields = table.fields()
    naming = {
        name: keys.names(table.model._meta.get_field(name).related_model, attr)
        for name, attr in table.natural.items()
    }
    qs = queryset if queryset is not None else table.model._default_manager.all()
    raw_rows = list(qs.order_by(*table.order_by).values(*[f.attname for f in fields]))
    m2m = {name: _m2m_pairs(table, name, attr, keys) for name, attr in table.m2m.items()}
    rows = []
    for raw in raw_rows:
        row = {}
        for f in fields:
            value = raw[f.attname]
            if f.name in table.users:
                value = keys.username(value)
            elif f.name in naming and value is not None:
                value = naming[f.name][value]
            row[f.name] = _plain(value)
        pk = raw[table.model._meta.pk.attname] if table.keep_pk else None
        for name in table.m2m:
            row[name] = sorted(m2m[name].get(pk, []), key=str)
        rows.append(row)
    return rows


def _m2m_pairs(table: Table, name: str, attr: str, keys: Keys) -> dict:
    if not table.keep_pk:
        raise ValueError("many-to-many fields need the rows' own keys")
    m2m_field = table.model._meta.get_field(name)
    through = m2m_field.remote_field.through
    own, other = f"{m2m_field.m2m_field_name()}_id", f"{m2m_field.m2m_reverse_field_name()}_id"
    target_names = None if attr == "pk" else keys.names(m2m_field.related_model, attr)
    pairs: dict = {}
    for source, target in through._default_manager.values_list(own, other):
        pairs.setdefault(source, []).append(
            target if target_names is None else target_names[target]
        )
    return pairs


@contextmanager
def timestamps_as_given(model: type[models.Model]) -> Iterator[None]:
    """auto_now/auto_now_add would stamp restored rows with the time of the restore."""
    flagged = [
        (f, f.auto_now, f.auto_now_add)
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    try:
        for f, _now, _add in flagged:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, now, add in flagged:
            f.auto_now, f.auto_now_add = now, add


def table_load(
    table: Table, rows: list, keys: Keys, *, adjust: Callable[[dict, object], None] | None = None
) -> list[models.Model]:
    """Insert ``rows`` (as :func:`table_rows` wrote them). ``adjust(row, obj)`` may set
    what the JSON does not carry (a body read from its Markdown file)."""
    if not isinstance(rows, list):
        raise BackupError(f"{table.path}: expected a list of rows.")
    fields = table.fields()
    expected = {f.name for f in fields} | set(table.m2m)
    objs, links = [], []
    for index, row in enumerate(rows):
        where = f"{table.path} row {index + 1}"
        if not isinstance(row, dict):
            raise BackupError(f"{where}: expected an object.")
        missing, unknown = expected - set(row), set(row) - expected
        if missing or unknown:
            raise BackupError(
                f"{where}: missing fields {sorted(missing)}, unknown fields {sorted(unknown)}."
            )
        values = {}
        for f in fields:
            value = row[f.name]
            try:
                if f.name in table.users:
                    value = keys.user_pk(value)
                elif f.name in table.natural and value is not None:
                    value = keys.pk_of(
                        f.related_model, table.natural[f.name], value, where=f"{where} {f.name}"
                    )
                elif not f.is_relation:
                    value = f.to_python(value)
            except ValidationError as exc:
                raise BackupError(f"{where} {f.name}: {' '.join(exc.messages)}") from exc
            values[f.attname] = value
        obj = table.model(**values)
        if adjust is not None:
            adjust(row, obj)
        objs.append(obj)
        for name, attr in table.m2m.items():
            m2m_field = table.model._meta.get_field(name)
            for target in row[name] or []:
                target_pk = keys.pk_of(
                    m2m_field.related_model, attr, target, where=f"{where} {name}"
                )
                links.append((name, obj.pk, target_pk))
    with timestamps_as_given(table.model):
        table.model._default_manager.bulk_create(objs, batch_size=500)
    keys.drop(table.model)
    keys.note(table.label, len(objs))
    if table.keep_pk and table.model not in keys.kept_pk_models:
        keys.kept_pk_models.append(table.model)
    for name in table.m2m:
        m2m_field = table.model._meta.get_field(name)
        through = m2m_field.remote_field.through
        own, other = f"{m2m_field.m2m_field_name()}_id", f"{m2m_field.m2m_reverse_field_name()}_id"
        through._default_manager.bulk_create(
            [through(**{own: s, other: t}) for n, s, t in links if n == name], batch_size=500
        )
    return objs


def table_export(writer, table: Table, *, transform: Callable[[dict], dict] | None = None) -> list:
    """Write the table's rows to its file and count them for the manifest."""
    rows = table_rows(table, writer.keys)
    if transform is not None:
        rows = [transform(row) for row in rows]
    writer.write_json(table.path, rows)
    writer.count(table.label, len(rows))
    return rows


def table_restore(
    reader, table: Table, *, adjust: Callable[[dict, object], None] | None = None
) -> list[models.Model]:
    return table_load(table, reader.read_json(table.path), reader.keys, adjust=adjust)
