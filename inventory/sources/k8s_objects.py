"""Kubernetes objects (plain dicts, as JSON has them) -> snapshot facts.

One set of converters serves every way of reading a cluster: the API client (asked
for raw JSON, which is also far cheaper than its model objects at thousands of
nodes) and ``kubectl get -o json`` files. A malformed object raises SourceError
naming it, and the caller refuses the whole snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from kubernetes.utils.quantity import parse_quantity

from .components import classify_workload
from .facts import CertificateFacts, ComponentFacts, NodeFacts, SourceError, VolumeFacts

GPU_RESOURCE = "nvidia.com/gpu"
MIG_RESOURCE_PREFIX = "nvidia.com/mig-"
ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def is_gpu_resource(name: str) -> bool:
    """nvidia.com/gpu and the MIG resources (nvidia.com/mig-1g.10gb) the device plugin exposes."""
    return name == GPU_RESOURCE or name.startswith(MIG_RESOURCE_PREFIX)


def gfd_product_name(product: str) -> str:
    """A product name as GFD writes it in nvidia.com/gpu.product, so that labels and
    agent reports compare: "NVIDIA A100-SXM4-80GB" -> "NVIDIA-A100-SXM4-80GB"."""
    return "-".join(product.split())


def _quantity(value: Any, what: str) -> Decimal:
    try:
        return parse_quantity(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise SourceError(f"{what}: {value!r} is not a quantity") from exc


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SourceError(f"{what} is not an object")
    return value


def _sequence(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError(f"{what} is not a list")
    return value


def _name(obj: Any, kind: str, position: int | None = None) -> str:
    if not isinstance(obj, Mapping):
        raise SourceError(f"{kind} #{position} is not an object")
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or not name:
        where = f" #{position}" if position is not None else ""
        raise SourceError(f"{kind}{where} has no metadata.name")
    return name


def _label_int(labels: Mapping[str, str], key: str) -> int | None:
    value = labels.get(key, "")
    return int(value) if value.isdecimal() else None


def _dotted(labels: Mapping[str, str], full: str, parts: Iterable[str]) -> str:
    if labels.get(full):
        return labels[full]
    values = [labels.get(p, "") for p in parts]
    return ".".join(v for v in values if v) if values[0] else ""


def _gfd_fields(labels: Mapping[str, str]) -> dict[str, Any]:
    """What NVIDIA's GPU feature discovery labels say about a node's GPUs."""
    mig: dict[str, int] = {}
    present = False
    for key, value in labels.items():
        if not key.startswith("nvidia.com/"):
            continue
        if key.startswith(("nvidia.com/gpu.", "nvidia.com/cuda.", "nvidia.com/gfd.")):
            present = True
        elif key.startswith(MIG_RESOURCE_PREFIX) and key.endswith(".count") and value.isdecimal():
            mig[key[len(MIG_RESOURCE_PREFIX) : -len(".count")]] = int(value)
    p = "nvidia.com/"
    return {
        "gpu_product": labels.get(p + "gpu.product", ""),
        "gpu_memory_mib": _label_int(labels, p + "gpu.memory"),
        "gpu_count_label": _label_int(labels, p + "gpu.count"),
        "driver_version_label": _dotted(
            labels,
            p + "cuda.driver-version.full",
            (p + "cuda.driver.major", p + "cuda.driver.minor", p + "cuda.driver.rev"),
        ),
        "cuda_runtime_label": _dotted(
            labels,
            p + "cuda.runtime-version.full",
            (p + "cuda.runtime.major", p + "cuda.runtime.minor"),
        ),
        "compute_capability_label": _dotted(
            labels, "", (p + "gpu.compute.major", p + "gpu.compute.minor")
        ),
        "mig_strategy_label": labels.get(p + "mig.strategy", ""),
        "mig_devices_label": mig,
        "gpu_labels_present": present,
    }


def _resources(value: Any, what: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value, what).items() if v is not None}


def _taint(taint: Any, node: str) -> str:
    if not isinstance(taint, Mapping) or not taint.get("key"):
        raise SourceError(f"Node {node}: a taint has no key")
    value = taint.get("value")
    head = f"{taint['key']}={value}" if value else taint["key"]
    return f"{head}:{taint.get('effect', '')}"


def _gpu_count(resources: Mapping[str, Any], node: str, field: str) -> int:
    total = Decimal(0)
    for name, value in resources.items():
        if is_gpu_resource(name):
            total += _quantity(value, f"Node {node}: {field} {name}")
    return int(total)


def node_facts(obj: Mapping[str, Any], position: int | None = None) -> NodeFacts:
    """One Node object -> NodeFacts (without gpu_requested, which comes from pods)."""
    name = _name(obj, "Node", position)
    metadata = obj["metadata"]
    spec = _mapping(obj.get("spec"), f"Node {name}: spec")
    status = _mapping(obj.get("status"), f"Node {name}: status")
    labels = {
        str(k): str(v) for k, v in _mapping(metadata.get("labels"), f"Node {name}: labels").items()
    }
    capacity = _resources(status.get("capacity"), f"Node {name}: capacity")
    allocatable = _resources(status.get("allocatable"), f"Node {name}: allocatable")
    roles = {key[len(ROLE_LABEL_PREFIX) :] for key in labels if key.startswith(ROLE_LABEL_PREFIX)}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    roles.discard("")
    ready = None
    for condition in _sequence(status.get("conditions"), f"Node {name}: conditions"):
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            ready = condition.get("status") == "True"
    info = _mapping(status.get("nodeInfo"), f"Node {name}: nodeInfo")
    cpu = capacity.get("cpu")
    memory = capacity.get("memory")
    return NodeFacts(
        name=name,
        labels=labels,
        taints=tuple(
            _taint(t, name) for t in _sequence(spec.get("taints"), f"Node {name}: taints")
        ),
        roles=tuple(sorted(roles)),
        capacity=capacity,
        allocatable=allocatable,
        cpu_cores=float(_quantity(cpu, f"Node {name}: capacity cpu")) if cpu else None,
        memory_bytes=int(_quantity(memory, f"Node {name}: capacity memory")) if memory else None,
        gpu_capacity=_gpu_count(capacity, name, "capacity"),
        gpu_allocatable=_gpu_count(allocatable, name, "allocatable"),
        os_image=str(info.get("osImage", "")),
        kernel_version=str(info.get("kernelVersion", "")),
        kubelet_version=str(info.get("kubeletVersion", "")),
        container_runtime=str(info.get("containerRuntimeVersion", "")),
        architecture=str(info.get("architecture", "")),
        ready=ready,
        unschedulable=bool(spec.get("unschedulable", False)),
        **_gfd_fields(labels),
    )


def _container_gpus(container: Any, where: str) -> Decimal:
    if not isinstance(container, Mapping):
        raise SourceError(f"{where}: a container is not an object")
    resources = _mapping(container.get("resources"), f"{where}: resources")
    requests = _mapping(resources.get("requests"), f"{where}: requests")
    limits = _mapping(resources.get("limits"), f"{where}: limits")
    total = Decimal(0)
    # Extended resources cannot be overcommitted: a limit alone implies the request.
    for name in {*requests, *limits}:
        if is_gpu_resource(name):
            value = requests.get(name, limits.get(name))
            total += _quantity(value, f"{where}: {name}")
    return total


def pod_gpu_request(pod: Mapping[str, Any], position: int | None = None) -> tuple[str, int]:
    """(node name, GPUs held) for a Running pod; ("", 0) for pods that hold none.

    A pod holds the larger of its containers' sum and its biggest init container,
    as the scheduler counts it.
    """
    status = pod.get("status") if isinstance(pod, Mapping) else None
    if not isinstance(status, Mapping) or status.get("phase") != "Running":
        return "", 0
    name = _name(pod, "Pod", position)
    where = f"Pod {pod['metadata'].get('namespace', '')}/{name}"
    spec = _mapping(pod.get("spec"), f"{where}: spec")
    node = spec.get("nodeName") or ""
    if not node:
        return "", 0
    running = sum(
        (
            _container_gpus(c, where)
            for c in _sequence(spec.get("containers"), f"{where}: containers")
        ),
        Decimal(0),
    )
    init = max(
        (
            _container_gpus(c, where)
            for c in _sequence(spec.get("initContainers"), f"{where}: initContainers")
        ),
        default=Decimal(0),
    )
    return node, int(max(running, init))


def add_gpu_requests(totals: dict[str, int], pods: Iterable[Mapping[str, Any]]) -> None:
    """Add the GPUs held by these Running pods to ``totals`` (node name -> GPUs)."""
    for position, pod in enumerate(pods):
        node, gpus = pod_gpu_request(pod, position)
        if gpus:
            totals[node] = totals.get(node, 0) + gpus


def gpu_requests_by_node(pods: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Sum the GPUs held by Running pods, per node."""
    totals: dict[str, int] = {}
    add_gpu_requests(totals, pods)
    return totals


