"""KubernetesSource against a real kube-apiserver (with etcd), built from the
k8s.io/kubernetes module: objects written through the API as controllers write them,
paging, 410 Gone after a compaction, watches with bookmarks, and the project's own RBAC
manifest applied for real."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client, utils

from inventory.demo import k8s as builders
from inventory.sources.facts import SourceError
from inventory.sources.kubernetes import KubernetesSource, NodeEvent
from tests.stand_ins.kubernetes import gpu_cluster_nodes

from .kube_apiserver import Cluster

RBAC = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes" / "rbac.yaml"
NAMESPACE = "mlops-portal"  # kustomization.yaml's namespace for the ServiceAccount


def reader(kube, **kwargs) -> KubernetesSource:
    kwargs.setdefault("request_timeout", 10)
    return KubernetesSource(str(kube.kubeconfig), **kwargs)


def test_nodes_and_pods_written_through_the_api_are_read_back(kube):
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    kube.put_node(builders.node("cpu-01", roles=("worker",)))
    namespace = f"team-{uuid.uuid4().hex[:6]}"
    kube.put_pod(builders.pod(namespace, "train-0", "gpu-00001", gpus=4))
    kube.put_pod(builders.pod(namespace, "train-1", "gpu-00001", gpus=2))
    kube.put_pod(builders.pod(namespace, "queued", "gpu-00000", gpus=8, phase="Pending"))

    snapshot = reader(kube).read()

    nodes = {n.name: n for n in snapshot.nodes}
    assert sorted(nodes) == ["cpu-01", "gpu-00000", "gpu-00001"]
    busy = nodes["gpu-00001"]
    assert (busy.gpu_capacity, busy.gpu_allocatable, busy.gpu_requested) == (8, 8, 6)
    assert busy.ready is True
    assert busy.gpu_product == "NVIDIA-A100-SXM4-80GB"
    assert nodes["gpu-00000"].gpu_requested == 0  # a Pending pod holds nothing
    assert nodes["cpu-01"].roles == ("worker",)


def test_a_status_patch_is_what_the_next_read_sees(kube):
    [node] = gpu_cluster_nodes(1)
    kube.put_node(node)
    kube.core.patch_node_status(
        "gpu-00000",
        {
            "status": {
                "allocatable": {"nvidia.com/gpu": "6"},
                "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
            }
        },
    )
    [facts] = reader(kube).read().nodes
    assert (facts.gpu_capacity, facts.gpu_allocatable, facts.ready) == (8, 6, False)


def test_lists_are_paged_with_limit_and_continue(kube):
    for node in gpu_cluster_nodes(7):
        kube.put_node(node)
    first = kube.core.list_node(limit=3)
    assert len(first.items) == 3
    assert first.metadata._continue
    assert first.metadata.remaining_item_count == 4

    pages: list[int] = []
    source = reader(kube, page_size=3)
    original = client.CoreV1Api.list_node

    def counting(self, **kwargs):
        pages.append(kwargs.get("limit"))
        return original(self, **kwargs)

    client.CoreV1Api.list_node = counting
    try:
        snapshot = source.read()
    finally:
        client.CoreV1Api.list_node = original
    assert [n.name for n in snapshot.nodes] == [f"gpu-{i:05d}" for i in range(7)]
    assert pages == [3, 3, 3]


def test_a_continue_token_older_than_a_compaction_is_410_and_the_list_restarts(kube_uncached):
    kube = kube_uncached
    for node in gpu_cluster_nodes(4):
        kube.put_node(node)
    first = kube.core.list_node(limit=2)
    kube.put_node(builders.node("late-01"))  # history moves on, then is compacted
    kube.server.compact()
    with pytest.raises(client.ApiException) as gone:
        kube.core.list_node(limit=2, _continue=first.metadata._continue)
    assert gone.value.status == 410
    assert '"reason":"Expired"' in gone.value.body.replace(" ", "")

    # The source restarts the list from scratch and returns one consistent picture.
    source = reader(kube, page_size=2)
    core = client.CoreV1Api(source.api_client())
    calls = []

    def list_node(**kwargs):
        calls.append(kwargs.get("_continue", ""))
        if len(calls) == 2:  # between the first and second page
            kube.put_node(builders.node("later-02"))
            kube.server.compact()
        return core.list_node(**kwargs)

    items, _version = source.list_objects(list_node, "nodes")
    assert sorted(i["metadata"]["name"] for i in items) == [
        "gpu-00000", "gpu-00001", "gpu-00002", "gpu-00003", "late-01", "later-02",
    ]  # fmt: skip
    assert calls.count("") == 2  # started once more after the 410


def collect(until, timeout=30.0):
    events: list[NodeEvent] = []
    deadline = time.monotonic() + timeout

    def stop() -> bool:
        return until(events) or time.monotonic() > deadline

    return events, stop


def test_watch_follows_changes_with_bookmarks_and_resumes(kube):
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    source = reader(kube, watch_timeout_s=3)
    nodes, version = source.list_nodes()
    assert len(nodes) == 2

    def change():
        time.sleep(0.5)
        relabelled = gpu_cluster_nodes(1)[0]
        relabelled["metadata"]["labels"]["team"] = "llm"
        kube.put_node(relabelled)
        kube.delete_node("gpu-00001")

    events, stop = collect(
        lambda ev: any(e.type == "DELETED" for e in ev) and any(e.type == "BOOKMARK" for e in ev)
    )
    changer = threading.Thread(target=change)
    changer.start()
    last = source.watch_nodes(version, events.append, stop)
    changer.join()
    seen = [(e.type, e.node.name) for e in events if e.node]
    assert ("MODIFIED", "gpu-00000") in seen
    assert seen[-1] == ("DELETED", "gpu-00001")
    modified = next(e.node for e in events if e.type == "MODIFIED")
    assert modified.labels["team"] == "llm"
    # The server sends a bookmark before a watch request times out: the version moves
    # on while nothing changes.
    assert any(e.type == "BOOKMARK" for e in events)

    # A change made while nobody watched is delivered when the watch resumes from the
    # last version seen.
    kube.put_node(builders.node("while-away"))
    events, stop = collect(lambda ev: any(e.node for e in ev))
    source.watch_nodes(last, events.append, stop)
    assert [(e.type, e.node.name) for e in events if e.node] == [("ADDED", "while-away")]


def test_watch_from_a_compacted_version_lists_again(kube_uncached):
    kube = kube_uncached
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    source = reader(kube, watch_timeout_s=3)
    _, version = source.list_nodes()
    for i in range(3):  # history past the version the watch will ask for
        kube.put_node(builders.node(f"churn-{i:02d}"))
        kube.delete_node(f"churn-{i:02d}")
    kube.server.compact()
    events, stop = collect(lambda ev: any(e.type == "RELISTED" for e in ev))
    source.watch_nodes(version, events.append, stop)
    [relisted] = [e for e in events if e.type == "RELISTED"]
    assert sorted(n.name for n in relisted.nodes) == ["gpu-00000", "gpu-00001"]
    assert int(relisted.resource_version) > int(version)


def _apply_rbac(kube) -> None:
    kube.namespace(NAMESPACE)
    documents = [d for d in yaml.safe_load_all(RBAC.read_text()) if d]
    for doc in documents:
        try:
            utils.create_from_dict(kube.api, doc, namespace=NAMESPACE)
        except utils.FailToCreateError as exc:
            if any(e.status != 409 for e in exc.api_exceptions):
                raise


def _service_account_token(kube) -> str:
    [account] = [
        d["metadata"]["name"]
        for d in yaml.safe_load_all(RBAC.read_text())
        if d and d["kind"] == "ServiceAccount"
    ]
    request = kube.core.create_namespaced_service_account_token(
        account, NAMESPACE, {"spec": {"expirationSeconds": 3600}}
    )
    return request.status.token


def test_the_portals_rbac_reads_what_the_inventory_needs_and_no_secrets(kube, tmp_path):
    _apply_rbac(kube)
    for node in gpu_cluster_nodes(2):
        kube.put_node(node)
    token = _service_account_token(kube)
    kubeconfig = kube.server.write_kubeconfig(tmp_path / "sa-kubeconfig", token=token)

    source = KubernetesSource(str(kubeconfig), request_timeout=10, watch_timeout_s=2)
    snapshot = source.read()  # nodes, pods, workloads, ingresses, storage, certificates
    assert len(snapshot.nodes) == 2
    assert snapshot.warnings == []  # no 403 on anything the inventory reads
    _, version = source.list_nodes()
    events, stop = collect(lambda ev: bool(ev), timeout=5)
    source.watch_nodes(version, events.append, stop)  # watch is allowed: no SourceError

    core = client.CoreV1Api(source.api_client())
    with pytest.raises(client.ApiException) as secrets:
        core.list_secret_for_all_namespaces()
    assert secrets.value.status == 403
    with pytest.raises(client.ApiException) as one_secret:
        core.read_namespaced_secret("anything", NAMESPACE)
    assert one_secret.value.status == 403
    with pytest.raises(client.ApiException) as write:
        core.patch_node("gpu-00000", {"metadata": {"labels": {"x": "y"}}})
    assert write.value.status == 403


def test_a_forbidden_list_is_a_source_error_naming_the_status(kube, tmp_path):
    kube.namespace(NAMESPACE)
    kube.core.create_namespaced_service_account(NAMESPACE, {"metadata": {"name": "nobody"}})
    token = kube.core.create_namespaced_service_account_token(
        "nobody", NAMESPACE, {"spec": {"expirationSeconds": 3600}}
    ).status.token
    kubeconfig = kube.server.write_kubeconfig(tmp_path / "nobody", token=token)
    with pytest.raises(SourceError, match="listing nodes failed: HTTP 403"):
        KubernetesSource(str(kubeconfig), request_timeout=10).read()


CERTIFICATE_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "certificates.cert-manager.io"},
    "spec": {
        "group": "cert-manager.io",
        "names": {"kind": "Certificate", "plural": "certificates", "singular": "certificate"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def _sample(name: str) -> dict:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "cert-manager" / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _install_cert_manager_crd(kube) -> None:
    extensions = client.ApiextensionsV1Api(kube.api)
    try:
        extensions.create_custom_resource_definition(CERTIFICATE_CRD)
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    custom = client.CustomObjectsApi(kube.api)
    for _ in range(100):  # established: served a moment after it is created
        try:
            custom.list_cluster_custom_object("cert-manager.io", "v1", "certificates")
            return
        except client.ApiException:
            time.sleep(0.1)
    raise AssertionError("the Certificate CRD was never served")


def test_certificates_ingresses_storage_and_databases_are_read(kube):
    _install_cert_manager_crd(kube)
    custom = client.CustomObjectsApi(kube.api)
    certificate = _sample("verrazzano-docs__my-root-ca.certificate.yaml")
    kube.namespace("cert-manager")
    metadata = certificate["metadata"]
    body = {**certificate, "metadata": {"name": metadata["name"], "namespace": "cert-manager"}}
    body.pop("status")
    try:
        custom.create_namespaced_custom_object(
            "cert-manager.io", "v1", "cert-manager", "certificates", body
        )
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    custom.patch_namespaced_custom_object_status(
        "cert-manager.io", "v1", "cert-manager", "certificates", "my-root-ca",
        {"status": certificate["status"]},
    )  # fmt: skip
    web = f"web-{uuid.uuid4().hex[:6]}"
    kube.namespace(web)
    ingress = _sample("cert-manager-website__ingress-tls-final.yaml")
    client.NetworkingV1Api(kube.api).create_namespaced_ingress(web, ingress)
    client.StorageV1Api(kube.api).create_storage_class(
        {
            "metadata": {
                "name": f"cephfs-{web}",
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "cephfs.csi.ceph.com",
        }
    )
    kube.core.create_namespaced_persistent_volume_claim(
        web,
        {
            "metadata": {"name": "datasets"},
            "spec": {
                "storageClassName": f"cephfs-{web}",
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "500Gi"}},
            },
        },
    )
    postgres = builders.workload(
        "StatefulSet", web, "db", images=("docker.io/bitnami/postgresql:16.4.0",),
        labels={"app.kubernetes.io/name": "postgresql", "app.kubernetes.io/version": "16.4.0"},
    )  # fmt: skip
    apps = client.AppsV1Api(kube.api)
    apps.create_namespaced_stateful_set(web, Cluster._body(postgres))

    snapshot = reader(kube).read()

    assert {"certificates", "volumes"} <= snapshot.covers
    by_key = {c.key: c for c in snapshot.certificates}
    root = by_key[("cert-manager", "Certificate", "my-root-ca")]
    assert root.not_after == "2024-04-07T16:53:47Z" and root.ready is True
    tls = by_key[(web, "Ingress", "kuard/quickstart-example-tls")]
    assert tls.hosts == ("example.example.com",)
    volumes = {v.key: v for v in snapshot.volumes}
    claim = volumes[(web, "PersistentVolumeClaim", "datasets")]
    assert (claim.size_bytes, claim.phase) == (500 * 2**30, "Pending")
    assert volumes[("", "StorageClass", f"cephfs-{web}")].phase == "default"
    [db] = [c for c in snapshot.components if c.namespace == web]
    assert (db.kind, db.name, db.category) == ("StatefulSet", "PostgreSQL", "auxiliary")
