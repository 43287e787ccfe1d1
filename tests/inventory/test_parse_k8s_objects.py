"""Node, pod and workload objects become facts; GFD labels match NVIDIA's label schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inventory.demo import generate
from inventory.demo import k8s as builders
from inventory.sources.facts import NodeFacts, SourceError
from inventory.sources.k8s_objects import (
    gfd_product_name,
    gpu_requests_by_node,
    node_facts,
    pod_gpu_request,
    workload_facts,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "kubernetes"


def schema(name: str) -> list[re.Pattern]:
    lines = (SCHEMAS / name).read_text().splitlines()
    return [re.compile(line) for line in lines if line.strip()]


def nodes_by_name():
    return {n["metadata"]["name"]: n for n in generate.demo_nodes()}


@pytest.mark.parametrize(
    ("node", "schema_file"),
    [
        ("dgx-a100-01", "k8s-device-plugin__expected-output.txt"),
        ("h100-mig-01", "k8s-device-plugin__expected-output-mig-mixed.txt"),
    ],
)
def test_generated_gfd_labels_satisfy_nvidias_schema(node, schema_file):
    """Every pattern NVIDIA's e2e test expects is met by some label (as that test checks)."""
    labels = nodes_by_name()[node]["metadata"]["labels"]
    pairs = [f"{k}={v}" for k, v in labels.items() if k.startswith("nvidia.com/")]
    for pattern in schema(schema_file):
        assert any(pattern.match(pair) for pair in pairs), pattern.pattern
    # ...and no GFD label is outside the schema
    known = schema("k8s-device-plugin__expected-output-mig-mixed.txt")
    extra = [p for p in pairs if p != "nvidia.com/gpu.present=true"]
    assert all(any(pattern.match(pair) for pattern in known) for pair in extra)


def test_gfd_labels_become_node_fields():
    facts = node_facts(nodes_by_name()["h100-mig-01"])
    assert facts.gpu_product == "NVIDIA-H100-80GB-HBM3"
    assert facts.gpu_product == gfd_product_name("NVIDIA H100 80GB HBM3")
    assert (facts.gpu_count_label, facts.gpu_memory_mib) == (1, 81559)
    assert facts.compute_capability_label == "9.0"
    assert facts.mig_strategy_label == "mixed"
    assert facts.mig_devices_label == {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}
    assert facts.gpu_labels_present


def test_old_gfd_driver_labels_are_understood():
    labels = {
        "nvidia.com/cuda.driver.major": "470",
        "nvidia.com/cuda.driver.minor": "182",
        "nvidia.com/cuda.driver.rev": "03",
        "nvidia.com/cuda.runtime.major": "11",
        "nvidia.com/cuda.runtime.minor": "4",
    }
    facts = node_facts(builders.node("old-gpu", labels=labels))
    assert facts.driver_version_label == "470.182.03"
    assert facts.cuda_runtime_label == "11.4"


def test_a_node_without_gfd_labels_has_empty_label_fields():
    facts = node_facts(builders.node("plain"))
    assert (facts.gpu_product, facts.gpu_count_label, facts.driver_version_label) == ("", None, "")
    assert not facts.gpu_labels_present


def test_quantities_are_parsed():
    obj = builders.node("n", cpu="1500m", memory="64Gi")
    obj["status"]["capacity"]["nvidia.com/gpu"] = "1e1"
    facts = node_facts(obj)
    assert facts.cpu_cores == 1.5
    assert facts.memory_bytes == 64 * 1024**3
    assert facts.gpu_capacity == 10
    assert facts.capacity["memory"] == "64Gi"  # kept as written


def test_ready_unknown_and_missing_conditions():
    assert node_facts(builders.node("n", ready=False)).ready is False
    obj = builders.node("n")
    del obj["status"]["conditions"]
    assert node_facts(obj).ready is None


def test_taints_roles_and_cordon():
    obj = builders.node(
        "n",
        roles=("control-plane", "infra"),
        taints=({"key": "dedicated", "value": "ml", "effect": "NoExecute"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}),
        unschedulable=True,
    )  # fmt: skip
    facts = node_facts(obj)
    assert facts.roles == ("control-plane", "infra")
    assert facts.taints == ("dedicated=ml:NoExecute", "node.kubernetes.io/unreachable:NoSchedule")
    assert facts.unschedulable


