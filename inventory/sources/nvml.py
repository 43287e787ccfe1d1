"""Read the local node's GPUs: NVML first, ``nvidia-smi -q -x`` as the fallback.

The GPU agent (a Celery worker on each GPU node) calls :func:`read_local_gpus`. NVML
(nvidia-ml-py) is preferred because it answers in milliseconds and reports NVLink
peers; nvidia-smi ships with every driver, so it is the fallback when the NVML
library cannot be loaded into this process (e.g. a container without it mounted).
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

from .facts import GpuFacts, MigDeviceFacts, Snapshot, SourceError
from .nvidia_smi import parse_nvidia_smi_xml

log = logging.getLogger(__name__)

NVIDIA_SMI_TIMEOUT_S = 30
_MIG_PROFILE_RE = re.compile(r"MIG\s+(\S+)")


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _cuda_version(code: int) -> str:
    """NVML's CUDA driver version 12020 -> "12.2"."""
    return f"{code // 1000}.{(code % 1000) // 10}"


class _Reader:
    """One NVML session's calls, with optional values tolerated when unsupported."""

    def __init__(self, nvml: ModuleType, node_name: str) -> None:
        self.nvml = nvml
        self.node_name = node_name

    def optional(self, func: Callable[..., Any], *args: Any) -> Any:
        """A value some GPUs do not report (consumer cards, MIG mode): None then."""
        try:
            return func(*args)
        except self.nvml.NVMLError as exc:
            log.debug("NVML %s unavailable on %s: %s", func.__name__, self.node_name, exc)
            return None

    def mig_devices(self, handle: Any) -> tuple[MigDeviceFacts, ...]:
        nvml = self.nvml
        count = self.optional(nvml.nvmlDeviceGetMaxMigDeviceCount, handle) or 0
        devices = []
        for slot in range(count):
            try:
                mig = nvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)
            except nvml.NVMLError as exc:
                # Slots without an instance answer NOT_FOUND: the layout has gaps.
                if getattr(exc, "value", None) == nvml.NVML_ERROR_NOT_FOUND:
                    continue
                raise
            name = _text(nvml.nvmlDeviceGetName(mig))
            match = _MIG_PROFILE_RE.search(name)
            memory = self.optional(nvml.nvmlDeviceGetMemoryInfo, mig)
            devices.append(
                MigDeviceFacts(
                    index=len(devices),
                    profile=match.group(1) if match else name,
                    memory_total_mib=memory.total // (1024 * 1024) if memory else None,
                    uuid=_text(nvml.nvmlDeviceGetUUID(mig)),
                )
            )
        return tuple(devices)

    def nvlink_ends(self, handle: Any) -> tuple[set[str], set[str]]:
        """PCI bus ids at the far end of active NVLinks: (GPUs, NVSwitches)."""
        nvml = self.nvml
        gpus: set[str] = set()
        switches: set[str] = set()
        switch_type = getattr(nvml, "NVML_NVLINK_DEVICE_TYPE_SWITCH", 2)
        for link in range(getattr(nvml, "NVML_NVLINK_MAX_LINKS", 18)):
            try:
                if nvml.nvmlDeviceGetNvLinkState(handle, link) != nvml.NVML_FEATURE_ENABLED:
                    continue
                remote = _text(nvml.nvmlDeviceGetNvLinkRemotePciInfo(handle, link).busId)
                kind = self.optional(nvml.nvmlDeviceGetNvLinkRemoteDeviceType, handle, link)
            except nvml.NVMLError:
                # NOT_SUPPORTED on cards without NVLink, INVALID_ARGUMENT past the last link.
                break
            (switches if kind == switch_type else gpus).add(remote)
        return gpus, switches

    def gpu(self, index: int, driver: str, cuda: str) -> GpuFacts:
        nvml = self.nvml
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = self.optional(nvml.nvmlDeviceGetMemoryInfo, handle)
        capability = self.optional(nvml.nvmlDeviceGetCudaComputeCapability, handle)
        mig = self.optional(nvml.nvmlDeviceGetMigMode, handle)
        mig_enabled = bool(mig) and mig[0] == nvml.NVML_DEVICE_MIG_ENABLE
        utilization = self.optional(nvml.nvmlDeviceGetUtilizationRates, handle)
        temperature = self.optional(
            nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
        )
        power = self.optional(nvml.nvmlDeviceGetPowerUsage, handle)
        limit = self.optional(nvml.nvmlDeviceGetEnforcedPowerLimit, handle)
        pci = nvml.nvmlDeviceGetPciInfo(handle)
        return GpuFacts(
            uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
            index=index,
            product=_text(nvml.nvmlDeviceGetName(handle)),
            node_name=self.node_name,
            memory_total_mib=memory.total // (1024 * 1024) if memory else None,
            memory_used_mib=memory.used // (1024 * 1024) if memory else None,
            driver_version=driver,
            cuda_version=cuda,
            compute_capability=f"{capability[0]}.{capability[1]}" if capability else "",
            pci_bus_id=_text(pci.busId),
            mig_mode="" if mig is None else ("Enabled" if mig_enabled else "Disabled"),
            mig_devices=self.mig_devices(handle) if mig_enabled else (),
            utilization_gpu_pct=float(utilization.gpu) if utilization else None,
            temperature_c=float(temperature) if temperature is not None else None,
            power_draw_w=power / 1000 if power is not None else None,
            power_limit_w=limit / 1000 if limit is not None else None,
            serial=_text(self.optional(nvml.nvmlDeviceGetSerial, handle) or ""),
        )

    def all_gpus(self, driver: str, cuda: str) -> list[GpuFacts]:
        """Every GPU; on NVSwitch systems (DGX/HGX) GPUs on a common switch are peers."""
        gpus, ends = [], []
        for index in range(self.nvml.nvmlDeviceGetCount()):
            gpu = self.gpu(index, driver, cuda)
            gpus.append(gpu)
            ends.append(self.nvlink_ends(self.nvml.nvmlDeviceGetHandleByIndex(index)))
        peered = []
        for gpu, (direct, switches) in zip(gpus, ends, strict=True):
            peers = set(direct)
            if switches:
                peers.update(
                    other.pci_bus_id
                    for other, (_, other_switches) in zip(gpus, ends, strict=True)
                    if other is not gpu and switches & other_switches
                )
            peered.append(replace(gpu, nvlink_peers=tuple(sorted(peers))))
        return peered


