"""The stand-in refuses what the real kube-apiserver refuses (checked against both where
the real one runs), and the source copes with the answers only a loaded or locked-down
server gives: 429 with Retry-After, 403 from RBAC."""

from __future__ import annotations

import pytest
from kubernetes import client

from inventory.sources.facts import SourceError
from inventory.sources.kubernetes import KubernetesSource
from tests.stand_ins.kubernetes import gpu_cluster_nodes


def reader(api, **kwargs) -> KubernetesSource:
    kwargs.setdefault("request_timeout", 10)
    return KubernetesSource(str(api.kubeconfig), **kwargs)


def _unsupported_selector_status(kubeconfig: str) -> int:
    core = client.CoreV1Api(KubernetesSource(kubeconfig).api_client())
    with pytest.raises(client.ApiException) as refused:
        core.list_node(field_selector="status.phase=Running")
    return refused.value.status


def test_an_unsupported_field_selector_is_400_on_both(k8s_stand_in, kube):
    assert _unsupported_selector_status(str(kube.kubeconfig)) == 400
    assert _unsupported_selector_status(str(k8s_stand_in.kubeconfig)) == 400


def test_a_supported_one_is_served_by_both(k8s_stand_in, kube):
    for api in (k8s_stand_in, kube):
        core = client.CoreV1Api(KubernetesSource(str(api.kubeconfig)).api_client())
        assert core.list_pod_for_all_namespaces(field_selector="spec.nodeName=x").items == []


def test_429_is_waited_out_as_retry_after_says(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(3))
    k8s_stand_in.throttle_next(times=2, retry_after=0.2)
    snapshot = reader(k8s_stand_in).read()
    assert len(snapshot.nodes) == 3
    node_lists = [q for path, q in k8s_stand_in.requests if path == "/api/v1/nodes"]
    assert len(node_lists) == 3  # two turned away, the third served


def test_429_that_does_not_stop_fails_the_read(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(1))
    k8s_stand_in.throttle_next(times=20, retry_after=0.1)
    with pytest.raises(SourceError, match="HTTP 429"):
        reader(k8s_stand_in, list_restarts=2).read()


def test_403_on_nodes_fails_the_read_and_names_rbac(k8s_stand_in):
    k8s_stand_in.load("nodes", gpu_cluster_nodes(1))
    k8s_stand_in.forbid("nodes")
    with pytest.raises(SourceError, match="HTTP 403 nodes is forbidden"):
        reader(k8s_stand_in).read()
