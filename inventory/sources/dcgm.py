"""GPU metrics from NVIDIA's dcgm-exporter (Prometheus text on ``/metrics``).

DCGM gives live numbers (utilisation, memory, temperature, power) but not the full
inventory, so its snapshot covers only ``gpu_metrics``: it updates GPUs it names and
never marks any GPU gone.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prometheus_client.parser import text_string_to_metric_families

from portal.http import HttpError, http_request

from .facts import GpuFacts, MigDeviceFacts, Snapshot, SourceError

if TYPE_CHECKING:
    import requests

DEFAULT_TIMEOUT_S = 10.0
MAX_BYTES = 32 * 1024 * 1024  # a 5,000-node cluster's exporter stays far below this

# DCGM field -> GpuFacts field. FB_* are MiB, power W, temperature C, util %.
_GAUGES = {
    "DCGM_FI_DEV_GPU_UTIL": "utilization_gpu_pct",
    "DCGM_FI_DEV_GPU_TEMP": "temperature_c",
    "DCGM_FI_DEV_POWER_USAGE": "power_draw_w",
    "DCGM_FI_DEV_POWER_MGMT_LIMIT": "power_limit_w",
    "DCGM_FI_DEV_FB_USED": "memory_used_mib",
    "DCGM_FI_DEV_FB_TOTAL": "memory_total_mib",
    "DCGM_FI_DEV_FB_FREE": "_memory_free_mib",
    "DCGM_FI_DEV_FB_RESERVED": "_memory_reserved_mib",
}
_INTEGER_FIELDS = {
    "memory_used_mib",
    "memory_total_mib",
    "_memory_free_mib",
    "_memory_reserved_mib",
}


def _host(labels: dict[str, str]) -> str:
    # dcgm-exporter writes "Hostname"; some relabelling configs lower-case it.
    return labels.get("Hostname") or labels.get("hostname") or ""


def _cuda_version(code: str) -> str:
    """DCGM's CUDA driver version "12010" -> "12.1" (NVML's encoding)."""
    if not code.isdecimal():
        return ""
    number = int(code)
    return f"{number // 1000}.{(number % 1000) // 10}"


def parse_dcgm_metrics(text: str, warnings: list[str] | None = None) -> list[GpuFacts]:
    """Turn dcgm-exporter's metrics text into one GpuFacts per GPU UUID.

    ``node_name`` is the exporter's Hostname label (the node name when the exporter
    runs as the GPU Operator's DaemonSet). Samples of MIG instances (labels
    ``GPU_I_ID``/``GPU_I_PROFILE``) add MIG devices and leave the GPU's own values
    alone. Samples without a UUID label (real exporters emit some, e.g. placeholder
    fields of profiling metrics) belong to no GPU: they are skipped and counted in one
    warning per metric. Raises SourceError for unparsable text or text without any
    DCGM GPU sample.

    Total memory is FB_TOTAL when given, else FB_USED + FB_FREE + FB_RESERVED: the
    driver reserves part of the framebuffer, so an A100-40GB reads 40,960 MiB, not
    the 40,535 MiB that used + free add up to.
    """
    gpus: dict[str, dict[str, Any]] = {}
    without_uuid: dict[str, int] = {}
    migs: dict[str, dict[str, MigDeviceFacts]] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if not sample.name.startswith("DCGM_FI_"):
                    continue
                labels = sample.labels
                uuid = labels.get("UUID") or labels.get("uuid")
                if not uuid:
                    without_uuid[sample.name] = without_uuid.get(sample.name, 0) + 1
                    continue
                gpu = gpus.get(uuid)
                if gpu is None:
                    index = labels.get("gpu", "")
                    gpu = gpus[uuid] = {
                        "uuid": uuid,
                        "index": int(index) if index.isdecimal() else len(gpus),
                        "product": labels.get("modelName") or labels.get("DCGM_FI_DEV_NAME", ""),
                        "node_name": _host(labels),
                        "driver_version": labels.get("DCGM_FI_DRIVER_VERSION", ""),
                        "cuda_version": _cuda_version(
                            labels.get("DCGM_FI_CUDA_DRIVER_VERSION", "")
                        ),
                        "pci_bus_id": labels.get("pci_bus_id", ""),
                        "serial": labels.get("DCGM_FI_DEV_SERIAL", ""),
                    }
                if labels.get("GPU_I_ID"):
                    profile = labels.get("GPU_I_PROFILE", "")
                    instance = labels["GPU_I_ID"]
                    migs.setdefault(uuid, {})[instance] = MigDeviceFacts(
                        index=int(instance) if instance.isdecimal() else 0, profile=profile
                    )
                    continue
                target = _GAUGES.get(sample.name)
                if target is None or not math.isfinite(sample.value):  # NaN: no reading
                    continue
                value = sample.value
                gpu[target] = int(value) if target in _INTEGER_FIELDS else float(value)
    except (ValueError, IndexError, TypeError) as exc:
        raise SourceError(f"DCGM metrics text is malformed: {exc}") from exc
    if not gpus:
        raise SourceError("DCGM metrics hold no GPU samples (no DCGM_FI_* metric with a UUID)")
    if without_uuid and warnings is not None:
        warnings.append(
            "DCGM samples without a UUID label skipped: "
            + ", ".join(f"{name} ({n})" for name, n in sorted(without_uuid.items()))
        )
    facts = []
    for uuid, values in gpus.items():
        free = values.pop("_memory_free_mib", None)
        reserved = values.pop("_memory_reserved_mib", None)
        if values.get("memory_total_mib") is None and free is not None:
            used = values.get("memory_used_mib")
            values["memory_total_mib"] = None if used is None else used + free + (reserved or 0)
        gpu = GpuFacts(**values)
        if uuid in migs:
            devices = tuple(sorted(migs[uuid].values(), key=lambda m: m.index))
            gpu = replace(gpu, mig_mode="Enabled", mig_devices=devices)
        facts.append(gpu)
    return facts


def metrics_url(url: str) -> str:
    """An exporter's base URL or its /metrics URL -> the /metrics URL."""
    url = url.rstrip("/")
    return url if url.endswith("/metrics") else f"{url}/metrics"


def scrape_dcgm(
    url: str, timeout: float = DEFAULT_TIMEOUT_S, session: requests.Session | None = None
) -> Snapshot:
    """Fetch dcgm-exporter's /metrics over HTTP and return a ``gpu_metrics`` snapshot.

    Any transport failure, a non-200 answer, an oversized body or unparsable text
    raises SourceError naming the URL.
    """
    target = metrics_url(url)
    try:
        answer = http_request("GET", target, timeout=timeout, max_bytes=MAX_BYTES, session=session)
    except HttpError as exc:
        raise SourceError(f"DCGM exporter {exc}") from exc
    if answer.status != 200:
        raise SourceError(f"DCGM exporter {target} answered HTTP {answer.status}")
    body = answer.body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"DCGM exporter {target} sent text that is not UTF-8") from exc
    warnings: list[str] = []
    try:
        gpus = parse_dcgm_metrics(text, warnings)
    except SourceError as exc:
        raise SourceError(f"DCGM exporter {target}: {exc}") from exc
    return Snapshot(
        source="dcgm",
        gpus=gpus,
        covers=frozenset({"gpu_metrics"}),
        warnings=[f"{target}: {w}" for w in warnings],
    )
