"""KubernetesSource against the API stand-in: the official client, real HTTP, real paging."""

from __future__ import annotations

import threading
import time

import pytest

from inventory.demo import generate
from inventory.demo import k8s as builders
from inventory.sources.facts import SourceError
from inventory.sources.kubernetes import KubernetesSource, NodeEvent
from tests.stand_ins.kubernetes import gpu_cluster_nodes


def load_demo(api) -> None:
    api.load("nodes", generate.demo_nodes())
    api.load("pods", generate.demo_pods())
    for obj in generate.demo_workloads():
        api.load(obj["kind"].lower() + "s", [obj])


def source(api, **kwargs) -> KubernetesSource:
    kwargs.setdefault("request_timeout", 5)
    return KubernetesSource(str(api.kubeconfig), **kwargs)


def node_requests(api) -> list[dict]:
    return [q for path, q in api.requests if path == "/api/v1/nodes"]


def test_it_reads_the_demo_cluster(k8s_stand_in):
    load_demo(k8s_stand_in)
    snapshot = source(k8s_stand_in).read()
    assert snapshot.source == "kubernetes"
    # The stand-in serves no Ingresses, storage or cert-manager (404): an empty answer.
    assert snapshot.covers == {"nodes", "components", "certificates", "volumes"}
    nodes = {n.name: n for n in snapshot.nodes}
    assert sorted(nodes) == ["cp-01", "cpu-01", "dgx-a100-01", "h100-mig-01", "ws-a5000-01"]

    dgx = nodes["dgx-a100-01"]
    assert dgx.roles == ("gpu",)
    assert dgx.taints == ("nvidia.com/gpu=present:NoSchedule",)
    assert dgx.cpu_cores == 256.0
    assert dgx.memory_bytes == 2113276000 * 1024
    assert dgx.allocatable["cpu"] == "255500m"
    assert (dgx.gpu_capacity, dgx.gpu_allocatable, dgx.gpu_requested) == (8, 8, 6)
    assert dgx.gpu_product == "NVIDIA-A100-SXM4-80GB"
    assert (dgx.gpu_count_label, dgx.gpu_memory_mib) == (8, 81920)
    assert dgx.driver_version_label == "550.54.15"
    assert dgx.cuda_runtime_label == "12.4"
    assert dgx.compute_capability_label == "8.0"
    assert dgx.kubelet_version == "v1.30.4"
    assert dgx.container_runtime == "containerd://1.7.20"
    assert dgx.ready is True
    assert dgx.gpu_labels_present

    workstation = nodes["ws-a5000-01"]
    assert (workstation.gpu_count_label, workstation.gpu_allocatable) == (4, 0)
    assert workstation.driver_version_label == "590.44.01"

    h100 = nodes["h100-mig-01"]
    assert h100.mig_strategy_label == "mixed"
    assert h100.mig_devices_label == {"3g.40gb": 1, "2g.20gb": 1, "1g.10gb": 2}
    assert (h100.gpu_capacity, h100.gpu_requested) == (4, 1)
    assert h100.capacity["nvidia.com/mig-1g.10gb"] == "2"

    assert nodes["cpu-01"].ready is False
    assert nodes["cp-01"].roles == ("control-plane",)
    assert not nodes["cp-01"].gpu_labels_present

    components = {c.workload_name: c for c in snapshot.components}
    assert (components["mlflow"].name, components["mlflow"].version) == ("MLflow", "2.14.1")
    assert components["nvidia-device-plugin-daemonset"].kind == "DaemonSet"
    assert components["nvidia-device-plugin-daemonset"].desired_replicas == 2
    assert components["prometheus-server"].category == "auxiliary"
    assert components["feature-batcher"].category == "unclassified"
    assert (
        components["feature-batcher"].ready_replicas,
        components["feature-batcher"].desired_replicas,
    ) == (1, 3)
    assert len(snapshot.components) == len(generate.demo_workloads())


def test_only_running_pods_are_listed(k8s_stand_in):
    load_demo(k8s_stand_in)
    source(k8s_stand_in).read()
    [pods] = [q for path, q in k8s_stand_in.requests if path == "/api/v1/pods"]
    assert pods["fieldSelector"] == ["status.phase=Running"]


def test_it_pages_through_1200_nodes_500_at_a_time(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(1200))
    reader = source(k8s_stand_in)
    snapshot = reader.read()
    assert len(snapshot.nodes) == 1200
    assert len({n.name for n in snapshot.nodes}) == 1200
    assert sum(n.gpu_allocatable for n in snapshot.nodes) == 9600
    pages = node_requests(k8s_stand_in)
    assert [q["limit"] for q in pages] == [["500"]] * 3
    assert "continue" not in pages[0]
    assert all("continue" in q for q in pages[1:])
    assert reader.resource_version == str(k8s_stand_in.resource_version)


