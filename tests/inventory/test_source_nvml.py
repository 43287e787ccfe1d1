"""The GPU agent reads GPUs through NVML and falls back to nvidia-smi.

There is no GPU on a CI machine, so NVML is replaced by a fake module implementing
the pynvml calls the reader makes, with values an A100 node really reports. The
exceptions and constants are pynvml's own.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pynvml
import pytest

from inventory.sources.facts import SourceError
from inventory.sources.nvml import read_gpus_nvidia_smi, read_gpus_nvml, read_local_gpus

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nvidia-smi"
GIB = 1024**3


class FakeNvml:
    """pynvml's surface for an 8x A100-SXM4-80GB node; GPU 7 runs MIG."""

    NVMLError = pynvml.NVMLError
    NVML_ERROR_NOT_FOUND = pynvml.NVML_ERROR_NOT_FOUND
    NVML_FEATURE_ENABLED = pynvml.NVML_FEATURE_ENABLED
    NVML_DEVICE_MIG_ENABLE = pynvml.NVML_DEVICE_MIG_ENABLE
    NVML_TEMPERATURE_GPU = pynvml.NVML_TEMPERATURE_GPU
    NVML_NVLINK_MAX_LINKS = 12

    def __init__(
        self, gpus: int = 8, init_error: int | None = None, fail_on: str = "", nvswitch=False
    ):
        self.gpus = gpus
        self.nvswitch = nvswitch
        self.init_error = init_error
        self.fail_on = fail_on
        self.initialised = False
        self.shutdowns = 0

    def _check(self, name: str) -> None:
        if name == self.fail_on:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_GPU_IS_LOST)

    def nvmlInit(self):
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.initialised = True

    def nvmlShutdown(self):
        self.shutdowns += 1

    def nvmlSystemGetDriverVersion(self):
        return "550.54.15"

    def nvmlSystemGetCudaDriverVersion(self):
        return 12040

    def nvmlDeviceGetCount(self):
        assert self.initialised
        return self.gpus

    def nvmlDeviceGetHandleByIndex(self, index):
        self._check("nvmlDeviceGetHandleByIndex")
        return ("gpu", index)

    def nvmlDeviceGetName(self, handle):
        if handle[0] == "mig":
            profile = ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"][handle[2]]
            return f"NVIDIA A100-SXM4-80GB MIG {profile}"
        return "NVIDIA A100-SXM4-80GB"

    def nvmlDeviceGetUUID(self, handle):
        if handle[0] == "mig":
            return f"MIG-{handle[1]:08x}-0000-0000-0000-00000000000{handle[2]}"
        return f"GPU-{handle[1]:08x}-5c24-b1fd-1054-085de32a"

    def nvmlDeviceGetSerial(self, handle):
        return f"165052200{handle[1]:04d}"

    def nvmlDeviceGetPciInfo(self, handle):
        return SimpleNamespace(busId=f"00000000:{0x07 + handle[1] * 8:02X}:00.0".encode())

    def nvmlDeviceGetMemoryInfo(self, handle):
        if handle[0] == "mig":
            return SimpleNamespace(total=[40448, 20096, 9984, 9984][handle[2]] * 1024**2, used=0)
        return SimpleNamespace(total=80 * GIB, used=512 * 1024**2 * handle[1], free=0)

    def nvmlDeviceGetCudaComputeCapability(self, handle):
        return (8, 0)

    def nvmlDeviceGetMigMode(self, handle):
        return (1, 1) if handle[1] == 7 else (0, 0)

    def nvmlDeviceGetMaxMigDeviceCount(self, handle):
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle, slot):
        if slot >= 4:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)
        return ("mig", handle[1], slot)

    def nvmlDeviceGetUtilizationRates(self, handle):
        if handle[1] == 7:  # MIG GPUs do not report utilisation
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return SimpleNamespace(gpu=10 * handle[1], memory=3)

    def nvmlDeviceGetTemperature(self, handle, sensor):
        assert sensor == pynvml.NVML_TEMPERATURE_GPU
        return 30 + handle[1]

    def nvmlDeviceGetPowerUsage(self, handle):
        self._check("nvmlDeviceGetPowerUsage")
        return 61_234  # mW

    def nvmlDeviceGetEnforcedPowerLimit(self, handle):
        return 400_000

    def nvmlDeviceGetNvLinkState(self, handle, link):
        if handle[1] == 7:  # NVLink queries are not supported in MIG mode
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return pynvml.NVML_FEATURE_ENABLED

    def nvmlDeviceGetNvLinkRemotePciInfo(self, handle, link):
        if self.nvswitch:  # DGX A100: 12 links to six NVSwitches, two per switch
            return SimpleNamespace(busId=f"00000000:{0xC4 + link // 2:02X}:00.0")
        # Without switches: two links per directly connected peer GPU.
        peer = (handle[1] + 1 + link // 2) % 7
        return SimpleNamespace(busId=f"00000000:{0x07 + peer * 8:02X}:00.0")

    def nvmlDeviceGetNvLinkRemoteDeviceType(self, handle, link):
        if self.nvswitch:
            return pynvml.NVML_NVLINK_DEVICE_TYPE_SWITCH
        return pynvml.NVML_NVLINK_DEVICE_TYPE_GPU


def test_it_reads_every_gpu_with_mig_and_nvlink():
    nvml = FakeNvml()
    gpus = read_gpus_nvml("dgx-01", nvml)
    assert len(gpus) == 8
    first = gpus[0]
    assert first.product == "NVIDIA A100-SXM4-80GB"
    assert first.uuid == "GPU-00000000-5c24-b1fd-1054-085de32a"
    assert (first.driver_version, first.cuda_version) == ("550.54.15", "12.4")
    assert first.compute_capability == "8.0"
    assert first.memory_total_mib == 81920
    assert first.pci_bus_id == "00000000:07:00.0"
    assert (first.power_draw_w, first.power_limit_w) == (61.234, 400.0)
    assert first.temperature_c == 30.0
    assert first.mig_mode == "Disabled"
    assert len(first.nvlink_peers) == 6
    assert "00000000:07:00.0" not in first.nvlink_peers
    assert gpus[3].memory_used_mib == 1536

    mig = gpus[7]
    assert mig.mig_mode == "Enabled"
    assert [(m.profile, m.memory_total_mib) for m in mig.mig_devices] == [
        ("3g.40gb", 40448),
        ("2g.20gb", 20096),
        ("1g.10gb", 9984),
        ("1g.10gb", 9984),
    ]
    assert mig.mig_devices[0].uuid.startswith("MIG-")
    assert mig.utilization_gpu_pct is None
    assert mig.nvlink_peers == ()
    assert nvml.shutdowns == 1


def test_gpus_on_common_nvswitches_are_each_others_peers():
    gpus = read_gpus_nvml("dgx-01", FakeNvml(nvswitch=True))
    buses = [g.pci_bus_id for g in gpus]
    # GPU 7 runs MIG (no NVLink); the other seven all reach each other through the switches.
    assert gpus[0].nvlink_peers == tuple(sorted(buses[1:7]))
    assert all(switch not in gpus[0].nvlink_peers for switch in ("00000000:C4:00.0",))
    assert gpus[7].nvlink_peers == ()


def test_a_missing_nvml_library_is_a_source_error():
    with pytest.raises(SourceError, match="NVML unavailable on node n1"):
        read_gpus_nvml("n1", FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))


