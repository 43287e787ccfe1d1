"""``iperf3 -J`` results: what the receiver got (``end.sum_received``), when, how.

TCP runs report ``end.sum_received``; UDP runs too since 3.x, with ``end.sum`` as the
older fallback. A run that failed carries ``error`` (and empty ``intervals``/``end``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from data.formats import FormatError, decode


@dataclass(frozen=True)
class Iperf3Result:
    received_bps: float
    sent_bps: float | None
    measured_at: datetime
    duration_s: float | None
    protocol: str
    streams: int | None
    reverse: bool
    version: str
    remote: str
    intervals_bps: list[float] = field(default_factory=list)

    @property
    def gbps(self) -> float:
        return self.received_bps / 1e9

    @property
    def how(self) -> str:
        flags = [self.protocol]
        if self.streams and self.streams > 1:
            flags.append(f"-P {self.streams}")
        if self.reverse:
            flags.append("-R")
        if self.duration_s:
            flags.append(f"{self.duration_s:g} s")
        to = f" to {self.remote}" if self.remote else ""
        return f"{self.version or 'iperf3'} -J{to} ({', '.join(flags)})"


def _number(value, what: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(f"{name}: {what} is not a number")
    if value < 0:
        raise FormatError(f"{name}: {what} is negative")
    return float(value)


def parse_iperf3(content: bytes, name: str) -> Iperf3Result:
    try:
        data = json.loads(decode(content, name))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{name}, line {exc.lineno}: not JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or "start" not in data or "end" not in data:
        raise FormatError(f"{name}: not an iperf3 -J result (no 'start' and 'end')")
    if data.get("error"):
        raise FormatError(f"{name}: iperf3 reported an error: {str(data['error'])[:200]}")
    start, end = data.get("start") or {}, data.get("end") or {}
    if not isinstance(start, dict) or not isinstance(end, dict):
        raise FormatError(f"{name}: 'start' and 'end' must be objects")
    summary = end.get("sum_received") or end.get("sum")
    if not isinstance(summary, dict) or "bits_per_second" not in summary:
        raise FormatError(f"{name}: no end.sum_received.bits_per_second")
    received = _number(summary["bits_per_second"], "end.sum_received.bits_per_second", name)
    sent = end.get("sum_sent")
    sent_bps = (
        _number(sent["bits_per_second"], "end.sum_sent.bits_per_second", name)
        if isinstance(sent, dict) and "bits_per_second" in sent
        else None
    )
    stamp = start.get("timestamp") or {}
    secs = stamp.get("timesecs") if isinstance(stamp, dict) else None
    if secs is None:
        raise FormatError(f"{name}: no start.timestamp.timesecs (when was it measured?)")
    try:
        measured_at = datetime.fromtimestamp(_number(secs, "start.timestamp.timesecs", name), UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise FormatError(f"{name}: start.timestamp.timesecs is out of range") from exc
    test = start.get("test_start") or {}
    if not isinstance(test, dict):
        test = {}
    intervals = []
    for interval in data.get("intervals") or []:
        total = interval.get("sum") if isinstance(interval, dict) else None
        if isinstance(total, dict) and "bits_per_second" in total:
            intervals.append(_number(total["bits_per_second"], "interval bits_per_second", name))
    streams = test.get("num_streams")
    duration = summary.get("seconds") or test.get("duration")
    remote = start.get("connecting_to") or {}
    return Iperf3Result(
        received_bps=received,
        sent_bps=sent_bps,
        measured_at=measured_at,
        duration_s=_number(duration, "duration", name) if duration is not None else None,
        protocol=str(test.get("protocol") or "")[:10],
        streams=streams if isinstance(streams, int) and not isinstance(streams, bool) else None,
        reverse=bool(test.get("reverse")),
        version=str(start.get("version") or "")[:40],
        remote=str(remote.get("host") or "")[:100] if isinstance(remote, dict) else "",
        intervals_bps=intervals,
    )
