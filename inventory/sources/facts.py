"""Plain snapshot facts: what a source saw, with no database in sight.

The reconciler compares these with the stored inventory. Every field is a plain value
(str, int, float, bool, None, tuple, dict of str) so that facts can be compared,
hashed and sent through Celery as JSON (``to_dict``/``from_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


class SourceError(Exception):
    """A source could not produce a complete, trustworthy snapshot.

    Raised instead of returning partial data: the reconciler then changes nothing.
    """


def _known_fields(cls, data: dict[str, Any], *, tuples: tuple[str, ...] = ()) -> dict[str, Any]:
    """The items of ``data`` that are fields of ``cls`` (a snapshot written by another
    version may carry more or fewer), with the ``tuples`` fields as tuples, as the
    frozen facts hold them (JSON gives lists)."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    for name in tuples:
        values[name] = tuple(values.get(name, ()))
    return values


@dataclass(frozen=True)
class MigDeviceFacts:
    index: int
    profile: str  # e.g. "1g.10gb", "3g.40gb"
    memory_total_mib: int | None = None
    uuid: str = ""


@dataclass(frozen=True)
class GpuFacts:
    uuid: str  # the identity of a GPU across syncs
    index: int
    product: str
    node_name: str
    memory_total_mib: int | None = None
    memory_used_mib: int | None = None
    driver_version: str = ""
    cuda_version: str = ""
    compute_capability: str = ""
    pci_bus_id: str = ""
    mig_mode: str = ""  # "Enabled", "Disabled", or "" when unknown / not supported
    mig_devices: tuple[MigDeviceFacts, ...] = ()
    utilization_gpu_pct: float | None = None
    temperature_c: float | None = None
    power_draw_w: float | None = None
    power_limit_w: float | None = None
    serial: str = ""
    nvlink_peers: tuple[str, ...] = ()  # PCI bus ids of GPUs connected by NVLink

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GpuFacts:
        values = _known_fields(cls, data, tuples=("nvlink_peers",))
        values["mig_devices"] = tuple(MigDeviceFacts(**m) for m in values.get("mig_devices", ()))
        return cls(**values)


@dataclass(frozen=True)
class NodeFacts:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[str, ...] = ()  # "key=value:Effect"
    roles: tuple[str, ...] = ()
    capacity: dict[str, str] = field(default_factory=dict)  # raw quantities as strings
    allocatable: dict[str, str] = field(default_factory=dict)
    cpu_cores: float | None = None  # parsed from capacity["cpu"]
    memory_bytes: int | None = None  # parsed from capacity["memory"]
    gpu_capacity: int = 0  # nvidia.com/gpu + nvidia.com/mig-* counts as Kubernetes exposes them
    gpu_allocatable: int = 0
    gpu_requested: int = 0  # sum of running pods' nvidia.com/gpu requests on this node
    os_image: str = ""
    kernel_version: str = ""
    kubelet_version: str = ""
    container_runtime: str = ""
    architecture: str = ""
    ready: bool | None = None
    unschedulable: bool = False
    # What NVIDIA's GPU feature discovery (GFD) labels claim, kept apart from what the
    # GPU agents measure so that findings can compare the two ("" / None: no label).
    gpu_product: str = ""  # nvidia.com/gpu.product
    gpu_memory_mib: int | None = None  # nvidia.com/gpu.memory
    gpu_count_label: int | None = None  # nvidia.com/gpu.count
    driver_version_label: str = ""  # nvidia.com/cuda.driver-version.full or major.minor.rev
    cuda_runtime_label: str = ""  # nvidia.com/cuda.runtime-version.full or major.minor
    compute_capability_label: str = ""  # nvidia.com/gpu.compute.major + minor
    mig_strategy_label: str = ""  # nvidia.com/mig.strategy: none, single, mixed
    mig_devices_label: dict[str, int] = field(default_factory=dict)  # profile -> count
    gpu_labels_present: bool = False  # any nvidia.com/gpu.* or cuda.* label from GFD

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeFacts:
        return cls(**_known_fields(cls, data, tuples=("taints", "roles")))


