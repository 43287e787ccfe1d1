"""Fixtures for inventory tests.

``k8s_stand_in``: a running Kubernetes API stand-in (real HTTP) with ``.kubeconfig``
written; see tests/stand_ins/kubernetes.py. ``kube_apiserver`` / ``kube``: a real
kube-apiserver and etcd (tests/inventory/kube_apiserver.py).
"""

import pytest

from tests.conftest import need
from tests.stand_ins.kubernetes import k8s_stand_in  # noqa: F401 - registers the fixture

from .kube_apiserver import Cluster, KubeApiServer, binaries


@pytest.fixture(scope="session")
def kube_apiserver(tmp_path_factory):
    """A real kube-apiserver with etcd for the whole session (see kube_apiserver.py).

    Skipped where it is not built (``make kube-apiserver``), a failure in CI.
    """
    bin_dir = binaries()
    need(bin_dir is not None, "needs a built kube-apiserver: run `make kube-apiserver`")
    server = KubeApiServer(bin_dir, tmp_path_factory.mktemp("kube-apiserver")).start()
    yield server
    server.stop()


@pytest.fixture
def kube(kube_apiserver, tmp_path):
    """The real API server's cluster, emptied of nodes before each test, with
    ``.kubeconfig`` (the admin's) written."""
    cluster = Cluster(kube_apiserver)
    cluster.delete_all_nodes()
    cluster.delete_all_pods()
    cluster.server = kube_apiserver
    cluster.kubeconfig = kube_apiserver.write_kubeconfig(tmp_path / "kubeconfig")
    yield cluster
    cluster.close()
