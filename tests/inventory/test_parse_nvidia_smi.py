"""nvidia-smi XML and CSV from real drivers (schemas v11, v12, v13) become GPU facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.sources.facts import SourceError
from inventory.sources.nvidia_smi import (
    mig_profile_name,
    parse_number,
    parse_nvidia_smi_csv,
    parse_nvidia_smi_xml,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nvidia-smi"


def parse(name: str, warnings: list[str] | None = None):
    return parse_nvidia_smi_xml((FIXTURES / name).read_bytes(), "gpu-node-1", warnings)


def test_it_reads_a_v11_a100_with_two_mig_devices():
    warnings: list[str] = []
    [gpu] = parse("netdata__a100-sxm4-mig.xml", warnings)
    assert warnings == []
    assert gpu.product == "NVIDIA A100-SXM4-40GB"
    assert gpu.uuid == "GPU-27b94a00-ed54-5c24-b1fd-1054085de32a"
    assert gpu.node_name == "gpu-node-1"
    assert gpu.index == 0
    assert (gpu.driver_version, gpu.cuda_version) == ("510.47.03", "11.6")
    assert (gpu.memory_total_mib, gpu.memory_used_mib) == (40960, 38)
    assert gpu.pci_bus_id == "00000000:00:04.0"
    assert gpu.serial == "1324321002473"
    assert gpu.mig_mode == "Enabled"
    # 42 SMs on Ampere = 3 compute slices, 19968 MiB rounds up to 20 GB.
    assert [(m.index, m.profile, m.memory_total_mib) for m in gpu.mig_devices] == [
        (0, "3g.20gb", 19968),
        (1, "3g.20gb", 19968),
    ]
    # v11 keeps power in <power_readings> with <power_limit>.
    assert (gpu.power_draw_w, gpu.power_limit_w) == (66.92, 400.0)
    assert gpu.temperature_c == 36.0
    assert gpu.utilization_gpu_pct is None  # "N/A" under MIG


def test_it_reads_a_v11_tesla_p100_without_mig():
    [gpu] = parse("netdata__tesla-p100.xml")
    assert gpu.product == "Tesla P100-PCIE-16GB"
    assert gpu.memory_total_mib == 16384
    assert gpu.mig_mode == ""  # "N/A": the card cannot do MIG
    assert gpu.mig_devices == ()
    assert (gpu.power_draw_w, gpu.power_limit_w) == (26.16, 250.0)
    assert gpu.utilization_gpu_pct == 0.0
    assert gpu.temperature_c == 38.0


def test_it_reads_v12_gpu_power_readings_of_a_consumer_card():
    [gpu] = parse("netdata__rtx-4090-driver-535.xml")
    assert gpu.product == "NVIDIA GeForce RTX 4090"
    assert (gpu.driver_version, gpu.cuda_version) == ("535.86.05", "12.2")
    assert gpu.memory_total_mib == 24564
    assert gpu.serial == ""  # "N/A" on GeForce
    assert gpu.pci_bus_id == "00000000:84:00.0"
    assert (gpu.power_draw_w, gpu.power_limit_w) == (26.84, 450.0)


def test_it_reads_a_v12_a100_80gb_mig_and_warns_about_trimmed_gpus():
    warnings: list[str] = []
    [gpu] = parse("telegraf__a100-sxm4-v12.xml", warnings)
    assert gpu.product == "NVIDIA A100-SXM4-80GB"
    assert gpu.driver_version == "535.54.03"
    assert gpu.memory_total_mib == 81920
    assert [m.profile for m in gpu.mig_devices] == ["1g.20gb"] * 4
    assert (gpu.power_draw_w, gpu.power_limit_w) == (67.03, 500.0)
    # Upstream kept one <gpu> of four: the mismatch is reported, not hidden.
    assert warnings == [
        "nvidia-smi XML for node gpu-node-1 reports 4 attached GPUs but describes 1"
    ]


def test_it_reads_two_v13_gpus_with_average_power_draw():
    gpus = parse("telegraf__dual_a5000-v13.xml")
    assert [g.product for g in gpus] == ["NVIDIA RTX A5000", "NVIDIA RTX A5000"]
    assert [g.index for g in gpus] == [0, 1]
    assert [g.uuid for g in gpus] == [
        "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
        "GPU-12345678-aaaa-bbbb-cccc-0123456789cd",
    ]
    assert [g.pci_bus_id for g in gpus] == ["00000000:81:00.0", "00000000:C1:00.0"]
    assert {(g.driver_version, g.cuda_version) for g in gpus} == {("590.44.01", "13.1")}
    assert [g.memory_used_mib for g in gpus] == [22437, 17253]
    assert [g.power_draw_w for g in gpus] == [6.41, 13.6]  # average, not instant (6.52)
    assert [g.power_limit_w for g in gpus] == [230.0, 230.0]


def test_it_reads_utilisation_from_a_busy_v13_card():
    [gpu] = parse("telegraf__rtx-3080-v13.xml")
    assert gpu.product == "NVIDIA GeForce RTX 3080"
    assert (gpu.driver_version, gpu.cuda_version) == ("595.58.03", "13.2")
    assert gpu.utilization_gpu_pct == 65.0
    assert (gpu.power_draw_w, gpu.power_limit_w) == (139.62, 320.0)
    assert (gpu.memory_total_mib, gpu.memory_used_mib) == (10240, 9184)


def test_facts_survive_the_json_round_trip():
    from inventory.sources.facts import GpuFacts

    [gpu] = parse("netdata__a100-sxm4-mig.xml")
    assert GpuFacts.from_dict(gpu.to_dict()) == gpu


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40960 MiB", 40960.0),
        ("35 C", 35.0),
        ("56.20 W", 56.2),
        ("65 %", 65.0),
        ("N/A", None),
        ("[N/A]", None),
        ("Not Supported", None),
        ("[Not Supported]", None),
        ("Requested functionality has been deprecated", None),
        ("nan W", None),
        (None, None),
    ],
)
def test_values_with_units_become_numbers_and_placeholders_none(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("sms", "mib", "arch", "engines", "profile"),
    [
        (60, 40448, "Hopper", 3, "3g.40gb"),  # the H100 capture's MIG table
        (32, 20096, "Hopper", 2, "2g.20gb"),
        (16, 9984, "Hopper", 1, "1g.10gb"),
        (132, 81559, "Hopper", 7, "7g.80gb"),
        (14, 4864, "Ampere", 1, "1g.5gb"),
        (20, 23000, "Blackwell", 1, "1g.23gb"),  # unknown SM width: copy engines decide
        (None, 23000, "", None, "23gb"),
    ],
)
def test_mig_profiles_are_named_as_nvidia_names_them(sms, mib, arch, engines, profile):
    assert mig_profile_name(sms, mib, arch, copy_engines=engines) == profile


def test_it_reads_query_gpu_csv():
    [gpu] = parse_nvidia_smi_csv((FIXTURES / "netdata__tesla-p100.csv").read_text(), "n1")
    assert gpu.product == "Tesla P100-PCIE-16GB"
    assert gpu.uuid == "GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6"
    assert gpu.memory_used_mib == 0
    assert gpu.utilization_gpu_pct == 0.0
    assert gpu.temperature_c == 37.0
    assert gpu.power_draw_w == 28.16


def test_it_reads_the_h100_captures_200_field_query():
    capture = (FIXTURES / "utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01.txt").read_text()
    lines = capture.splitlines()
    start = lines.index("# idle :: query-gpu (csv, what the exporter parses)") + 3
    section = "\n".join(lines[start : start + 2])
    [gpu] = parse_nvidia_smi_csv(section, "h100-1")
    assert gpu.product == "NVIDIA H100 80GB HBM3"
    assert (gpu.driver_version, gpu.compute_capability) == ("590.48.01", "9.0")
    assert (gpu.memory_total_mib, gpu.memory_used_mib) == (81559, 59)
    assert gpu.mig_mode == "Enabled"
    assert gpu.pci_bus_id == "00000000:00:09.0"
    assert gpu.power_limit_w == 700.0
    assert gpu.utilization_gpu_pct is None  # "[N/A]" under MIG


def test_csv_without_a_header_is_refused():
    with pytest.raises(SourceError, match="lacks the name and uuid columns"):
        parse_nvidia_smi_csv("Tesla T4, GPU-1, 0\n", "n1")


VALID_HEAD = b'<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">\n'


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "produced no output"),
        (b"   \n", "produced no output"),
        (b"<nvidia_smi_log><gpu>", "is malformed"),
        (b"NVIDIA-SMI has failed because it couldn't communicate with the driver", "malformed"),
        (b"<html><body>nope</body></html>", "root element is <html>"),
        (
            VALID_HEAD + b"<nvidia_smi_log><driver_version>1</driver_version></nvidia_smi_log>",
            "neither <attached_gpus> nor <gpu>",
        ),
        (
            VALID_HEAD + b"<nvidia_smi_log><attached_gpus>1</attached_gpus><gpu id='0'>"
            b"<product_name>X</product_name></gpu></nvidia_smi_log>",
            "has no uuid",
        ),
    ],
)
def test_unusable_output_is_refused_with_a_clear_error(payload, message):
    with pytest.raises(SourceError, match=message):
        parse_nvidia_smi_xml(payload, "n1")


def test_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE nvidia_smi_log [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<nvidia_smi_log><driver_version>&b;</driver_version></nvidia_smi_log>"
    )
    with pytest.raises(SourceError, match="declares entities"):
        parse_nvidia_smi_xml(bomb, "n1")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('<?xml version="1.0" encoding="UTF-16"?><nvidia_smi_log/>'.encode("utf-16"), "not UTF-8"),
        (b'<?xml version="1.0" encoding="cp037"?><nvidia_smi_log/>', "declares encoding cp037"),
        (b'<!DOCTYPE nvidia_smi_log SYSTEM "file:///etc/passwd"><nvidia_smi_log>&xxe;</nvidia_smi_log>',
         "malformed"),
    ],
)  # fmt: skip
def test_smuggled_entities_are_refused(payload, message):
    with pytest.raises(SourceError, match=message):
        parse_nvidia_smi_xml(payload, "n1")


def test_an_unknown_schema_version_is_parsed_with_a_warning():
    xml = (
        (FIXTURES / "telegraf__rtx-3080-v13.xml")
        .read_bytes()
        .replace(b"nvsmi_device_v13.dtd", b"nvsmi_device_v14.dtd")
    )
    warnings: list[str] = []
    [gpu] = parse_nvidia_smi_xml(xml, "n1", warnings)
    assert gpu.product == "NVIDIA GeForce RTX 3080"
    assert warnings == [
        "nvidia-smi XML for node n1 uses unknown schema nvsmi_device_v14; parsed by structure"
    ]


def test_a_missing_doctype_is_parsed_with_a_warning():
    xml = (FIXTURES / "netdata__tesla-p100.xml").read_text()
    xml = xml.replace('<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v11.dtd">', "")
    warnings: list[str] = []
    [gpu] = parse_nvidia_smi_xml(xml, "n1", warnings)
    assert gpu.product == "Tesla P100-PCIE-16GB"
    assert "names no nvsmi_device DTD" in warnings[0]


def test_a_gpu_listed_twice_is_refused():
    xml = (FIXTURES / "telegraf__dual_a5000-v13.xml").read_text()
    xml = xml.replace(
        "GPU-12345678-aaaa-bbbb-cccc-0123456789cd", "GPU-12345678-aaaa-bbbb-cccc-0123456789ab"
    )
    with pytest.raises(SourceError, match="twice"):
        parse_nvidia_smi_xml(xml, "n1")
