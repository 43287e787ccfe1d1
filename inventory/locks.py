"""One sync per cluster at a time, with a lock that outlives no crashed worker.

With Redis (every deployment past one machine) this is a redis-py ``Lock``: ``SET NX
PX`` with a TTL, released by a token-checked Lua script, so a worker that dies mid-sync
leaves a lock that expires by itself after ``INVENTORY_SYNC_LOCK_TTL`` seconds.
Without Redis (the embedded default: one process, Celery eager) the cache's atomic
``add`` with the same TTL does the job.

Losing Redis during a sync (restart, dropped connection) loses the lock, not data: the
release error is logged and ignored, and the reconciler additionally takes a row lock on
the cluster in the database, so two writers of one cluster never interleave.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


class ClusterBusy(Exception):
    """Another sync of this cluster holds the lock."""


def lock_ttl() -> int:
    return int(getattr(settings, "INVENTORY_SYNC_LOCK_TTL", 900))


def lock_key(cluster_id: int) -> str:
    return f"inventory:sync-lock:{cluster_id}"


@lru_cache(maxsize=4)
def redis_client(url: str):
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
    )


@contextmanager
def cluster_lock(cluster_id: int, ttl: int | None = None) -> Iterator[None]:
    ttl = ttl or lock_ttl()
    key = lock_key(cluster_id)
    if settings.REDIS_URL:
        from redis.exceptions import LockError, RedisError

        lock = redis_client(settings.REDIS_URL).lock(key, timeout=ttl, blocking=False)
        if not lock.acquire(blocking=False):
            raise ClusterBusy(f"cluster {cluster_id} is already syncing")
        try:
            yield
        finally:
            try:
                lock.release()
            except (LockError, RedisError) as exc:
                log.warning(
                    "sync lock of cluster %s not released (%s); it expires", cluster_id, exc
                )
        return
    token = uuid.uuid4().hex
    if not cache.add(key, token, ttl):
        raise ClusterBusy(f"cluster {cluster_id} is already syncing")
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


def watch_lock_key(cluster_id: int) -> str:
    return f"inventory:watch-lock:{cluster_id}"


class WatchLock:
    """One watcher per cluster, across processes and machines.

    Unlike the sync lock it is held for hours, so it has a short TTL that the holder
    renews (:meth:`renew`) well before it runs out: a watcher that dies frees its
    cluster within ``ttl`` seconds, and a standby watcher takes over. With Redis it is
    a redis-py Lock (token-checked release and extend); without, the cache's ``add``.
    """

    def __init__(self, cluster_id: int, ttl: int = 30) -> None:
        self.cluster_id = cluster_id
        self.ttl = ttl
        self.key = watch_lock_key(cluster_id)
        self._token = uuid.uuid4().hex
        self._lock = None
        if settings.REDIS_URL:
            # Not thread-local: the watcher takes it, a keeper thread renews it.
            self._lock = redis_client(settings.REDIS_URL).lock(
                self.key, timeout=ttl, blocking=False, thread_local=False
            )

    def acquire(self) -> bool:
        if self._lock is not None:
            return bool(self._lock.acquire(blocking=False))
        return cache.add(self.key, self._token, self.ttl)

    def renew(self) -> bool:
        """Push the expiry out again; False when the lock was lost (expired, taken)."""
        if self._lock is not None:
            from redis.exceptions import LockError, RedisError

            try:
                return bool(self._lock.reacquire())
            except (LockError, RedisError) as exc:
                log.warning("watch lock of cluster %s lost: %s", self.cluster_id, exc)
                return False
        if cache.get(self.key) != self._token:
            return False
        cache.set(self.key, self._token, self.ttl)
        return True

    def release(self) -> None:
        if self._lock is not None:
            from redis.exceptions import LockError, RedisError

            try:
                self._lock.release()
            except (LockError, RedisError) as exc:
                log.info("watch lock of cluster %s already gone: %s", self.cluster_id, exc)
            return
        if cache.get(self.key) == self._token:
            cache.delete(self.key)