def _int_field(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise SourceError(f"{where}: {value!r} is not a whole number")
    return value


def workload_facts(
    obj: Mapping[str, Any], kind: str, position: int | None = None
) -> ComponentFacts:
    """One Deployment / StatefulSet / DaemonSet -> ComponentFacts."""
    if kind not in WORKLOAD_KINDS:
        raise SourceError(f"{kind} is not a workload kind this inventory reads")
    name = _name(obj, kind, position)
    metadata = obj["metadata"]
    namespace = metadata.get("namespace") or ""
    where = f"{kind} {namespace}/{name}"
    spec = _mapping(obj.get("spec"), f"{where}: spec")
    status = _mapping(obj.get("status"), f"{where}: status")
    template = _mapping(spec.get("template"), f"{where}: template")
    pod_meta = _mapping(template.get("metadata"), f"{where}: template metadata")
    pod_spec = _mapping(template.get("spec"), f"{where}: template spec")
    # Charts put app.kubernetes.io/* on the pod template more reliably than on the workload.
    labels = {
        **_mapping(pod_meta.get("labels"), f"{where}: template labels"),
        **_mapping(metadata.get("labels"), f"{where}: labels"),
    }
    images = tuple(
        str(c.get("image", ""))
        for c in _sequence(pod_spec.get("containers"), f"{where}: containers")
        if isinstance(c, Mapping)
    )
    if kind == "DaemonSet":
        desired = _int_field(status.get("desiredNumberScheduled"), f"{where}: desired")
        ready = _int_field(status.get("numberReady"), f"{where}: ready")
    else:
        replicas = spec.get("replicas", 1)
        desired = _int_field(replicas, f"{where}: replicas")
        ready = _int_field(status.get("readyReplicas"), f"{where}: ready replicas")
    return classify_workload(
        namespace, kind, name, {str(k): str(v) for k, v in labels.items()}, images, ready, desired
    )


def nodes_with_requests(
    node_objects: Iterable[Mapping[str, Any]], requests: Mapping[str, int]
) -> list[NodeFacts]:
    """Convert nodes and fill in the GPUs their Running pods hold."""
    nodes = []
    seen: set[str] = set()
    for position, obj in enumerate(node_objects):
        facts = node_facts(obj, position)
        if facts.name in seen:
            raise SourceError(f"Node {facts.name} is listed twice")
        seen.add(facts.name)
        held = requests.get(facts.name, 0)
        nodes.append(replace(facts, gpu_requested=held) if held else facts)
    return nodes


# -- the software element: certificates, domain names, storage -----------------------


def _strings(value: Any, what: str) -> tuple[str, ...]:
    return tuple(str(v) for v in _sequence(value, what) if v)


def _ready(status: Mapping[str, Any], where: str) -> bool | None:
    for condition in _sequence(status.get("conditions"), f"{where}: conditions"):
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return None


def certificate_facts(obj: Mapping[str, Any], position: int | None = None) -> CertificateFacts:
    """A cert-manager ``Certificate`` (cert-manager.io/v1): hosts, issuer, expiry."""
    name = _name(obj, "Certificate", position)
    namespace = obj["metadata"].get("namespace") or ""
    where = f"Certificate {namespace}/{name}"
    spec = _mapping(obj.get("spec"), f"{where}: spec")
    status = _mapping(obj.get("status"), f"{where}: status")
    issuer = _mapping(spec.get("issuerRef"), f"{where}: issuerRef")
    hosts = _strings(spec.get("dnsNames"), f"{where}: dnsNames")
    if not hosts and spec.get("commonName"):
        hosts = (str(spec["commonName"]),)
    not_after = status.get("notAfter") or ""
    if not isinstance(not_after, str):  # YAML may have parsed it into a datetime
        not_after = not_after.isoformat() if hasattr(not_after, "isoformat") else str(not_after)
    return CertificateFacts(
        namespace=namespace,
        kind="Certificate",
        name=name,
        hosts=hosts,
        secret_name=str(spec.get("secretName") or ""),
        issuer=f"{issuer.get('kind') or 'Issuer'}/{issuer['name']}" if issuer.get("name") else "",
        not_after=not_after,
        ready=_ready(status, where),
    )


def ingress_tls_facts(
    obj: Mapping[str, Any], position: int | None = None
) -> list[CertificateFacts]:
    """An Ingress's TLS entries: the platform's domain names, and which Secret serves
    each. The expiry is the matching Certificate's (cert-manager's ingress-shim names it
    after the secret); an Ingress alone does not say."""
    name = _name(obj, "Ingress", position)
    metadata = obj["metadata"]
    namespace = metadata.get("namespace") or ""
    where = f"Ingress {namespace}/{name}"
    spec = _mapping(obj.get("spec"), f"{where}: spec")
    annotations = _mapping(metadata.get("annotations"), f"{where}: annotations")
    issuer = ""
    for kind, key in (("ClusterIssuer", "cert-manager.io/cluster-issuer"),
                      ("Issuer", "cert-manager.io/issuer")):  # fmt: skip
        if annotations.get(key):
            issuer = f"{kind}/{annotations[key]}"
    facts = []
    for index, tls in enumerate(_sequence(spec.get("tls"), f"{where}: tls")):
        tls = _mapping(tls, f"{where}: tls #{index}")
        secret = str(tls.get("secretName") or "")
        facts.append(
            CertificateFacts(
                namespace=namespace,
                kind="Ingress",
                name=f"{name}/{secret or index}",
                hosts=_strings(tls.get("hosts"), f"{where}: tls hosts"),
                secret_name=secret,
                issuer=issuer,
            )
        )
    return facts


def _size(value: Any, where: str) -> int | None:
    return None if value in (None, "") else int(_quantity(value, where))


def storage_class_facts(obj: Mapping[str, Any], position: int | None = None) -> VolumeFacts:
    name = _name(obj, "StorageClass", position)
    annotations = _mapping(obj["metadata"].get("annotations"), f"StorageClass {name}")
    default = annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
    return VolumeFacts(
        namespace="",
        kind="StorageClass",
        name=name,
        phase="default" if default else "",
        detail=str(obj.get("provisioner") or ""),
    )


def volume_claim_facts(obj: Mapping[str, Any], position: int | None = None) -> VolumeFacts:
    name = _name(obj, "PersistentVolumeClaim", position)
    namespace = obj["metadata"].get("namespace") or ""
    where = f"PersistentVolumeClaim {namespace}/{name}"
    spec = _mapping(obj.get("spec"), f"{where}: spec")
    status = _mapping(obj.get("status"), f"{where}: status")
    requested = _mapping(
        _mapping(spec.get("resources"), f"{where}: resources").get("requests"),
        f"{where}: requests",
    )
    capacity = _mapping(status.get("capacity"), f"{where}: capacity")
    return VolumeFacts(
        namespace=namespace,
        kind="PersistentVolumeClaim",
        name=name,
        storage_class=str(spec.get("storageClassName") or ""),
        size_bytes=_size(capacity.get("storage") or requested.get("storage"), f"{where}: size"),
        access_modes=_strings(spec.get("accessModes"), f"{where}: accessModes"),
        phase=str(status.get("phase") or ""),
        detail=str(spec.get("volumeName") or ""),
    )
