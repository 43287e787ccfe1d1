"""Readers of real files into plain facts (no models): DVC ``.dvc`` / ``dvc.lock`` and
``iperf3 -J`` results. Each raises :class:`FormatError` with a reason a person can act
on; the importers turn it into a per-file error and go on with the other files."""

from portal.validation import has_nul, nul_message, size_message


class FormatError(ValueError):
    pass


MAX_FILE_BYTES = 5_000_000  # the largest iperf3 result of an hour at -i 1 is ~2 MB


def decode(content: bytes, name: str) -> str:
    too_big = size_message(len(content), MAX_FILE_BYTES, file=True)
    if too_big:
        raise FormatError(f"{name}: {too_big}")
    if has_nul(content):
        raise FormatError(f"{name}: {nul_message(file=True)}")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