def test_node_facts_survive_the_json_round_trip():
    facts = node_facts(nodes_by_name()["h100-mig-01"])
    assert NodeFacts.from_dict(facts.to_dict()) == facts


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.pop("metadata"), "Node #4 has no metadata.name"),
        (lambda o: o["metadata"].update(name=""), "Node #4 has no metadata.name"),
        (lambda o: o["status"]["capacity"].update(cpu="lots"), "Node bad: capacity cpu: 'lots'"),
        (lambda o: o["status"]["capacity"].update(memory=None), None),
        (lambda o: o["status"].update(capacity=["cpu"]), "Node bad: capacity is not an object"),
        (lambda o: o["spec"].update(taints=[{"effect": "NoSchedule"}]), "a taint has no key"),
        (lambda o: o["status"]["allocatable"].update({"nvidia.com/mig-1g.10gb": "x"}),
         "allocatable nvidia.com/mig-1g.10gb: 'x' is not a quantity"),
    ],
)  # fmt: skip
def test_malformed_nodes_are_refused_by_name(mutate, message):
    obj = builders.node("bad")
    mutate(obj)
    if message is None:  # a missing value is not malformed
        assert node_facts(obj, 4).memory_bytes is None
        return
    with pytest.raises(SourceError, match=re.escape(message)):
        node_facts(obj, 4)


def test_gpu_requests_count_running_pods_only():
    pods = [
        builders.pod("a", "train", "n1", gpus=4),
        builders.pod("a", "done", "n1", gpus=8, phase="Succeeded"),
        builders.pod("a", "pending", "", gpus=2, phase="Pending"),
        builders.pod("b", "mig", "n2", gpus=2, resource="nvidia.com/mig-1g.10gb"),
        builders.pod("b", "cpu", "n2"),
    ]
    assert gpu_requests_by_node(pods) == {"n1": 4, "n2": 2}


def test_requests_win_over_limits_and_init_containers_count_at_their_peak():
    pod = builders.pod("a", "p", "n1")
    pod["spec"]["containers"] = [
        {
            "name": "a",
            "resources": {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}},
        },
        {"name": "b", "resources": {"limits": {"nvidia.com/gpu": "1"}}},
    ]
    pod["spec"]["initContainers"] = [
        {"name": "warm", "resources": {"limits": {"nvidia.com/gpu": "3"}}}
    ]
    assert pod_gpu_request(pod) == ("n1", 3)


def test_a_garbage_gpu_request_names_the_pod():
    pod = builders.pod("team", "p", "n1")
    pod["spec"]["containers"][0]["resources"]["limits"] = {"nvidia.com/gpu": "two"}
    with pytest.raises(SourceError, match=r"Pod team/p: nvidia\.com/gpu: 'two' is not a quantity"):
        gpu_requests_by_node([pod])


def test_workloads_take_labels_from_the_pod_template_too():
    obj = builders.workload("Deployment", "mlops", "tracking", images=("python:3.11",))
    obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] = "mlflow"
    facts = workload_facts(obj, "Deployment")
    assert (facts.name, facts.kind, facts.namespace) == ("MLflow", "Deployment", "mlops")


def test_daemonsets_count_scheduled_pods():
    obj = builders.workload("DaemonSet", "gpu-operator", "nvidia-dcgm-exporter", replicas=3, ready=2,
                            images=("nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.1-ubuntu22.04",))  # fmt: skip
    facts = workload_facts(obj, "DaemonSet")
    assert (facts.ready_replicas, facts.desired_replicas) == (2, 3)


def test_a_deployment_without_replicas_wants_one():
    obj = builders.workload("Deployment", "ns", "w", images=("x:1",))
    del obj["spec"]["replicas"]
    del obj["status"]["readyReplicas"]
    facts = workload_facts(obj, "Deployment")
    assert (facts.ready_replicas, facts.desired_replicas) == (0, 1)


def test_a_malformed_workload_is_refused_by_name():
    obj = builders.workload("StatefulSet", "ns", "db", images=("postgres:16",))
    obj["spec"]["replicas"] = "three"
    with pytest.raises(
        SourceError, match="StatefulSet ns/db: replicas: 'three' is not a whole number"
    ):
        workload_facts(obj, "StatefulSet")


def test_every_kind_of_fact_survives_a_json_round_trip_with_its_tuples():
    import json

    from inventory.sources.facts import CertificateFacts, ComponentFacts, VolumeFacts

    facts = [
        ComponentFacts("ml", "Deployment", "mlflow", "MLflow", "ml", images=("mlflow:2.16",)),
        CertificateFacts("web", "Certificate", "portal-tls", hosts=("portal.example.org",)),
        VolumeFacts("ml", "PersistentVolumeClaim", "cache", access_modes=("ReadWriteMany",)),
    ]
    for fact in facts:
        # JSON turns the tuples into lists; an unknown key from a newer writer is ignored.
        data = {**json.loads(json.dumps(fact.to_dict())), "added_later": 1}
        assert type(fact).from_dict(data) == fact