def test_an_expired_continue_token_restarts_the_list(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(12))
    k8s_stand_in.expire_next_continue()
    snapshot = source(k8s_stand_in, page_size=5).read()
    assert len(snapshot.nodes) == 12
    pages = node_requests(k8s_stand_in)
    # first, second (410), then again from scratch: first, second, third
    assert ["continue" in q for q in pages] == [False, True, False, True, True]


def test_a_list_that_keeps_expiring_is_refused(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(12))
    k8s_stand_in.expire_next_continue(times=10)
    with pytest.raises(SourceError, match=r"listing nodes kept expiring \(3 attempts\)"):
        source(k8s_stand_in, page_size=5, list_restarts=2).read()


def test_a_compacted_history_expires_old_tokens_like_etcd(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(4))
    reader = source(k8s_stand_in, page_size=2)
    api = reader.api_client()
    from kubernetes import client

    first = client.CoreV1Api(api).list_node(limit=2)
    k8s_stand_in.compact()
    with pytest.raises(client.ApiException) as info:
        client.CoreV1Api(api).list_node(limit=2, _continue=first.metadata._continue)
    assert info.value.status == 410
    assert '"reason": "Expired"' in info.value.body
    assert first.metadata.remaining_item_count == 2


def test_a_slow_api_server_times_out(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    k8s_stand_in.delay = 0.5
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"timed out after 0.2s listing nodes"):
        source(k8s_stand_in, request_timeout=0.2).read()
    assert time.monotonic() - started < 0.5 + 0.3, "urllib3 must not retry a timed-out read"