def read_gpus_nvml(node_name: str, nvml: ModuleType | None = None) -> list[GpuFacts]:
    """Read every GPU of this node through NVML.

    ``nvml`` is the pynvml module (injectable for tests). Raises SourceError when the
    NVML library is missing or any essential call fails, so that the caller can fall
    back to nvidia-smi rather than report a partial GPU list.
    """
    if nvml is None:
        try:
            import pynvml as nvml
        except ImportError as exc:
            raise SourceError("NVML unavailable: nvidia-ml-py is not installed") from exc
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        raise SourceError(f"NVML unavailable on node {node_name}: {exc}") from exc
    try:
        reader = _Reader(nvml, node_name)
        driver = _text(nvml.nvmlSystemGetDriverVersion())
        cuda_code = reader.optional(nvml.nvmlSystemGetCudaDriverVersion)
        cuda = _cuda_version(cuda_code) if cuda_code else ""
        return reader.all_gpus(driver, cuda)
    except nvml.NVMLError as exc:
        raise SourceError(f"NVML failed on node {node_name}: {exc}") from exc
    finally:
        try:
            nvml.nvmlShutdown()
        except nvml.NVMLError:
            log.warning("NVML shutdown failed on %s", node_name)


def read_gpus_nvidia_smi(
    node_name: str,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    timeout: float = NVIDIA_SMI_TIMEOUT_S,
    warnings: list[str] | None = None,
) -> list[GpuFacts]:
    """Run ``nvidia-smi -q -x`` (bounded by ``timeout`` seconds) and parse its XML."""
    try:
        done = run(["nvidia-smi", "-q", "-x"], capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise SourceError(f"nvidia-smi not found on node {node_name}") from exc
    except subprocess.TimeoutExpired as exc:
        raise SourceError(f"nvidia-smi on node {node_name} timed out after {timeout:g}s") from exc
    except OSError as exc:
        raise SourceError(f"nvidia-smi could not run on node {node_name}: {exc}") from exc
    if done.returncode != 0:
        output = _text(done.stderr or b"").strip() or _text(done.stdout or b"").strip()
        first_line = output.splitlines()[0] if output else "no output"
        raise SourceError(
            f"nvidia-smi on node {node_name} exited with {done.returncode}: {first_line[:200]}"
        )
    return parse_nvidia_smi_xml(done.stdout, node_name, warnings)


def read_local_gpus(
    node_name: str,
    nvml: ModuleType | None = None,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
) -> Snapshot:
    """This node's GPUs as a Snapshot covering them: NVML, else nvidia-smi, else SourceError.

    The snapshot's ``source`` says which reader answered; when NVML failed its reason
    is in ``warnings``. A node with no GPUs yields an empty list, which is a complete
    answer ("this node has no GPUs"), not an error.
    """
    warnings: list[str] = []
    try:
        gpus = read_gpus_nvml(node_name, nvml)
        source = "nvml"
    except SourceError as nvml_error:
        warnings.append(str(nvml_error))
        try:
            gpus = read_gpus_nvidia_smi(node_name, run=run, warnings=warnings)
        except SourceError as smi_error:
            raise SourceError(f"{nvml_error}; fallback failed: {smi_error}") from smi_error
        source = "nvidia-smi"
    return Snapshot(
        source=source,
        gpus=gpus,
        covers=frozenset({"gpus"}),
        gpu_nodes=frozenset({node_name}),
        warnings=warnings,
    )
