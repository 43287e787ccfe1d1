"""Read a cluster from files, for air-gapped sites and demos.

The folder holds what an operator can export with standard tools::

    nodes.json            kubectl get nodes -o json
    workloads.json        kubectl get deploy,sts,ds,pods -A -o json   (a v1 List)
    nvidia-smi/<node>.xml nvidia-smi -q -x, one file per GPU node

The same converters as the API source turn them into facts. An unreadable
``nodes.json`` or ``workloads.json`` refuses the whole snapshot, with the file named
in the error. An unreadable nvidia-smi file is one node's problem: that node is left
out of the GPU report (its GPUs keep their last good facts), the file and the reason
go into ``gpu_report_errors`` (a finding names them), and every other node updates.
Each XML file is parsed as a stream, one GPU at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .facts import GpuFacts, Snapshot, SourceError
from .k8s_objects import WORKLOAD_KINDS, gpu_requests_by_node, nodes_with_requests, workload_facts
from .nvidia_smi import parse_nvidia_smi_stream

NODES_FILE = "nodes.json"
WORKLOADS_FILE = "workloads.json"
NVIDIA_SMI_DIR = "nvidia-smi"


def _read_list(path: Path) -> list[Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourceError(f"{path.name} is missing from {path.parent}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path.name} cannot be read: {exc}") from exc
    except ValueError as exc:
        raise SourceError(f"{path.name} is not valid JSON: {exc}") from exc
    items = document.get("items") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise SourceError(f"{path.name} is not a Kubernetes List (no items array)")
    return items


class FileSource:
    """A folder of kubectl JSON and nvidia-smi XML exports -> one Snapshot.

    Covers nodes and components always, and GPUs for exactly the nodes that have an
    ``nvidia-smi/<node>.xml`` file (``gpu_nodes``). ``workloads.json`` is optional.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def read(self) -> Snapshot:
        """The folder's nodes, workloads and GPUs, or SourceError naming the bad file."""
        if not self.folder.is_dir():
            raise SourceError(f"inventory folder {self.folder} does not exist")
        node_objects = _read_list(self.folder / NODES_FILE)
        workload_path = self.folder / WORKLOADS_FILE
        objects = _read_list(workload_path) if workload_path.exists() else []
        pods, workloads = [], []
        for position, obj in enumerate(objects):
            kind = obj.get("kind") if isinstance(obj, dict) else None
            if kind == "Pod":
                pods.append(obj)
            elif kind in WORKLOAD_KINDS:
                workloads.append((position, kind, obj))
            else:
                raise SourceError(
                    f"{WORKLOADS_FILE}: item #{position} has unexpected kind {kind!r}"
                )
        try:
            nodes = nodes_with_requests(node_objects, gpu_requests_by_node(pods))
            components = [workload_facts(obj, kind, position) for position, kind, obj in workloads]
        except SourceError as exc:
            raise SourceError(f"{self.folder.name}: {exc}") from exc
        gpus, gpu_nodes, warnings, errors = self._read_gpus({n.name for n in nodes})
        return Snapshot(
            source="files",
            nodes=nodes,
            gpus=gpus,
            components=components,
            covers=frozenset({"nodes", "components", "gpus"}),
            gpu_nodes=frozenset(gpu_nodes),
            warnings=warnings,
            gpu_report_errors=errors,
        )

    def _read_gpus(
        self, node_names: set[str]
    ) -> tuple[list[GpuFacts], set[str], list[str], dict[str, str]]:
        gpus: list[GpuFacts] = []
        covered: set[str] = set()
        warnings: list[str] = []
        errors: dict[str, str] = {}
        folder = self.folder / NVIDIA_SMI_DIR
        if not folder.is_dir():
            return gpus, covered, warnings, errors
        for path in sorted(folder.glob("*.xml")):
            node = path.stem
            if node not in node_names:
                raise SourceError(f"{NVIDIA_SMI_DIR}/{path.name} names no node in {NODES_FILE}")
            name = f"{NVIDIA_SMI_DIR}/{path.name}"
            notes: list[str] = []
            try:
                with path.open("rb") as stream:
                    found = parse_nvidia_smi_stream(stream, node, notes)
            except OSError as exc:
                errors[node] = f"{name} cannot be read: {exc}"
            except SourceError as exc:
                errors[node] = f"{name}: {exc}"
            else:
                gpus.extend(found)
                warnings.extend(notes)
                covered.add(node)
                continue
            warnings.append(f"{errors[node]}; the GPUs of {node} keep their last good facts")
        return gpus, covered, warnings, errors
