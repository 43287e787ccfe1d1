"""Fixtures for inventory tests.

``k8s_stand_in``: a running Kubernetes API stand-in (real HTTP) with ``.kubeconfig``
written; see tests/stand_ins/kubernetes.py. ``kube_apiserver`` / ``kube``: a real
kube-apiserver and etcd (tests/inventory/kube_apiserver.py).
"""

import pytest
from django.core.cache import cache

from tests.conftest import need
from tests.stand_ins.kubernetes import k8s_stand_in  # noqa: F401 - registers the fixture

from .kube_apiserver import Cluster, KubeApiServer, binaries


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Figures and finding counts are cached per sync run; ids repeat across tests
    on SQLite, so every test starts with an empty cache, and a new run is seen at
    once (in production a value lives at least INVENTORY_FIGURES_MIN_SECONDS)."""
    settings.INVENTORY_FIGURES_MIN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture(scope="session")
def kube_apiserver_uncached(tmp_path_factory):
    """A second real kube-apiserver that serves every read from etcd (``--watch-cache=
    false``). The default one answers lists and watches from its watch cache, whose
    window and snapshots outlive an etcd compaction for a while; this one shows what
    etcd says at once: 410 Gone for a continue token or a watch older than a compaction."""
    bin_dir = binaries()
    need(bin_dir is not None, "needs a built kube-apiserver: run `make kube-apiserver`")
    server = KubeApiServer(
        bin_dir, tmp_path_factory.mktemp("kube-apiserver-uncached"), ("--watch-cache=false",)
    ).start()
    yield server
    server.stop()


def _cluster(server, tmp_path):
    cluster = Cluster(server)
    cluster.delete_all_nodes()
    cluster.delete_all_pods()
    cluster.server = server
    cluster.kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    return cluster


@pytest.fixture
def kube_uncached(kube_apiserver_uncached, tmp_path):
    cluster = _cluster(kube_apiserver_uncached, tmp_path)
    yield cluster
    cluster.close()


@pytest.fixture
def kube(kube_apiserver, tmp_path):
    """The real API server's cluster, emptied of nodes before each test, with
    ``.kubeconfig`` (the admin's) written."""
    cluster = _cluster(kube_apiserver, tmp_path)
    yield cluster
    cluster.close()
