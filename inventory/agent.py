"""The GPU agent: a Celery worker on each GPU node that listens on the "gpu-agents"
broadcast queue, reads its node's GPUs and sends the report to the "inventory" queue.

It needs no database: run it as
``celery -A portal worker -Q gpu-agents -n gpu-agent@$NODE_NAME``
with NODE_NAME set from the Downward API (``spec.nodeName``). GPU_AGENT_CLUSTER_ID, when
set, makes the agent answer only the broadcasts of its own cluster (several clusters may
share one broker).

GPU_AGENT_NVIDIA_SMI_XML names an ``nvidia-smi -q -x`` file to read instead of NVML: for
tests (there is no GPU in CI) and for air-gapped nodes where the XML is collected by
other means.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from django.utils import timezone

from inventory.sources.facts import Snapshot, SourceError

log = logging.getLogger(__name__)


def agent_node_name() -> str:
    return os.environ.get("NODE_NAME") or socket.gethostname()


def read_report(node_name: str) -> Snapshot:
    xml_path = os.environ.get("GPU_AGENT_NVIDIA_SMI_XML")
    if xml_path:
        from inventory.sources.nvidia_smi import parse_nvidia_smi_xml

        warnings: list[str] = []
        try:
            raw = Path(xml_path).read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {xml_path}: {exc}") from exc
        gpus = parse_nvidia_smi_xml(raw, node_name, warnings)
        return Snapshot(
            source="nvidia-smi-file",
            gpus=gpus,
            covers=frozenset({"gpus"}),
            gpu_nodes=frozenset({node_name}),
            warnings=warnings,
        )
    from inventory.sources.nvml import read_local_gpus

    return read_local_gpus(node_name)


def collect_and_report(*, cluster_id: int) -> bool:
    """Returns False when this agent belongs to another cluster and stayed silent."""
    from inventory.tasks import ingest_gpu_report

    own = os.environ.get("GPU_AGENT_CLUSTER_ID")
    if own and own != str(cluster_id):
        return False
    node_name = agent_node_name()
    collected_at = timezone.now().isoformat()
    try:
        snapshot = read_report(node_name)
        facts, error, warnings = [g.to_dict() for g in snapshot.gpus], "", snapshot.warnings
    except SourceError as exc:
        log.warning("GPU agent on %s could not read its GPUs: %s", node_name, exc)
        facts, error, warnings = None, str(exc), []
    ingest_gpu_report.apply_async(
        args=[cluster_id, node_name, facts, collected_at],
        kwargs={"error": error, "warnings": warnings},
        queue="inventory",
    )
    return True
