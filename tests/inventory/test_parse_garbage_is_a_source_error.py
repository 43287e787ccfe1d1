"""Whatever the outside world sends, a source answers with facts or a SourceError.

Anything else (a KeyError, an AttributeError) would escape the sync's error handling
and could leave a half-written picture, so arbitrary input is thrown at each parser.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.demo import generate
from inventory.sources.dcgm import parse_dcgm_metrics
from inventory.sources.facts import SourceError
from inventory.sources.k8s_objects import gpu_requests_by_node, node_facts, workload_facts
from inventory.sources.nvidia_smi import parse_nvidia_smi_csv, parse_nvidia_smi_xml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
A5000_XML = (FIXTURES / "nvidia-smi" / "telegraf__dual_a5000-v13.xml").read_text()
DCGM = (FIXTURES / "dcgm" / "datadog__dcgm_serve_metrics.txt").read_text()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def facts_or_source_error(call, *args):
    try:
        return call(*args)
    except SourceError:
        return None


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_as_nvidia_smi_xml(data):
    facts_or_source_error(parse_nvidia_smi_xml, data, "n1")


@FAST
@given(st.integers(0, len(A5000_XML)), st.integers(1, 400))
def test_truncated_or_cut_nvidia_smi_xml(start, length):
    damaged = A5000_XML[:start] + A5000_XML[start + length :]
    facts_or_source_error(parse_nvidia_smi_xml, damaged, "n1")


@FAST
@given(st.text(max_size=300))
def test_any_text_as_nvidia_smi_csv(text):
    facts_or_source_error(parse_nvidia_smi_csv, "name, uuid, memory.used [MiB]\n" + text, "n1")


@FAST
@given(st.integers(0, len(DCGM)), st.text(max_size=20))
def test_damaged_dcgm_metrics(position, junk):
    facts_or_source_error(parse_dcgm_metrics, DCGM[:position] + junk + DCGM[position:])


NODE = generate.demo_nodes()[1]


@FAST
@given(st.sampled_from(["metadata", "spec", "status"]), json_values)
def test_nodes_with_any_section_replaced(section, value):
    facts_or_source_error(node_facts, {**NODE, section: value})


@FAST
@given(st.sampled_from(["labels", "name"]), json_values)
def test_nodes_with_odd_metadata(field, value):
    facts_or_source_error(node_facts, {**NODE, "metadata": {**NODE["metadata"], field: value}})


@FAST
@given(
    st.sampled_from(["capacity", "allocatable", "conditions", "nodeInfo"]),
    json_values,
)
def test_nodes_with_odd_status(field, value):
    facts_or_source_error(node_facts, {**NODE, "status": {**NODE["status"], field: value}})


@FAST
@given(json_values)
def test_any_pod_list(pods):
    facts_or_source_error(gpu_requests_by_node, pods if isinstance(pods, list) else [pods])


@FAST
@given(json_values, st.sampled_from(["Deployment", "StatefulSet", "DaemonSet"]))
def test_any_workload(obj, kind):
    facts_or_source_error(workload_facts, obj, kind)
