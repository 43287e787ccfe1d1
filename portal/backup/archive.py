"""The backup directory: files a person can read, and a manifest that lets a
restore prove it reads exactly what was written (format version, counts, sha256)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

from portal.errors import WorkflowError
from portal.validation import has_nul

FORMAT = "mlops-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class BackupError(WorkflowError):
    """A backup that cannot be written or restored, with the reason."""

    def __init__(self, message: str, code: str = "backup") -> None:
        super().__init__(message, code=code)


def _safe_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in path.parts)
        or "\\" in name
        or has_nul(name)
    ):
        raise BackupError(f"{name!r} is not a path inside the backup.")
    return path


def dumps(data) -> bytes:
    """JSON as people read it: indented, non-ASCII kept, one final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class BackupWriter:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.files: dict[str, dict] = {}
        self.counts: dict[str, int] = {}

    def write_bytes(self, name: str, data: bytes) -> None:
        if name in self.files or name == MANIFEST:
            raise BackupError(f"{name} is written twice.")
        target = self.directory / _safe_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode("utf-8"))

    def write_json(self, name: str, data) -> None:
        self.write_bytes(name, dumps(data))

    def count(self, label: str, n: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + n

    def finish(self, *, parts: list[str], created_at: str) -> dict:
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at,
            "parts": parts,
            "counts": dict(sorted(self.counts.items())),
            "files": dict(sorted(self.files.items())),
        }
        (self.directory / MANIFEST).write_bytes(dumps(manifest))
        return manifest


class BackupReader:
    """Reads only files the manifest lists, from bytes checked against it at open:
    what the restore loads is what was verified, even if the directory changes later."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.manifest = self._manifest()
        self._data = self._verified_files()

    def _manifest(self) -> dict:
        path = self.directory / MANIFEST
        if not path.is_file():
            raise BackupError(f"{self.directory} has no {MANIFEST}: not a portal backup.")
        try:
            manifest = json.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"{MANIFEST} is not valid JSON: {exc}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(f"{MANIFEST} is not a {FORMAT} manifest.")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"Backup format version {manifest.get('format_version')!r}; this portal "
                f"reads version {FORMAT_VERSION}."
            )
        for key, kind in (("parts", list), ("counts", dict), ("files", dict)):
            if not isinstance(manifest.get(key), kind):
                raise BackupError(f"{MANIFEST}: {key} is missing or malformed.")
        return manifest

    def _verified_files(self) -> dict[str, bytes]:
        listed = self.manifest["files"]
        data: dict[str, bytes] = {}
        for name, facts in listed.items():
            path = self.directory / _safe_path(name)
            if not isinstance(facts, dict) or not isinstance(facts.get("sha256"), str):
                raise BackupError(f"{MANIFEST}: no sha256 for {name}.")
            if not path.is_file():
                raise BackupError(f"{name} is listed in the manifest but missing.")
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            if digest != facts["sha256"] or len(content) != facts.get("bytes"):
                raise BackupError(
                    f"{name} does not match the manifest (sha256 {digest}, expected "
                    f"{facts['sha256']}): the file was changed or damaged."
                )
            data[name] = content
        present = {
            p.relative_to(self.directory).as_posix()
            for p in self.directory.rglob("*")
            if p.is_file()
        } - {MANIFEST}
        unlisted = sorted(present - set(listed))
        if unlisted:
            raise BackupError(f"Files not in the manifest: {', '.join(unlisted[:5])}.")
        return data

    def has(self, name: str) -> bool:
        return name in self._data

    def read_bytes(self, name: str) -> bytes:
        if name not in self._data:
            raise BackupError(f"{name} is not in the backup.")
        return self._data[name]

    def read_text(self, name: str) -> str:
        try:
            return self.read_bytes(name).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BackupError(f"{name} is not valid UTF-8.") from exc

    def read_json(self, name: str):
        try:
            return json.loads(self.read_text(name))
        except json.JSONDecodeError as exc:
            raise BackupError(f"{name} is not valid JSON: {exc}") from exc
