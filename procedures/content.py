"""The frozen content of a version and its fingerprint.

An approval signs a hash, so the hash must not depend on anything incidental:
it is taken over a canonical JSON serialisation (sorted keys, no whitespace, UTF-8)
of exactly what readers see and what the version claims to be.
"""

from __future__ import annotations

import hashlib
import json


def normalise_text(text: str) -> str:
    """Browsers send CRLF, files may carry CR: one form, so a resubmitted text hashes
    the same wherever it came from."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalise_body(text: str) -> str:
    """The stored form of a body: LF line ends, no blank lines around it, one final
    newline. A file, a form and the API then give the same text for the same words."""
    text = normalise_text(text).lstrip("\n").rstrip()
    return text + "\n" if text else ""


def canonical_content(*, title: str, body: str, number: str, change_kind: str) -> bytes:
    payload = {
        "body": normalise_text(body),
        "change_kind": str(change_kind),
        "number": number,
        "title": title.strip(),
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def content_sha256(*, title: str, body: str, number: str, change_kind: str) -> str:
    return hashlib.sha256(
        canonical_content(title=title, body=body, number=number, change_kind=change_kind)
    ).hexdigest()


def version_sha256(version) -> str:
    return content_sha256(
        title=version.title,
        body=version.body,
        number=version.number,
        change_kind=version.change_kind,
    )