@dataclass(frozen=True)
class ComponentFacts:
    """A workload recognised (or not) as a known ML or auxiliary component."""

    namespace: str
    kind: str  # Deployment, StatefulSet, DaemonSet
    workload_name: str
    name: str  # recognised product name, e.g. "MLflow"; the workload name if unclassified
    category: str  # "ml", "auxiliary" or "unclassified"
    version: str = ""
    images: tuple[str, ...] = ()
    ready_replicas: int = 0
    desired_replicas: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.workload_name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComponentFacts:
        return cls(**_known_fields(cls, data, tuples=("images",)))


@dataclass(frozen=True)
class CertificateFacts:
    """A TLS certificate the platform serves: a cert-manager Certificate (its status
    says when it expires, read without any Secret access) or an Ingress TLS entry."""

    namespace: str
    kind: str  # "Certificate" or "Ingress"
    name: str  # the Certificate's name; for an Ingress "<ingress>/<secretName>"
    hosts: tuple[str, ...] = ()
    secret_name: str = ""
    issuer: str = ""  # "ClusterIssuer/letsencrypt-prod"
    not_after: str = ""  # ISO 8601 from status.notAfter; "" when not issued (yet)
    ready: bool | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertificateFacts:
        return cls(**_known_fields(cls, data, tuples=("hosts",)))


@dataclass(frozen=True)
class VolumeFacts:
    """A StorageClass (namespace "", kind "StorageClass") or a PersistentVolumeClaim:
    the platform's file shares and dataset caches."""

    namespace: str
    kind: str  # "StorageClass" or "PersistentVolumeClaim"
    name: str
    storage_class: str = ""  # a claim's class; a class's provisioner goes in ``detail``
    size_bytes: int | None = None  # a claim's capacity (bound) or request
    access_modes: tuple[str, ...] = ()
    phase: str = ""  # Bound, Pending, Lost; for a class "default" when it is the default
    detail: str = ""  # provisioner (class) or volume name (claim)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.namespace, self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VolumeFacts:
        return cls(**_known_fields(cls, data, tuples=("access_modes",)))


@dataclass
class Snapshot:
    """Everything one source read in one go.

    ``covers`` says which kinds of facts the source is authoritative for: a
    Kubernetes read covers nodes and components, a GPU agent's report covers the GPUs
    of the nodes listed in ``gpu_nodes``. Only covered items can be marked gone.
    """

    source: str
    nodes: list[NodeFacts] = field(default_factory=list)
    gpus: list[GpuFacts] = field(default_factory=list)
    components: list[ComponentFacts] = field(default_factory=list)
    certificates: list[CertificateFacts] = field(default_factory=list)
    volumes: list[VolumeFacts] = field(default_factory=list)
    # subset of {"nodes", "gpus", "components", "gpu_metrics", "certificates", "volumes"}
    covers: frozenset[str] = frozenset()
    gpu_nodes: frozenset[str] = frozenset()  # nodes whose full GPU list this snapshot holds
    warnings: list[str] = field(default_factory=list)
    # Nodes whose GPU report could not be read: {node name: "file: reason"}. They are
    # left out of ``gpu_nodes``, so their GPUs keep their last good facts.
    gpu_report_errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "nodes": [n.to_dict() for n in self.nodes],
            "gpus": [g.to_dict() for g in self.gpus],
            "components": [c.to_dict() for c in self.components],
            "certificates": [c.to_dict() for c in self.certificates],
            "volumes": [v.to_dict() for v in self.volumes],
            "covers": sorted(self.covers),
            "gpu_nodes": sorted(self.gpu_nodes),
            "warnings": list(self.warnings),
            "gpu_report_errors": dict(self.gpu_report_errors),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            source=data["source"],
            nodes=[NodeFacts.from_dict(n) for n in data.get("nodes", [])],
            gpus=[GpuFacts.from_dict(g) for g in data.get("gpus", [])],
            components=[ComponentFacts.from_dict(c) for c in data.get("components", [])],
            certificates=[CertificateFacts.from_dict(c) for c in data.get("certificates", [])],
            volumes=[VolumeFacts.from_dict(v) for v in data.get("volumes", [])],
            covers=frozenset(data.get("covers", [])),
            gpu_nodes=frozenset(data.get("gpu_nodes", [])),
            warnings=list(data.get("warnings", [])),
            gpu_report_errors=dict(data.get("gpu_report_errors", {})),
        )