def test_a_body_that_stalls_times_out(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    k8s_stand_in.body_delay = 0.5
    with pytest.raises(SourceError, match=r"timed out after 0.2s listing nodes"):
        source(k8s_stand_in, request_timeout=0.2).read()


def test_in_cluster_config_outside_a_cluster_is_a_source_error(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(SourceError, match="in-cluster config unusable"):
        KubernetesSource(in_cluster=True).read()


def test_a_server_error_is_a_source_error_with_its_message(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    k8s_stand_in.fail_next(500)
    with pytest.raises(SourceError, match="listing nodes failed: HTTP 500 Internal error occurred"):
        source(k8s_stand_in).read()


def test_a_failure_on_a_later_list_refuses_the_whole_snapshot(k8s_stand_in):
    load_demo(k8s_stand_in)
    k8s_stand_in.fail_next(503, path="/apis/apps/v1/deployments")
    with pytest.raises(SourceError, match="listing deployments failed: HTTP 503"):
        source(k8s_stand_in).read()
    paths = [path for path, _ in k8s_stand_in.requests]
    assert paths == ["/api/v1/nodes", "/api/v1/pods", "/apis/apps/v1/deployments"]


def test_a_wrong_token_is_refused(k8s_stand_in, tmp_path):
    config = k8s_stand_in.write_kubeconfig(tmp_path / "bad", token="stolen")
    with pytest.raises(SourceError, match="HTTP 401 Unauthorized"):
        KubernetesSource(str(config), request_timeout=5).read()


def test_an_unusable_kubeconfig_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match=r"kubeconfig .* unusable"):
        KubernetesSource(str(tmp_path / "missing")).read()
    with pytest.raises(SourceError, match="unusable"):
        KubernetesSource(str(tmp_path / "missing"), context="nope").api_client()


def test_an_unknown_context_is_a_source_error(k8s_stand_in):
    with pytest.raises(SourceError, match="unusable"):
        KubernetesSource(str(k8s_stand_in.kubeconfig), context="prod").read()


def test_a_node_without_a_name_refuses_the_snapshot(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(3))
    k8s_stand_in.add_raw("nodes", {"metadata": {"labels": {}}, "status": {}})
    with pytest.raises(SourceError, match=r"Node #3 has no metadata.name"):
        source(k8s_stand_in).read()


def test_a_garbage_quantity_names_the_node(k8s_stand_in):
    bad = builders.node("broken-7")
    bad["status"]["capacity"]["nvidia.com/gpu"] = "eight"
    k8s_stand_in.load("nodes", [*gpu_cluster_nodes(2), bad])
    with pytest.raises(
        SourceError, match=r"Node broken-7: capacity nvidia.com/gpu: 'eight' is not a quantity"
    ):
        source(k8s_stand_in).read()


def test_a_dropped_node_is_gone_from_the_next_read(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(3))
    reader = source(k8s_stand_in)
    assert len(reader.read().nodes) == 3
    k8s_stand_in.delete("nodes", "gpu-00001")
    assert [n.name for n in reader.read().nodes] == ["gpu-00000", "gpu-00002"]


def collect_until(predicate, timeout=5.0):
    events: list[NodeEvent] = []
    deadline = time.monotonic() + timeout

    def stop() -> bool:
        return predicate(events) or time.monotonic() > deadline

    return events, stop


def test_watch_reports_changes_and_bookmarks(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    reader = source(k8s_stand_in, watch_timeout_s=2)
    nodes, version = reader.list_nodes()
    assert len(nodes) == 2

    def change_cluster():
        time.sleep(0.1)
        k8s_stand_in.load("nodes", gpu_cluster_nodes(3))  # two MODIFIED, one ADDED
        k8s_stand_in.delete("nodes", "gpu-00000")

    events, stop = collect_until(lambda ev: any(e.type == "DELETED" for e in ev)
                                 and any(e.type == "BOOKMARK" for e in ev))  # fmt: skip
    changer = threading.Thread(target=change_cluster)
    changer.start()
    last = reader.watch_nodes(version, events.append, stop)
    changer.join()
    kinds = [(e.type, e.node.name if e.node else None) for e in events if e.type != "BOOKMARK"]
    assert kinds == [
        ("MODIFIED", "gpu-00000"),
        ("MODIFIED", "gpu-00001"),
        ("ADDED", "gpu-00002"),
        ("DELETED", "gpu-00000"),
    ]
    assert any(e.type == "BOOKMARK" for e in events)
    assert int(last) >= int(events[-1].resource_version)
    [watch] = [q for p, q in k8s_stand_in.requests if p == "/api/v1/nodes" and "watch" in q][:1]
    assert watch["allowWatchBookmarks"] == ["true"]
    assert watch["resourceVersion"] == [version]


def test_watch_lists_again_when_its_version_is_too_old(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    reader = source(k8s_stand_in, watch_timeout_s=2)
    _, version = reader.list_nodes()
    k8s_stand_in.load("nodes", gpu_cluster_nodes(3))
    k8s_stand_in.compact()
    events, stop = collect_until(lambda ev: any(e.type == "RELISTED" for e in ev))
    reader.watch_nodes(version, events.append, stop)
    [relisted] = [e for e in events if e.type == "RELISTED"]
    assert [n.name for n in relisted.nodes] == ["gpu-00000", "gpu-00001", "gpu-00002"]
    assert relisted.resource_version == str(k8s_stand_in.resource_version)


def test_watch_gives_up_when_it_keeps_falling_behind(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(1))
    reader = source(k8s_stand_in, watch_timeout_s=2)
    _, version = reader.list_nodes()
    k8s_stand_in.load("nodes", gpu_cluster_nodes(2))
    k8s_stand_in.compact()
    k8s_stand_in.compact_after_every_list()
    with pytest.raises(SourceError, match="fell behind repeatedly"):
        reader.watch_nodes(version, lambda event: None, lambda: False, max_relists=2)


def test_the_stand_in_speaks_namespaces_selectors_and_errors_like_the_api(k8s_stand_in):
    from kubernetes import client

    load_demo(k8s_stand_in)
    api = source(k8s_stand_in).api_client()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    pods = core.list_namespaced_pod("team-llm", field_selector="status.phase=Running")
    assert sorted(p.metadata.name for p in pods.items) == ["llama-finetune-0", "llama-finetune-1"]
    on_dgx = core.list_pod_for_all_namespaces(field_selector="spec.nodeName=dgx-a100-01")
    assert len(on_dgx.items) == 3
    grafana = apps.list_deployment_for_all_namespaces(
        label_selector="app.kubernetes.io/name=grafana"
    )
    assert [d.metadata.namespace for d in grafana.items] == ["monitoring"]
    assert [d.metadata.name for d in apps.list_namespaced_daemon_set("gpu-operator").items] == [
        "gpu-feature-discovery", "nvidia-dcgm-exporter", "nvidia-device-plugin-daemonset",
    ]  # fmt: skip
    assert core.read_node("h100-mig-01").status.capacity["nvidia.com/mig-1g.10gb"] == "2"
    with pytest.raises(client.ApiException) as missing:
        core.read_node("nope")
    assert missing.value.status == 404


def test_the_stand_in_pages_one_consistent_snapshot(k8s_stand_in):
    from kubernetes import client

    k8s_stand_in.load("nodes", gpu_cluster_nodes(4))
    core = client.CoreV1Api(source(k8s_stand_in).api_client())
    first = core.list_node(limit=2)
    k8s_stand_in.delete("nodes", "gpu-00003")
    k8s_stand_in.load("nodes", [builders.node("gpu-00002a")])
    rest = core.list_node(limit=2, _continue=first.metadata._continue)
    assert [n.metadata.name for n in first.items + rest.items] == [
        "gpu-00000", "gpu-00001", "gpu-00002", "gpu-00003",
    ]  # fmt: skip
    assert rest.metadata.resource_version == first.metadata.resource_version
    assert rest.metadata._continue is None
    fresh = core.list_node()
    assert [n.metadata.name for n in fresh.items][-2:] == ["gpu-00002", "gpu-00002a"]
