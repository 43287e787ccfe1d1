"""The per-cluster sync lock: exclusive, gone by itself after a crash, and a Redis
restart mid-sync loses the lock but not the sync."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings

from inventory.choices import SourceKind, SyncStatus
from inventory.locks import ClusterBusy, cluster_lock, lock_key, redis_client
from inventory.models import InventorySource, Node
from inventory.services import cluster_sync
from tests.stand_ins.kubernetes import gpu_cluster_nodes

from .builders import make_cluster


def test_the_lock_is_exclusive_per_cluster():
    with cluster_lock(101), pytest.raises(ClusterBusy), cluster_lock(101):
        pass
    with cluster_lock(101), cluster_lock(102):
        pass  # another cluster syncs at the same time


def test_a_crashed_holder_lets_go_after_the_ttl():
    crashed = cluster_lock(103, ttl=1)
    crashed.__enter__()  # the worker dies here: no __exit__, no release
    with pytest.raises(ClusterBusy), cluster_lock(103):
        pass
    time.sleep(1.2)
    with cluster_lock(103):
        pass


def _kill_clients_of_our_db(admin) -> None:
    db = admin.connection_pool.connection_kwargs.get("db", 0)
    me = admin.client_id()
    for client in admin.client_list():
        if int(client.get("db", -1)) == db and int(client["id"]) != me:
            admin.client_kill_filter(_id=client["id"])


@pytest.mark.redis
@pytest.mark.django_db
def test_a_redis_restart_mid_sync_loses_the_lock_not_the_data(k8s_stand_in):
    import redis

    cluster = make_cluster()
    InventorySource.objects.create(
        cluster=cluster,
        name="api",
        kind=SourceKind.KUBERNETES,
        config={"kubeconfig": str(k8s_stand_in.kubeconfig), "page_size": 1},
    )
    k8s_stand_in.load("nodes", gpu_cluster_nodes(4))
    k8s_stand_in.delay = 0.05  # long enough for the restart to land mid-read
    admin = redis.Redis.from_url(settings.REDIS_URL)
    redis_client(settings.REDIS_URL).ping()  # the lock's connection exists before

    def restart():
        time.sleep(0.15)
        # What a restart without persistence does: the key is gone, connections drop.
        admin.delete(lock_key(cluster.pk))
        _kill_clients_of_our_db(admin)

    thread = threading.Thread(target=restart)
    thread.start()
    [run] = cluster_sync(cluster_id=cluster.pk)
    thread.join()
    assert run.status == SyncStatus.SUCCEEDED, run.error
    assert Node.objects.filter(cluster=cluster, gone_at__isnull=True).count() == 4
    # The lock works again on the reconnected client.
    with cluster_lock(cluster.pk):
        pass


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_down_at_lock_time_is_a_transient_error_the_task_retries(monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from inventory.tasks import TRANSIENT

    cluster = make_cluster()
    monkeypatch.setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(RedisConnectionError) as excinfo:
        cluster_sync(cluster_id=cluster.pk)
    assert isinstance(excinfo.value, TRANSIENT)
