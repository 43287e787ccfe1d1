"""Builders of realistic Kubernetes objects (plain dicts, as the API serves them).

Used to generate the demo dataset and by the Kubernetes API stand-in in tests. The
GPU labels follow NVIDIA's GPU feature discovery (GFD) label set: the schema in
NVIDIA/k8s-device-plugin ``tests/expected-output*.txt``.
"""

from __future__ import annotations

import uuid as uuid_module
from typing import Any

# MIG profile -> (multiprocessors, copy engines, decoders, jpeg, ofa, memory MiB, GI slices)
H100_MIG = {
    "1g.10gb": (16, 1, 1, 1, 0, 9984, 1),
    "2g.20gb": (32, 2, 2, 2, 0, 20096, 2),
    "3g.40gb": (60, 3, 3, 3, 0, 40448, 3),
    "7g.80gb": (132, 7, 7, 7, 1, 80896, 7),
}
A100_MIG = {
    "1g.10gb": (14, 1, 0, 0, 0, 9728, 1),
    "2g.20gb": (28, 2, 1, 0, 0, 19968, 2),
    "3g.40gb": (42, 3, 2, 0, 0, 40192, 3),
    "7g.80gb": (98, 7, 5, 1, 1, 81152, 7),
}


def _uid(*parts: str) -> str:
    return str(uuid_module.uuid5(uuid_module.NAMESPACE_URL, "/".join(parts)))


def gfd_labels(
    *,
    product: str,
    count: int,
    memory_mib: int,
    driver: str = "550.54.15",
    cuda_runtime: str = "12.4",
    compute: tuple[int, int] = (8, 0),
    family: str = "ampere",
    machine: str = "",
    mig_capable: bool = False,
    mig_strategy: str = "none",
    mig_profiles: dict[str, int] | None = None,
    mig_table: dict[str, tuple[int, ...]] | None = None,
    timestamp: int = 1732780800,
) -> dict[str, str]:
    """The labels GFD puts on a GPU node (product with dashes, as GFD writes it)."""
    major, minor, rev = ([*driver.split("."), "", ""])[:3]
    rt_major, rt_minor = ([*cuda_runtime.split("."), "0"])[:2]
    labels = {
        "nvidia.com/gfd.timestamp": str(timestamp),
        "nvidia.com/cuda.driver.major": major,
        "nvidia.com/cuda.driver.minor": minor,
        "nvidia.com/cuda.driver.rev": rev,
        "nvidia.com/cuda.runtime.major": rt_major,
        "nvidia.com/cuda.runtime.minor": rt_minor,
        "nvidia.com/cuda.driver-version.major": major,
        "nvidia.com/cuda.driver-version.minor": minor,
        "nvidia.com/cuda.driver-version.revision": rev,
        "nvidia.com/cuda.driver-version.full": driver,
        "nvidia.com/cuda.runtime-version.major": rt_major,
        "nvidia.com/cuda.runtime-version.minor": rt_minor,
        "nvidia.com/cuda.runtime-version.full": f"{rt_major}.{rt_minor}",
        "nvidia.com/gpu.machine": machine or "PowerEdge-R750xa",
        "nvidia.com/gpu.count": str(count),
        "nvidia.com/gpu.replicas": "1",
        "nvidia.com/gpu.sharing-strategy": "none",
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.memory": str(memory_mib),
        "nvidia.com/gpu.family": family,
        "nvidia.com/gpu.mode": "compute",
        "nvidia.com/mig.capable": "true" if mig_capable else "false",
        "nvidia.com/gpu.compute.major": str(compute[0]),
        "nvidia.com/gpu.compute.minor": str(compute[1]),
        "nvidia.com/mps.capable": "true",
    }
    if mig_strategy != "none" or mig_profiles:
        labels["nvidia.com/mig.strategy"] = mig_strategy
    for profile, how_many in (mig_profiles or {}).items():
        sms, copy, decoders, jpeg, ofa, memory, slices = (mig_table or H100_MIG)[profile]
        prefix = f"nvidia.com/mig-{profile}."
        labels.update(
            {
                prefix + "product": f"{product}-MIG-{profile}",
                prefix + "count": str(how_many),
                prefix + "replicas": "1",
                prefix + "sharing-strategy": "none",
                prefix + "memory": str(memory),
                prefix + "multiprocessors": str(sms),
                prefix + "engines.copy": str(copy),
                prefix + "engines.decoder": str(decoders),
                prefix + "engines.encoder": "0",
                prefix + "engines.jpeg": str(jpeg),
                prefix + "engines.ofa": str(ofa),
                prefix + "slices.gi": str(slices),
                prefix + "slices.ci": str(slices),
            }
        )
    return labels


def _resources(cpu: str, memory: str, gpu_resources: dict[str, str] | None):
    """A node's capacity and what of it is allocatable, as the kubelet reports them."""
    capacity = {
        "cpu": cpu,
        "ephemeral-storage": "1918213588Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": memory,
        "pods": "110",
        **(gpu_resources or {}),
    }
    allocatable = {
        **capacity,
        "cpu": f"{int(cpu) * 1000 - 500}m" if cpu.isdigit() else cpu,
        "ephemeral-storage": "1767807192949",
        "memory": memory,
    }
    return capacity, allocatable


