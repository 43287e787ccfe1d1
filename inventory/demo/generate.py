"""Generate the DEMO cluster dataset in inventory/demo/cluster/ (output is committed).

    .venv/bin/python -m inventory.demo.generate

The cluster is invented; its nvidia-smi XML is derived from real captures in
tests/fixtures/nvidia-smi/ (the schema and every untouched value are real), and its
labels follow NVIDIA's GPU feature discovery label set.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, tostring

from inventory.demo import k8s
from inventory.sources.nvidia_smi import parse_xml

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "cluster"
FIXTURES = ROOT.parent.parent / "tests" / "fixtures" / "nvidia-smi"

A100_DRIVER, A100_CUDA = "550.54.15", "12.4"
A5000_DRIVER, A5000_CUDA = "590.44.01", "13.1"  # the second driver version in the fleet
H100_MIG_LAYOUT = {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}


def demo_nodes() -> list[dict[str, Any]]:
    """One control plane, three GPU nodes, one CPU node (NotReady)."""
    a100 = k8s.gfd_labels(
        product="NVIDIA-A100-SXM4-80GB", count=8, memory_mib=81920, driver=A100_DRIVER,
        cuda_runtime=A100_CUDA, compute=(8, 0), family="ampere", machine="DGXA100-920-23687-2530-000",
        mig_capable=True,
    )  # fmt: skip
    a5000 = k8s.gfd_labels(
        product="NVIDIA-RTX-A5000", count=4, memory_mib=24564, driver=A5000_DRIVER,
        cuda_runtime=A5000_CUDA, compute=(8, 6), family="ampere", machine="ThinkStation-P620",
    )  # fmt: skip
    h100 = k8s.gfd_labels(
        product="NVIDIA-H100-80GB-HBM3", count=1, memory_mib=81559, driver=A100_DRIVER,
        cuda_runtime=A100_CUDA, compute=(9, 0), family="hopper", machine="PowerEdge-XE8640",
        mig_capable=True, mig_strategy="mixed", mig_profiles=H100_MIG_LAYOUT, mig_table=k8s.H100_MIG,
    )  # fmt: skip
    return [
        k8s.node(
            "cp-01", cpu="16", memory="65843124Ki", roles=("control-plane",),
            taints=({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},),
        ),
        k8s.gpu_node(
            "dgx-a100-01", gpu_labels=a100, gpu_resources={"nvidia.com/gpu": "8"},
            cpu="256", memory="2113276000Ki", roles=("gpu",),
        ),
        # The device plugin is not running here: GPUs exist, Kubernetes cannot schedule them.
        k8s.gpu_node(
            "ws-a5000-01", gpu_labels=a5000, gpu_resources=None, cpu="24",
            memory="263855588Ki", roles=("gpu",), kernel="6.8.0-45-generic",
            os_image="Ubuntu 24.04.1 LTS",
        ),
        k8s.gpu_node(
            "h100-mig-01", gpu_labels=h100, cpu="96", memory="1056354112Ki", roles=("gpu",),
            gpu_resources={f"nvidia.com/mig-{p}": str(n) for p, n in H100_MIG_LAYOUT.items()},
        ),
        k8s.node("cpu-01", cpu="32", memory="131927828Ki", roles=("worker",), ready=False),
    ]  # fmt: skip


def demo_workloads() -> list[dict[str, Any]]:
    """Deployments, StatefulSets and DaemonSets as ``kubectl get deploy,sts,ds -A`` lists them."""
    w = k8s.workload
    name = "app.kubernetes.io/name"
    version = "app.kubernetes.io/version"
    chart = "helm.sh/chart"
    return [
        w("Deployment", "mlops", "mlflow", images=("ghcr.io/mlflow/mlflow:v2.14.1",), replicas=2,
          labels={name: "mlflow", version: "2.14.1", chart: "mlflow-0.7.19"}),
        w("Deployment", "kubeflow", "ml-pipeline", images=("gcr.io/ml-pipeline/api-server:2.2.0",),
          labels={"app": "ml-pipeline", "app.kubernetes.io/part-of": "kubeflow"}),
        w("Deployment", "kubeflow", "ml-pipeline-ui", images=("gcr.io/ml-pipeline/frontend:2.2.0",),
          labels={"app": "ml-pipeline-ui", "app.kubernetes.io/part-of": "kubeflow"}),
        w("Deployment", "airflow", "airflow-scheduler", images=("apache/airflow:2.9.2",),
          labels={"component": "scheduler", chart: "airflow-1.13.1", "tier": "airflow"}),
        w("Deployment", "airflow", "airflow-webserver", images=("apache/airflow:2.9.2",),
          labels={"component": "webserver", chart: "airflow-1.13.1", "tier": "airflow"}),
        w("StatefulSet", "airflow", "airflow-postgresql",
          images=("docker.io/bitnami/postgresql:16.3.0-debian-12-r14",),
          labels={name: "postgresql", chart: "postgresql-15.5.9"}),
        w("Deployment", "kserve", "kserve-controller-manager",
          images=("kserve/kserve-controller:v0.13.0", "gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1"),
          labels={"control-plane": "kserve-controller-manager"}),
        w("StatefulSet", "monitoring", "prometheus-server",
          images=("quay.io/prometheus/prometheus:v2.51.0",),
          labels={name: "prometheus", version: "v2.51.0", chart: "prometheus-25.21.0"}),
        w("Deployment", "monitoring", "grafana", images=("docker.io/grafana/grafana:11.1.0",),
          labels={name: "grafana", version: "11.1.0", chart: "grafana-8.3.2"}),
        w("StatefulSet", "monitoring", "loki", images=("docker.io/grafana/loki:3.0.0",),
          labels={name: "loki", version: "3.0.0", chart: "loki-6.6.4"}),
        w("Deployment", "traefik", "traefik", images=("docker.io/traefik:v3.0.4",),
          labels={name: "traefik", chart: "traefik-28.3.0"}),
        w("StatefulSet", "keycloak", "keycloak", images=("quay.io/keycloak/keycloak:25.0.1",),
          labels={name: "keycloak"}),
        w("Deployment", "gpu-operator", "gpu-operator",
          images=("nvcr.io/nvidia/gpu-operator:v24.3.0",),
          labels={"app": "gpu-operator", chart: "gpu-operator-v24.3.0"}),
        # Scheduled on two of the three GPU nodes: the A5000 workstation lacks it.
        w("DaemonSet", "gpu-operator", "nvidia-device-plugin-daemonset",
          images=("nvcr.io/nvidia/k8s-device-plugin:v0.15.0",), replicas=2,
          labels={"app": "nvidia-device-plugin-daemonset"}),
        w("DaemonSet", "gpu-operator", "nvidia-dcgm-exporter",
          images=("nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.1-ubuntu22.04",), replicas=3,
          labels={"app": "nvidia-dcgm-exporter"}),
        w("DaemonSet", "gpu-operator", "gpu-feature-discovery",
          images=("nvcr.io/nvidia/k8s-device-plugin:v0.15.0",), replicas=3,
          labels={name: "gpu-feature-discovery"}),
        w("Deployment", "team-vision", "label-studio",
          images=("docker.io/heartexlabs/label-studio:1.12.1",), labels={"app": "label-studio"}),
        w("Deployment", "team-recsys", "feature-batcher", replicas=3, ready=1,
          images=("registry.internal.example:5000/recsys/feature-batcher:2024.06.1",),
          labels={"app": "feature-batcher"}),
    ]  # fmt: skip


def demo_pods() -> list[dict[str, Any]]:
    """GPU-holding pods (and one finished job that holds nothing any more)."""
    return [
        k8s.pod("team-llm", "llama-finetune-0", "dgx-a100-01", gpus=4),
        k8s.pod("team-llm", "llama-finetune-1", "dgx-a100-01", gpus=2),
        k8s.pod("team-llm", "eval-sweep-7", "dgx-a100-01", gpus=8, phase="Succeeded"),
        k8s.pod(
            "team-vision",
            "notebook-anna",
            "h100-mig-01",
            gpus=1,
            resource="nvidia.com/mig-1g.10gb",
            image="quay.io/jupyter/pytorch-notebook:cuda12-2024-06-10",
        ),
        k8s.pod("mlops", "mlflow-7d9f8c6b5-x2kqv", "cpu-01", image="ghcr.io/mlflow/mlflow:v2.14.1"),
    ]


# -- nvidia-smi XML ----------------------------------------------------------------


def _load(name: str) -> tuple[str, Element]:
    text = (FIXTURES / name).read_text()
    head = text[: text.index("<nvidia_smi_log>")]
    return head, parse_xml((FIXTURES / name).read_bytes())


def _set(parent: Element, path: str, value: str) -> None:
    found = parent.find(path)
    if found is not None:
        found.text = value


def _gpu_copy(template: Element, i: int, bus: int, uuid: str, serial: str) -> Element:
    gpu = copy.deepcopy(template)
    bus_id = f"00000000:{bus:02X}:00.0"
    gpu.set("id", bus_id)
    _set(gpu, "uuid", uuid)
    _set(gpu, "serial", serial)
    _set(gpu, "minor_number", str(i))
    _set(gpu, "pci/pci_bus", f"{bus:02X}")
    _set(gpu, "pci/pci_bus_id", bus_id)
    _set(gpu, "board_id", f"0x{bus:x}00")
    return gpu


def _render(head: str, root: Element) -> str:
    return head + tostring(root, encoding="unicode") + "\n"


def _node_xml(fixture: str, driver: str, cuda: str, gpus: list[Element]) -> tuple[str, Element]:
    head, root = _load(fixture)
    for old in root.findall("gpu"):
        root.remove(old)
    _set(root, "timestamp", "Sat Nov 28 09:00:00 2026")
    _set(root, "driver_version", driver)
    _set(root, "cuda_version", cuda)
    _set(root, "attached_gpus", str(len(gpus)))
    for gpu in gpus:
        root.append(gpu)
    return head, root


def dgx_xml() -> str:
    """8x A100-SXM4-80GB, MIG off, from telegraf's v12 capture of that card."""
    _, template_root = _load("telegraf__a100-sxm4-v12.xml")
    template = template_root.find("gpu")
    _set(template, "mig_mode/current_mig", "Disabled")
    _set(template, "mig_mode/pending_mig", "Disabled")
    template.remove(template.find("mig_devices"))
    _set(template, "fb_memory_usage/used", "0 MiB")
    gpus = []
    for i, bus in enumerate((0x07, 0x0F, 0x47, 0x4E, 0x87, 0x90, 0xB7, 0xBD)):
        gpu = _gpu_copy(
            template, i, bus, f"GPU-5d3a9c1e-0b7f-4a2e-9c6d-a100{i:08x}", f"16505220038{i:02d}"
        )
        busy = i < 6  # llama-finetune-0/1 hold six of eight
        _set(gpu, "utilization/gpu_util", "97 %" if busy else "0 %")
        _set(gpu, "fb_memory_usage/used", "71233 MiB" if busy else "4 MiB")
        _set(gpu, "gpu_power_readings/power_draw", "386.12 W" if busy else "61.40 W")
        _set(gpu, "temperature/gpu_temp", "67 C" if busy else "31 C")
        gpus.append(gpu)
    return _render(*_node_xml("telegraf__a100-sxm4-v12.xml", A100_DRIVER, A100_CUDA, gpus))


