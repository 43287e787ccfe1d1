"""FileSource reads kubectl JSON and nvidia-smi XML exports; the demo dataset is one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from inventory.demo import generate
from inventory.sources.facts import SourceError
from inventory.sources.files import FileSource

DEMO = Path(generate.__file__).resolve().parent / "cluster"


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "cluster"
    shutil.copytree(DEMO, target)
    return target


def test_it_reads_the_demo_cluster():
    snapshot = FileSource(DEMO).read()
    assert snapshot.source == "files"
    assert snapshot.covers == {"nodes", "components", "gpus"}
    assert snapshot.gpu_nodes == {"dgx-a100-01", "ws-a5000-01", "h100-mig-01"}
    assert snapshot.warnings == []
    assert len(snapshot.nodes) == 5
    assert len(snapshot.components) == 18

    by_node: dict[str, list] = {}
    for gpu in snapshot.gpus:
        by_node.setdefault(gpu.node_name, []).append(gpu)
    assert {n: len(g) for n, g in by_node.items()} == {
        "dgx-a100-01": 8,
        "ws-a5000-01": 4,
        "h100-mig-01": 1,
    }
    assert {g.product for g in by_node["dgx-a100-01"]} == {"NVIDIA A100-SXM4-80GB"}
    assert {g.driver_version for g in snapshot.gpus} == {"550.54.15", "590.44.01"}
    [h100] = by_node["h100-mig-01"]
    assert [m.profile for m in h100.mig_devices] == ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"]
    assert len({g.uuid for g in snapshot.gpus}) == 13

    nodes = {n.name: n for n in snapshot.nodes}
    assert nodes["dgx-a100-01"].gpu_requested == 6
    assert nodes["ws-a5000-01"].gpu_allocatable == 0  # the device plugin is missing there
    assert nodes["cpu-01"].ready is False


def test_the_committed_demo_matches_its_generator(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "OUT", tmp_path)
    generate.main()
    for path in DEMO.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert (tmp_path / path.relative_to(DEMO)).read_text() == path.read_text(), path


def test_gpus_are_covered_only_for_nodes_with_xml(folder):
    (folder / "nvidia-smi" / "ws-a5000-01.xml").unlink()
    snapshot = FileSource(folder).read()
    assert snapshot.gpu_nodes == {"dgx-a100-01", "h100-mig-01"}
    assert all(g.node_name != "ws-a5000-01" for g in snapshot.gpus)


def test_workloads_are_optional(folder):
    (folder / "workloads.json").unlink()
    snapshot = FileSource(folder).read()
    assert snapshot.components == []
    assert all(n.gpu_requested == 0 for n in snapshot.nodes)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "nodes.json").write_text("{not json"), "nodes.json is not valid JSON"),
        (lambda f: (f / "nodes.json").unlink(), "nodes.json is missing"),
        (lambda f: (f / "nodes.json").write_text('{"kind": "NodeList"}'), "nodes.json is not a Kubernetes List"),
        (lambda f: (f / "workloads.json").write_text("[]"), "workloads.json is not a Kubernetes List"),
        (lambda f: (f / "workloads.json").write_text('{"items": [{"kind": "Service"}]}'),
         "workloads.json: item #0 has unexpected kind 'Service'"),
        (lambda f: (f / "nvidia-smi" / "ghost.xml").write_text("<x/>"),
         "nvidia-smi/ghost.xml names no node in nodes.json"),
    ],
)  # fmt: skip
def test_a_bad_file_refuses_the_snapshot_and_is_named(folder, damage, message):
    damage(folder)
    with pytest.raises(SourceError, match=message):
        FileSource(folder).read()


def test_a_malformed_node_in_the_export_is_named(folder):
    document = json.loads((folder / "nodes.json").read_text())
    document["items"][1]["status"]["capacity"]["memory"] = "a lot"
    (folder / "nodes.json").write_text(json.dumps(document))
    with pytest.raises(SourceError, match="Node dgx-a100-01: capacity memory: 'a lot'"):
        FileSource(folder).read()


def test_a_missing_folder_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        FileSource(tmp_path / "nowhere").read()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("<nvidia_smi_log>", "nvidia-smi XML for node h100-mig-01 is malformed"),
        ("", "nvidia-smi on node h100-mig-01 produced no output"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><nvidia_smi_log/>', "refused: it declares entities"),
    ],
)
def test_one_unreadable_xml_is_that_node_s_problem_only(folder, damage, reason):
    (folder / "nvidia-smi" / "h100-mig-01.xml").write_text(damage)
    snapshot = FileSource(folder).read()
    # Left out of the GPU report, so its GPUs are not marked gone; the others update.
    assert snapshot.gpu_nodes == {"dgx-a100-01", "ws-a5000-01"}
    assert {g.node_name for g in snapshot.gpus} == {"dgx-a100-01", "ws-a5000-01"}
    error = snapshot.gpu_report_errors["h100-mig-01"]
    assert error.startswith("nvidia-smi/h100-mig-01.xml: ") and reason in error
    assert any("h100-mig-01 keep their last good facts" in w for w in snapshot.warnings)


@pytest.mark.django_db
def test_the_node_keeps_its_gpus_and_gets_a_finding_naming_file_and_reason(folder):
    from inventory.choices import SourceKind
    from inventory.findings import findings_compute
    from inventory.models import Cluster, Gpu, InventorySource
    from inventory.services import source_sync

    cluster = Cluster.objects.create(name="air-gapped")
    source = InventorySource.objects.create(
        cluster=cluster, name="export", kind=SourceKind.FILES, config={"path": str(folder)}
    )
    source_sync(source=source)
    before = dict(Gpu.objects.filter(node_name="h100-mig-01").values_list("uuid", "product"))
    assert before
    (folder / "nvidia-smi" / "h100-mig-01.xml").write_text("<nvidia_smi_log><gpu>")
    xml = folder / "nvidia-smi" / "dgx-a100-01.xml"
    xml.write_text(xml.read_text().replace("<gpu_temp>", "<gpu_temp>1", 1))
    run = source_sync(source=source)
    assert run.status == "succeeded" and "h100-mig-01" in run.gpu_report_errors
    kept = Gpu.objects.present().filter(node_name="h100-mig-01")
    assert dict(kept.values_list("uuid", "product")) == before
    # ... while the other nodes update (one more digit on the first GPU's temperature).
    assert Gpu.objects.get(node_name="dgx-a100-01", index=0).temperature_c >= 100
    [finding] = [f for f in findings_compute() if f.code == "gpu_report_unreadable"]
    assert finding.object_label == "h100-mig-01"
    assert "nvidia-smi/h100-mig-01.xml" in finding.message and "malformed" in finding.message
    # The file is mended: the next sync clears the finding.
    shutil.copy(DEMO / "nvidia-smi" / "h100-mig-01.xml", folder / "nvidia-smi")
    source_sync(source=source)
    assert "gpu_report_unreadable" not in {f.code for f in findings_compute()}