def _conditions(ready: bool) -> list[dict[str, str]]:
    return [
        {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory"},
        {"type": "DiskPressure", "status": "False", "reason": "KubeletHasNoDiskPressure"},
        {"type": "PIDPressure", "status": "False", "reason": "KubeletHasSufficientPID"},
        {
            "type": "Ready",
            "status": "True" if ready else "Unknown",
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "message": "kubelet is posting ready status"
            if ready
            else "Kubelet stopped posting node status.",
            "lastHeartbeatTime": "2026-11-28T09:00:00Z",
            "lastTransitionTime": "2026-11-01T08:00:00Z",
        },
    ]


def _node_info(name, arch, runtime, kernel, kubelet, os_image) -> dict[str, str]:
    return {
        "architecture": arch,
        "bootID": _uid("boot", name),
        "containerRuntimeVersion": runtime,
        "kernelVersion": kernel,
        "kubeProxyVersion": kubelet,
        "kubeletVersion": kubelet,
        "machineID": _uid("machine", name).replace("-", ""),
        "operatingSystem": "linux",
        "osImage": os_image,
        "systemUUID": _uid("system", name),
    }


def node(
    name: str,
    *,
    cpu: str = "64",
    memory: str = "527952404Ki",
    roles: tuple[str, ...] = (),
    labels: dict[str, str] | None = None,
    taints: tuple[dict[str, str], ...] = (),
    gpu_resources: dict[str, str] | None = None,
    ready: bool = True,
    unschedulable: bool = False,
    kubelet: str = "v1.30.4",
    os_image: str = "Ubuntu 22.04.4 LTS",
    kernel: str = "5.15.0-119-generic",
    runtime: str = "containerd://1.7.20",
    arch: str = "amd64",
    resource_version: str = "1",
) -> dict[str, Any]:
    """A Node as ``kubectl get node -o json`` shows it (managedFields left out)."""
    all_labels = {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        **{f"node-role.kubernetes.io/{role}": "" for role in roles},
        **(labels or {}),
    }
    capacity, allocatable = _resources(cpu, memory, gpu_resources)
    spec: dict[str, Any] = {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]}
    if taints:
        spec["taints"] = list(taints)
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": _uid("node", name),
            "resourceVersion": resource_version,
            "creationTimestamp": "2026-11-01T08:00:00Z",
            "labels": all_labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": _conditions(ready),
            "addresses": [
                {"type": "InternalIP", "address": f"10.0.{sum(map(ord, name)) % 250}.{len(name)}"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": _node_info(name, arch, runtime, kernel, kubelet, os_image),
        },
    }


GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


def gpu_node(
    name: str,
    *,
    gpu_labels: dict[str, str],
    gpu_resources: dict[str, str] | None,
    taints: tuple[dict[str, str], ...] = (GPU_TAINT,),
    labels: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A GPU node: GFD labels plus the resources the device plugin exposes (None: none)."""
    return node(
        name,
        labels={"nvidia.com/gpu.present": "true", **gpu_labels, **(labels or {})},
        gpu_resources=gpu_resources,
        taints=taints,
        **kwargs,
    )


def pod(
    namespace: str,
    name: str,
    node_name: str,
    *,
    gpus: int = 0,
    resource: str = "nvidia.com/gpu",
    phase: str = "Running",
    image: str = "nvcr.io/nvidia/pytorch:24.05-py3",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pod, optionally holding GPUs (as limits, the way people write them)."""
    resources: dict[str, Any] = {"requests": {"cpu": "4", "memory": "32Gi"}}
    if gpus:
        resources["limits"] = {resource: str(gpus)}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid("pod", namespace, name),
            "resourceVersion": "1",
            "labels": labels or {"app": name.rsplit("-", 1)[0]},
        },
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "main", "image": image, "resources": resources}],
            "restartPolicy": "Always",
        },
        "status": {"phase": phase},
    }


def workload(
    kind: str,
    namespace: str,
    name: str,
    *,
    images: tuple[str, ...],
    labels: dict[str, str] | None = None,
    replicas: int = 1,
    ready: int | None = None,
) -> dict[str, Any]:
    """A Deployment, StatefulSet or DaemonSet with a status like the controller writes."""
    ready = replicas if ready is None else ready
    selector = {"app.kubernetes.io/instance": name}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector},
        "template": {
            "metadata": {"labels": {**selector, **(labels or {})}},
            "spec": {
                "containers": [
                    {"name": image.rsplit("/", 1)[-1].split(":")[0], "image": image}
                    for image in images
                ]
            },
        },
    }
    if kind == "DaemonSet":
        status = {
            "currentNumberScheduled": replicas,
            "desiredNumberScheduled": replicas,
            "numberAvailable": ready,
            "numberReady": ready,
            "numberMisscheduled": 0,
            "observedGeneration": 1,
        }
    else:
        spec["replicas"] = replicas
        status = {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready}
        if kind == "StatefulSet":
            spec["serviceName"] = name
    api_version = "apps/v1"
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": _uid(kind, namespace, name),
            "resourceVersion": "1",
            "generation": 1,
            "labels": labels or {},
        },
        "spec": spec,
        "status": status,
    }