def workstation_xml() -> str:
    """4x RTX A5000 from telegraf's v13 dual-A5000 capture."""
    _, template_root = _load("telegraf__dual_a5000-v13.xml")
    template = template_root.find("gpu")
    gpus = [
        _gpu_copy(template, i, bus, f"GPU-8f0e2b47-33c1-4d5a-a500-{i:012x}", f"13222210{i:05d}")
        for i, bus in enumerate((0x01, 0x21, 0x81, 0xC1))
    ]
    return _render(*_node_xml("telegraf__dual_a5000-v13.xml", A5000_DRIVER, A5000_CUDA, gpus))


def h100_xml() -> str:
    """1x H100 80GB HBM3 with MIG 3g.40gb + 2g.20gb + 2x 1g.10gb (the real capture's layout)."""
    _, template_root = _load("telegraf__a100-sxm4-v12.xml")
    gpu = _gpu_copy(
        template_root.find("gpu"),
        0,
        0x09,
        "GPU-9a1f4e2c-7d3b-4c8e-b100-000000000000",
        "1654923018877",
    )
    _set(gpu, "product_name", "NVIDIA H100 80GB HBM3")
    _set(gpu, "product_architecture", "Hopper")
    _set(gpu, "fb_memory_usage/total", "81559 MiB")
    _set(gpu, "fb_memory_usage/used", "59 MiB")
    _set(gpu, "gpu_power_readings/power_draw", "98.00 W")
    for limit in ("current_power_limit", "requested_power_limit", "default_power_limit",
                  "max_power_limit"):  # fmt: skip
        _set(gpu, f"gpu_power_readings/{limit}", "700.00 W")
    _set(gpu, "temperature/gpu_temp", "42 C")
    container = gpu.find("mig_devices")
    template_device = container.find("mig_device")
    for old in container.findall("mig_device"):
        container.remove(old)
    layout = [("3g.40gb", 2), ("2g.20gb", 3), ("1g.10gb", 9), ("1g.10gb", 10)]
    for index, (profile, gi) in enumerate(layout):
        sms, copies, decoders, jpeg, ofa, memory, _ = k8s.H100_MIG[profile]
        device = copy.deepcopy(template_device)
        _set(device, "index", str(index))
        _set(device, "gpu_instance_id", str(gi))
        _set(device, "device_attributes/shared/multiprocessor_count", str(sms))
        _set(device, "device_attributes/shared/copy_engine_count", str(copies))
        _set(device, "device_attributes/shared/decoder_count", str(decoders))
        _set(device, "device_attributes/shared/jpg_count", str(jpeg))
        _set(device, "device_attributes/shared/ofa_count", str(ofa))
        _set(device, "fb_memory_usage/total", f"{memory} MiB")
        _set(device, "fb_memory_usage/free", f"{memory - 9} MiB")
        _set(device, "fb_memory_usage/used", "9 MiB")
        container.append(device)
    return _render(*_node_xml("telegraf__a100-sxm4-v12.xml", A100_DRIVER, A100_CUDA, [gpu]))


def _list(items: list[dict[str, Any]]) -> str:
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
        "metadata": {"resourceVersion": ""},
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def main() -> None:
    """Write nodes.json, workloads.json and nvidia-smi/<node>.xml into OUT."""
    (OUT / "nvidia-smi").mkdir(parents=True, exist_ok=True)
    (OUT / "nodes.json").write_text(_list(demo_nodes()))
    (OUT / "workloads.json").write_text(_list([*demo_workloads(), *demo_pods()]))
    (OUT / "nvidia-smi" / "dgx-a100-01.xml").write_text(dgx_xml())
    (OUT / "nvidia-smi" / "ws-a5000-01.xml").write_text(workstation_xml())
    (OUT / "nvidia-smi" / "h100-mig-01.xml").write_text(h100_xml())


if __name__ == "__main__":
    main()