def test_a_failure_mid_read_gives_no_partial_list_and_still_shuts_down():
    nvml = FakeNvml(fail_on="nvmlDeviceGetHandleByIndex")
    with pytest.raises(SourceError, match="NVML failed on node n1"):
        read_gpus_nvml("n1", nvml)
    assert nvml.shutdowns == 1


def test_an_unsupported_optional_value_is_none():
    gpus = read_gpus_nvml("n1", FakeNvml(gpus=1, fail_on="nvmlDeviceGetPowerUsage"))
    assert gpus[0].power_draw_w is None
    assert gpus[0].power_limit_w == 400.0


def fake_run(stdout=b"", returncode=0, stderr=b"", raises=None):
    calls = []

    def run(args, **kwargs):
        calls.append((args, kwargs))
        if raises is not None:
            raise raises
        return subprocess.CompletedProcess(args, returncode, stdout, stderr)

    run.calls = calls
    return run


def test_nvidia_smi_is_run_with_a_timeout_and_parsed():
    run = fake_run(stdout=(FIXTURES / "telegraf__dual_a5000-v13.xml").read_bytes())
    gpus = read_gpus_nvidia_smi("ws-1", run=run, timeout=7)
    assert [g.product for g in gpus] == ["NVIDIA RTX A5000"] * 2
    args, kwargs = run.calls[0]
    assert args == ["nvidia-smi", "-q", "-x"]
    assert kwargs["timeout"] == 7


@pytest.mark.parametrize(
    ("run", "message"),
    [
        (fake_run(raises=FileNotFoundError()), "nvidia-smi not found on node n1"),
        (fake_run(raises=subprocess.TimeoutExpired("nvidia-smi", 30)), "timed out after 30s"),
        (
            fake_run(
                returncode=9,
                stdout=b"NVIDIA-SMI has failed because it couldn't communicate with the "
                b"NVIDIA driver.\nMake sure that the latest NVIDIA driver is installed.",
            ),
            "exited with 9: NVIDIA-SMI has failed because",
        ),
        (fake_run(stdout=b""), "produced no output"),
    ],
)
def test_nvidia_smi_failures_are_source_errors(run, message):
    with pytest.raises(SourceError, match=message):
        read_gpus_nvidia_smi("n1", run=run)


def test_local_read_prefers_nvml():
    snapshot = read_local_gpus("dgx-01", nvml=FakeNvml(gpus=2), run=fake_run(raises=AssertionError))
    assert snapshot.source == "nvml"
    assert len(snapshot.gpus) == 2
    assert snapshot.covers == {"gpus"}
    assert snapshot.gpu_nodes == {"dgx-01"}


def test_local_read_falls_back_to_nvidia_smi_and_says_why():
    snapshot = read_local_gpus(
        "gpu-1",
        nvml=FakeNvml(init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED),
        run=fake_run(stdout=(FIXTURES / "netdata__a100-sxm4-mig.xml").read_bytes()),
    )
    assert snapshot.source == "nvidia-smi"
    assert [g.product for g in snapshot.gpus] == ["NVIDIA A100-SXM4-40GB"]
    assert "Driver Not Loaded" in snapshot.warnings[0]


def test_local_read_fails_when_both_readers_fail():
    with pytest.raises(
        SourceError, match=r"NVML unavailable.*fallback failed: nvidia-smi not found"
    ):
        read_local_gpus(
            "gpu-1",
            nvml=FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND),
            run=fake_run(raises=FileNotFoundError()),
        )
