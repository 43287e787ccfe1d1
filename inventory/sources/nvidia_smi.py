"""Parse ``nvidia-smi -q -x`` XML (and ``--query-gpu --format=csv``) into GPU facts.

Schema versions: the DOCTYPE names the DTD (``nvsmi_device_v11.dtd`` ... ``v13``).
v11 keeps power in ``<power_readings>`` with ``<power_limit>``; v12 moved it to
``<gpu_power_readings>``/``<module_power_readings>`` with ``<current_power_limit>``;
v13 replaced ``<power_draw>`` with ``<average_power_draw>``/``<instant_power_draw>``.

An unknown or missing DTD version is not refused outright: drivers newer than this
code are normal on GPU nodes, and the elements read here have been stable across
v11-v13. Such output is parsed when its structure is recognisable (every ``<gpu>``
has a product name and a UUID) and a warning says so; when it is not recognisable
the whole output is refused with a SourceError.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, XMLParser, XMLPullParser

from portal.validation import has_nul

from .facts import GpuFacts, MigDeviceFacts, SourceError

KNOWN_SCHEMA_VERSIONS = frozenset({11, 12, 13})

# Values nvidia-smi prints when it has no number to give.
_MISSING = {
    "",
    "n/a",
    "[n/a]",
    "not supported",
    "[not supported]",
    "unknown error",
    "[unknown error]",
    "insufficient permissions",
    "[insufficient permissions]",
    "requested functionality has been deprecated",
    "no data",
}

_ENCODING_RE = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_SAFE_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+nvidia_smi_log\s+SYSTEM\s+\"nvsmi_device_v(\d+)\.dtd\"")

# Streaming multiprocessors per MIG compute slice. NVIDIA names a MIG profile
# "<compute slices>g.<memory GB>gb" and the XML gives only the SM count and memory,
# so the slice count is the SM count over this figure (rounded down: a Hopper 3g
# instance has 60 SMs, not 48).
_SMS_PER_SLICE = {"ampere": 14, "hopper": 16}


def is_missing(value: str | None) -> bool:
    """True for the placeholders nvidia-smi prints instead of a value."""
    return value is None or value.strip().lower() in _MISSING


def parse_number(value: str | None) -> float | None:
    """ "40960 MiB" -> 40960.0, "56.20 W" -> 56.2, "65 %" -> 65.0, "N/A" -> None."""
    if is_missing(value):
        return None
    token = value.strip().split()[0]
    try:
        number = float(token)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int(value: str | None) -> int | None:
    number = parse_number(value)
    return None if number is None else int(number)


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _plain(element: Element | None, path: str) -> str:
    value = _text(element, path)
    return "" if is_missing(value) else value


def mig_profile_name(
    multiprocessors: int | None,
    memory_mib: int | None,
    architecture: str,
    copy_engines: int | None = None,
) -> str:
    """Name a MIG instance as NVIDIA does, e.g. "3g.40gb", from SMs and memory.

    Memory is rounded up to whole GB (19968 MiB -> 20gb, 40448 MiB -> 40gb). When the
    architecture is unknown the copy-engine count stands in for the slice count (one
    engine per compute slice on A100/H100); with neither, only the memory is named.
    """
    memory = f"{math.ceil(memory_mib / 1024)}gb" if memory_mib else "?gb"
    per_slice = _SMS_PER_SLICE.get(architecture.strip().lower())
    slices = None
    if per_slice and multiprocessors:
        slices = max(1, min(7, multiprocessors // per_slice))
    elif copy_engines:
        slices = copy_engines
    return f"{slices}g.{memory}" if slices else memory


def _schema_version(raw: bytes) -> int | None:
    match = _DOCTYPE_RE.search(raw[:2048])
    return int(match.group(1)) if match else None


def _power(gpu: Element) -> tuple[float | None, float | None]:
    """Power draw and limit in W across the v11, v12 and v13 layouts."""
    for block_name in ("gpu_power_readings", "power_readings", "module_power_readings"):
        block = gpu.find(block_name)
        if block is None:
            continue
        draw = None
        # v13: the average is what nvidia-smi shows; instant is a single sample.
        for name in ("average_power_draw", "power_draw", "instant_power_draw"):
            draw = parse_number(_text(block, name))
            if draw is not None:
                break
        limit = None
        for name in ("current_power_limit", "enforced_power_limit", "power_limit"):
            limit = parse_number(_text(block, name))
            if limit is not None:
                break
        if draw is not None or limit is not None:
            return draw, limit
    return None, None


def _mig_devices(gpu: Element, architecture: str) -> tuple[MigDeviceFacts, ...]:
    container = gpu.find("mig_devices")
    if container is None:
        return ()
    devices = []
    for position, device in enumerate(container.findall("mig_device")):
        memory = _int(_text(device, "fb_memory_usage/total"))
        shared = device.find("device_attributes/shared")
        profile = mig_profile_name(
            _int(_text(shared, "multiprocessor_count")),
            memory,
            architecture,
            copy_engines=_int(_text(shared, "copy_engine_count")),
        )
        index = _int(_text(device, "index"))
        devices.append(
            MigDeviceFacts(
                index=position if index is None else index,
                profile=profile,
                memory_total_mib=memory,
                uuid=_plain(device, "uuid"),
            )
        )
    return tuple(devices)


def _compute_capability(gpu: Element) -> str:
    value = _plain(gpu, "compute_cap")
    if value:
        return value
    major, minor = (
        _plain(gpu, "cuda_compute_capability/major"),
        _plain(gpu, "cuda_compute_capability/minor"),
    )
    return f"{major}.{minor}" if major and minor else ""


def _gpu_facts(gpu: Element, position: int, node_name: str, driver: str, cuda: str) -> GpuFacts:
    uuid = _plain(gpu, "uuid")
    product = _plain(gpu, "product_name")
    where = gpu.get("id") or f"#{position}"
    if not uuid or not product:
        raise SourceError(
            f"nvidia-smi XML for node {node_name}: GPU {where} has no "
            f"{'uuid' if not uuid else 'product_name'}; output not recognised"
        )
    architecture = _plain(gpu, "product_architecture")
    draw, limit = _power(gpu)
    return GpuFacts(
        uuid=uuid,
        index=position,
        product=product,
        node_name=node_name,
        memory_total_mib=_int(_text(gpu, "fb_memory_usage/total")),
        memory_used_mib=_int(_text(gpu, "fb_memory_usage/used")),
        driver_version=driver,
        cuda_version=cuda,
        compute_capability=_compute_capability(gpu),
        pci_bus_id=_plain(gpu, "pci/pci_bus_id") or (gpu.get("id") or ""),
        mig_mode=_plain(gpu, "mig_mode/current_mig"),
        mig_devices=_mig_devices(gpu, architecture),
        utilization_gpu_pct=parse_number(_text(gpu, "utilization/gpu_util")),
        temperature_c=parse_number(_text(gpu, "temperature/gpu_temp")),
        power_draw_w=draw,
        power_limit_w=limit,
        serial=_plain(gpu, "serial"),
    )


class _Refused(ValueError):
    pass


CHUNK_BYTES = 64 * 1024


def _check_head(head: bytes) -> None:
    if has_nul(head) or head.startswith((b"\xfe\xff", b"\xff\xfe")):
        raise _Refused("it is not UTF-8")
    declared = _ENCODING_RE.match(head.lstrip(b"\xef\xbb\xbf \t\r\n"))
    if declared and declared.group(1).lower() not in _SAFE_ENCODINGS:
        raise _Refused(f"it declares encoding {declared.group(1).decode()}, not UTF-8")


def _chunks(stream: BinaryIO, head: bytes) -> Iterator[bytes]:
    """The stream in chunks after ``head``, refusing entity declarations on the way
    (the last bytes of each chunk are kept so a split "<!ENTITY" is still seen)."""
    tail = b""
    chunk = head
    while chunk:
        if b"<!ENTITY" in tail + chunk:
            raise _Refused("it declares entities")
        tail = chunk[-8:]
        yield chunk
        chunk = stream.read(CHUNK_BYTES)


def parse_xml(raw: bytes) -> Element:
    """Parse XML that declares no entities, with ElementTree's C parser.

    nvidia-smi never declares entities, so a document that does (the entity-expansion
    attacks) or that hides its bytes in an encoding other than UTF-8 is refused before
    parsing. This does what defusedxml does at a quarter of its cost: defusedxml hooks the
    pure-Python parser, and a 5,000-node file export parses 40,000 GPUs. (The expat
    bundled with Python 3.11 also caps entity amplification itself.)
    """
    _check_head(raw[:512])
    if b"<!ENTITY" in raw:
        raise _Refused("it declares entities")
    parser = XMLParser()  # noqa: S314 - entity declarations refused above
    parser.feed(raw)
    return parser.close()


def parse_nvidia_smi_xml(
    xml_text: str | bytes, node_name: str, warnings: list[str] | None = None
) -> list[GpuFacts]:
    """Turn one node's ``nvidia-smi -q -x`` output into facts for all its GPUs.

    Raises SourceError for empty output, malformed XML, XML that declares entities,
    a root other than ``<nvidia_smi_log>`` and unrecognisable structure. Harmless
    oddities (unknown or missing DTD version, ``attached_gpus`` not matching the
    ``<gpu>`` elements) are appended to ``warnings`` when a list is given.
    """
    raw = xml_text.encode("utf-8") if isinstance(xml_text, str) else bytes(xml_text)
    return parse_nvidia_smi_stream(io.BytesIO(raw), node_name, warnings)


def parse_nvidia_smi_stream(
    stream: BinaryIO, node_name: str, warnings: list[str] | None = None
) -> list[GpuFacts]:
    """``parse_nvidia_smi_xml`` over a binary stream (an open file), read in chunks:
    each ``<gpu>`` element becomes facts when it closes and is then dropped, so the
    memory held is one GPU's subtree, not the document's (an 8-GPU node's output is
    over 100 KB; a files source reads thousands of them)."""
    head = stream.read(2048)
    if not head.strip():
        raise SourceError(f"nvidia-smi on node {node_name} produced no output")
    notes = warnings if warnings is not None else []
    # Entity declarations are refused chunk by chunk in _chunks, before the parser.
    parser = XMLPullParser(events=("start", "end"))
    root: Element | None = None
    depth = 0
    top: dict[str, str] = {}
    gpus: list[GpuFacts] = []
    try:
        _check_head(head[:512])
        for chunk in _chunks(stream, head):
            parser.feed(chunk)
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if root.tag != "nvidia_smi_log":
                            raise SourceError(
                                f"nvidia-smi XML for node {node_name}: root element is "
                                f"<{root.tag}>, expected <nvidia_smi_log>"
                            )
                    continue
                depth -= 1
                if depth != 1:
                    continue
                if element.tag == "gpu":
                    gpus.append(_gpu_facts(element, len(gpus), node_name, "", ""))
                    root.remove(element)
                elif element.tag in ("driver_version", "cuda_version", "attached_gpus"):
                    top[element.tag] = (element.text or "").strip()
        parser.close()
    except _Refused as exc:
        raise SourceError(f"nvidia-smi XML for node {node_name} refused: {exc}") from exc
    except ParseError as exc:
        raise SourceError(f"nvidia-smi XML for node {node_name} is malformed: {exc}") from exc
    version = _schema_version(head)
    if version is None:
        notes.append(
            f"nvidia-smi XML for node {node_name} names no nvsmi_device DTD; parsed by structure"
        )
    elif version not in KNOWN_SCHEMA_VERSIONS:
        notes.append(
            f"nvidia-smi XML for node {node_name} uses unknown schema nvsmi_device_v{version}; "
            "parsed by structure"
        )
    attached = _int(top.get("attached_gpus"))
    if attached is None and not gpus:
        raise SourceError(
            f"nvidia-smi XML for node {node_name} has neither <attached_gpus> nor <gpu> "
            "elements; output not recognised"
        )
    if attached is not None and attached != len(gpus):
        notes.append(
            f"nvidia-smi XML for node {node_name} reports {attached} attached GPUs "
            f"but describes {len(gpus)}"
        )
    driver, cuda = top.get("driver_version", ""), top.get("cuda_version", "")
    driver, cuda = ("" if is_missing(driver) else driver), ("" if is_missing(cuda) else cuda)
    gpus = [replace(g, driver_version=driver, cuda_version=cuda) for g in gpus]
    seen: set[str] = set()
    for gpu in gpus:
        if gpu.uuid in seen:
            raise SourceError(f"nvidia-smi XML for node {node_name} lists GPU {gpu.uuid} twice")
        seen.add(gpu.uuid)
    return gpus


# --query-gpu field -> (GpuFacts field, converter)
_CSV_FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("product", str),
    "uuid": ("uuid", str),
    "index": ("index", int),
    "serial": ("serial", str),
    "pci.bus_id": ("pci_bus_id", str),
    "driver_version": ("driver_version", str),
    "memory.total": ("memory_total_mib", int),
    "memory.used": ("memory_used_mib", int),
    "utilization.gpu": ("utilization_gpu_pct", float),
    "temperature.gpu": ("temperature_c", float),
    "power.draw": ("power_draw_w", float),
    "power.draw.average": ("power_draw_w", float),
    "power.limit": ("power_limit_w", float),
    "enforced.power.limit": ("power_limit_w", float),
    "mig.mode.current": ("mig_mode", str),
    "compute_cap": ("compute_capability", str),
}


def parse_nvidia_smi_csv(text: str, node_name: str) -> list[GpuFacts]:
    """Parse ``nvidia-smi --query-gpu=... --format=csv`` output (header line required).

    Headers may carry units ("memory.used [MiB]") and values may too unless
    ``nounits`` was given. Columns this code does not use are ignored; ``name`` and
    ``uuid`` are required.
    """
    if not text or not text.strip():
        raise SourceError(f"nvidia-smi CSV for node {node_name} is empty")
    try:
        rows = list(csv.reader(io.StringIO(text.strip()), skipinitialspace=True))
    except csv.Error as exc:
        raise SourceError(f"nvidia-smi CSV for node {node_name} is malformed: {exc}") from exc
    header = [re.sub(r"\s*\[.*\]$", "", column.strip()) for column in rows[0]]
    if "name" not in header or "uuid" not in header:
        raise SourceError(
            f"nvidia-smi CSV for node {node_name} lacks the name and uuid columns "
            "(was it produced with --format=csv including the header?)"
        )
    gpus = []
    for line_number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise SourceError(
                f"nvidia-smi CSV for node {node_name}, line {line_number}: "
                f"{len(row)} values for {len(header)} columns"
            )
        values: dict[str, Any] = {"index": line_number - 2}
        for column, value in zip(header, row, strict=True):
            if column not in _CSV_FIELDS:
                continue
            target, convert = _CSV_FIELDS[column]
            if convert is str:
                if not is_missing(value):
                    values[target] = value.strip()
                continue
            number = parse_number(value)
            if number is not None:
                values[target] = convert(number)
        if not values.get("uuid") or not values.get("product"):
            raise SourceError(
                f"nvidia-smi CSV for node {node_name}, line {line_number}: no name or uuid"
            )
        gpus.append(GpuFacts(node_name=node_name, **values))
    return gpus
