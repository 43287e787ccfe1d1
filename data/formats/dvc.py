"""DVC's own files: ``<name>.dvc`` (one output tracked by ``dvc add`` / ``dvc import``)
and ``dvc.lock`` (every pipeline stage's outputs).

Shapes seen in public repositories, all read here:

- 0.x stage files: top-level ``md5``, ``wdir``, ``outs`` with ``md5``, ``path``,
  ``cache``/``metric``/``persist`` and no size;
- 1.x: ``outs`` with ``md5`` and ``path`` only; a ``dvc.lock`` with the stages at the top
  level (no ``schema``, no ``stages:``);
- 2.x: ``size`` and, for directories (``md5`` ending in ``.dir``), ``nfiles``;
  ``dvc.lock`` with ``schema: '2.0'`` and ``stages:``;
- 3.x: the same plus ``hash: md5``.

YAML is read with the safe loader only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from data.formats import FormatError, decode
from portal.validation import has_nul


@dataclass(frozen=True)
class DvcOut:
    path: str  # relative to the DVC project's root, POSIX separators
    md5: str
    size: int | None
    nfiles: int | None
    is_dir: bool
    stage: str = ""  # the dvc.lock stage; "" for a .dvc file

    @property
    def version_ref(self) -> str:
        return self.md5.removesuffix(".dir")

    @property
    def files(self) -> int | None:
        if self.nfiles is not None:
            return self.nfiles
        return None if self.is_dir else 1


def is_dvc_file(name: str) -> bool:
    return name.endswith(".dvc") or name.endswith("dvc.lock")


def _load(text: str, name: str):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise FormatError(
            f"{name}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    if not isinstance(data, dict):
        raise FormatError(f"{name}: expected a mapping at the top level")
    return data


def _int(value, what: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FormatError(f"{name}: {what} must be a whole number ≥ 0, got {value!r}")
    return value


def _join(base: str, path: str, name: str) -> str:
    if not isinstance(path, str) or not path or has_nul(path):
        raise FormatError(f"{name}: an output without a path")
    joined = PurePosixPath(base) / path.replace("\\", "/")
    parts: list[str] = []
    for part in joined.parts:
        if part == "..":
            if not parts:
                raise FormatError(f"{name}: output path {path!r} leaves the project")
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _outs(items, *, base: str, stage: str, name: str) -> list[DvcOut]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise FormatError(f"{name}: 'outs' must be a list")
    outs = []
    for item in items:
        if not isinstance(item, dict):
            raise FormatError(f"{name}: every output must be a mapping")
        md5 = item.get("md5") or item.get("etag") or ""
        if not isinstance(md5, str):
            raise FormatError(f"{name}: md5 must be text")
        outs.append(
            DvcOut(
                path=_join(base, item.get("path"), name),
                md5=md5,
                size=_int(item.get("size"), "size", name),
                nfiles=_int(item.get("nfiles"), "nfiles", name),
                is_dir=md5.endswith(".dir"),
                stage=stage,
            )
        )
    return outs


def parse_dvc_file(content: bytes, name: str, *, base: str = "") -> list[DvcOut]:
    """The outputs of one ``.dvc`` file; ``base`` is its folder inside the project
    (a ``.dvc`` file's paths are relative to it)."""
    data = _load(decode(content, name), name)
    if "outs" not in data:
        raise FormatError(f"{name}: no 'outs' (not a .dvc file?)")
    wdir = data.get("wdir") or "."
    if not isinstance(wdir, str):
        raise FormatError(f"{name}: wdir must be text")
    return _outs(
        data["outs"], base=_join(base, wdir, name) if wdir != "." else base, stage="", name=name
    )


def parse_dvc_lock(content: bytes, name: str, *, base: str = "") -> list[DvcOut]:
    """Every stage's outputs of a ``dvc.lock`` (1.x top-level stages or 2.0+ schema)."""
    data = _load(decode(content, name), name)
    # DVC 1.x has no schema and keeps the stages at the top level.
    stages = (data.get("stages") or {}) if "stages" in data or "schema" in data else data
    if not isinstance(stages, dict):
        raise FormatError(f"{name}: 'stages' must be a mapping")
    outs = []
    for stage, body in stages.items():
        if not isinstance(body, dict):
            raise FormatError(f"{name}: stage {stage!r} must be a mapping")
        if "cmd" not in body and "outs" not in body and "deps" not in body:
            raise FormatError(f"{name}: {stage!r} is not a stage (no cmd, deps or outs)")
        wdir = body.get("wdir") or "."
        stage_base = _join(base, wdir, name) if wdir != "." else base
        outs.extend(_outs(body.get("outs"), base=stage_base, stage=str(stage), name=name))
    return outs


def parse_dvc(content: bytes, name: str, *, base: str = "") -> list[DvcOut]:
    if name.endswith("dvc.lock"):
        return parse_dvc_lock(content, name, base=base)
    if name.endswith(".dvc"):
        return parse_dvc_file(content, name, base=base)
    raise FormatError(f"{name}: neither a .dvc file nor dvc.lock")
