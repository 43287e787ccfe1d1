"""Follow a cluster's nodes and pods through the Kubernetes watch API, within seconds.

One :class:`ClusterWatcher` per Kubernetes source. It lists nodes and Running pods
once (the list's resourceVersion is where the watches start), then follows both with
the official client's watch (bookmarks on, resumed from the last version seen at every
reconnect, listed again on 410 Gone). It keeps the cluster's current nodes and the GPUs
each node's Running pods hold in memory, and hands the reconciler only what changed:

- a node added or modified (a label, allocatable, Ready), or a node whose pods' GPU
  total moved: a partial snapshot of those nodes (``covers`` empty: nothing is marked
  gone by it);
- a node deleted, or a re-list after 410: every node it knows, covering nodes, so
  the reconciler marks the vanished ones gone. A re-list that comes back empty while
  nodes are known is refused there, as for any list.

Each batch goes through the same ``_apply`` as a periodic sync (the cluster's row
lock, the reconciler, InventoryChange rows, a SyncRun with scope "watch"). A batch
that changed nothing (a kubelet heartbeat) leaves no SyncRun. Workloads, storage and
certificates stay with the periodic list, which also remains the safety net for
anything a watch missed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db import connection
from kubernetes import client

from inventory.choices import SourceKind
from inventory.models import InventorySource, SyncRun
from inventory.services import watch_batch_apply
from inventory.services.sync import kubernetes_reader
from inventory.sources.facts import NodeFacts, Snapshot, SourceError
from inventory.sources.k8s_objects import node_facts, pod_gpu_request
from inventory.sources.kubernetes import KubernetesSource

log = logging.getLogger(__name__)

WATCH_SCOPE = "watch"
RUNNING_PODS = "status.phase=Running"


@dataclass
class _Pods:
    """The GPUs held by Running pods: per pod, and summed per node."""

    pods: dict[str, tuple[str, int]] = field(default_factory=dict)  # ns/name -> (node, GPUs)
    requested: dict[str, int] = field(default_factory=dict)  # node -> GPUs held

    def set(self, key: str, node: str, gpus: int) -> set[str]:
        """Record a pod's GPUs (0: it holds none, or is gone); the nodes whose total moved."""
        old = self.pods.pop(key, ("", 0))
        if gpus:
            self.pods[key] = (node, gpus)
        if old == ((node, gpus) if gpus else ("", 0)):
            return set()
        if old[1]:
            self.requested[old[0]] = self.requested.get(old[0], 0) - old[1]
        if gpus:
            self.requested[node] = self.requested.get(node, 0) + gpus
        return {n for n in (old[0], node if gpus else "") if n}


def _pod_key(raw: dict) -> str:
    metadata = raw.get("metadata") or {}
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


class ClusterWatcher:
    """Watches one Kubernetes source until :meth:`stop`; :meth:`run` blocks."""

    def __init__(
        self,
        source: InventorySource,
        *,
        reader: KubernetesSource | None = None,
        batch_wait: float = 0.2,
        watch_timeout_s: int = 30,
    ) -> None:
        if source.kind != SourceKind.KUBERNETES:
            raise ValueError(f"{source} is not a Kubernetes source")
        self.source = source
        self.reader = reader or kubernetes_reader(source.config, watch_timeout_s=watch_timeout_s)
        self.batch_wait = batch_wait
        self.nodes: dict[str, NodeFacts] = {}
        self.pods = _Pods()
        self._stopped = threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._errors: list[BaseException] = []
        self.runs: list[SyncRun] = []  # what this watcher applied (for tests and logs)
        self.ready = threading.Event()  # listed, applied, and both watches started
        self.on_applied: Callable[[SyncRun], None] | None = None

    def stop(self) -> None:
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def wait_stopped(self, timeout: float) -> bool:
        return self._stopped.wait(timeout)

    # -- lists --------------------------------------------------------------------

    def _list_nodes(self) -> tuple[dict[str, NodeFacts], str]:
        core = client.CoreV1Api(self.reader.api_client())
        objects, version = self.reader.list_objects(core.list_node, "nodes")
        nodes = {}
        for position, obj in enumerate(objects):
            facts = node_facts(obj, position)
            nodes[facts.name] = facts
        return nodes, version

    def _list_pods(self) -> tuple[_Pods, str]:
        core = client.CoreV1Api(self.reader.api_client())

        def add(total: _Pods, pods: list[dict]) -> None:
            for position, pod in enumerate(pods):
                node, gpus = pod_gpu_request(pod, position)
                total.set(_pod_key(pod), node, gpus)

        return self.reader.fold_list(
            core.list_pod_for_all_namespaces, "pods", _Pods, add, field_selector=RUNNING_PODS
        )

    def _relist(self, what: str) -> str:
        # Runs in that watch's thread: the fresh state travels through the queue, so
        # only the applying thread ever touches self.nodes and self.pods.
        fresh, version = self._list_nodes() if what == "nodes" else self._list_pods()
        self._events.put((what, "RELISTED", fresh))
        return version

    # -- watches (each in its own thread, feeding one queue) ----------------------

    def _follow(self, what: str, func, version: str, relist, **params) -> None:
        def on_event(kind: str, rv: str, raw: dict) -> None:
            if kind != "BOOKMARK":
                self._events.put((what, kind, raw))

        try:
            self.reader.watch_objects(
                func, what, version, on_event, self._stopped.is_set, relist, **params
            )
        except BaseException as exc:  # handed to run(), which raises it
            self._errors.append(exc)
            self._stopped.set()

    # -- applying -----------------------------------------------------------------

    def _apply(self, names: set[str], full: bool) -> SyncRun | None:
        chosen = sorted(self.nodes) if full else sorted(n for n in names if n in self.nodes)
        nodes = [self._node(name) for name in chosen]
        if not nodes and not full:
            return None
        snapshot = Snapshot(
            source="kubernetes",
            nodes=nodes,
            covers=frozenset({"nodes"}) if full else frozenset(),
        )
        run = watch_batch_apply(source=self.source, snapshot=snapshot)
        if run is not None:
            self.runs.append(run)
            if self.on_applied:
                self.on_applied(run)
        return run

    def _node(self, name: str) -> NodeFacts:
        facts = self.nodes[name]
        held = self.pods.requested.get(name, 0)
        return replace(facts, gpu_requested=held) if facts.gpu_requested != held else facts

    def _take(self, item, dirty: set[str]) -> bool:
        """One event into the state; True when the batch must cover every node."""
        what, kind, raw = item
        if kind == "RELISTED":
            if what == "nodes":
                self.nodes = raw
            else:
                self.pods = raw
            return True
        if what == "nodes":
            facts = node_facts(raw)
            if kind == "DELETED":
                self.nodes.pop(facts.name, None)
                return True
            self.nodes[facts.name] = facts
            dirty.add(facts.name)
            return False
        node, gpus = pod_gpu_request(raw) if kind != "DELETED" else ("", 0)
        dirty.update(self.pods.set(_pod_key(raw), node, gpus))
        return False

    def run(self) -> None:
        """List, then watch and apply until stopped; SourceError when a watch fails."""
        self.nodes, node_version = self._list_nodes()
        self.pods, pod_version = self._list_pods()
        self._apply(set(), full=True)
        core = client.CoreV1Api(self.reader.api_client())
        threads = [
            threading.Thread(
                target=self._follow,
                args=("nodes", core.list_node, node_version, lambda: self._relist("nodes")),
                name=f"watch-nodes-{self.source.pk}",
                daemon=True,
            ),
            threading.Thread(
                target=self._follow,
                args=(
                    "pods",
                    core.list_pod_for_all_namespaces,
                    pod_version,
                    lambda: self._relist("pods"),
                ),
                kwargs={"field_selector": RUNNING_PODS},
                name=f"watch-pods-{self.source.pk}",
                daemon=True,
            ),
        ]
        for thread in threads:
            thread.start()
        self.ready.set()
        try:
            while not self._stopped.is_set():
                try:
                    item = self._events.get(timeout=0.5)
                except queue.Empty:
                    continue
                # A short wait gathers a burst (a rollout touching many pods) into one batch.
                deadline = time.monotonic() + self.batch_wait
                dirty: set[str] = set()
                full = self._take(item, dirty)
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        full = self._take(self._events.get(timeout=left), dirty) or full
                    except queue.Empty:
                        break
                self._apply(dirty, full)
        finally:
            self._stopped.set()
            for thread in threads:
                thread.join(self.reader.watch_timeout_s + self.reader.request_timeout)
            self.reader.close()
        if self._errors:
            error = self._errors[0]
            raise error if isinstance(error, SourceError) else SourceError(str(error))


def _keep_lock(watcher: ClusterWatcher, lock, stop: threading.Event) -> None:
    """Renew the watch lock at a third of its TTL; stop the watcher when the lock is
    lost, ``stop`` is set, or this keeper fails (no watcher runs without its lock)."""
    renew_at = time.monotonic() + lock.ttl / 3
    try:
        while not watcher.wait_stopped(0.5):
            if stop.is_set():
                break
            if time.monotonic() >= renew_at:
                if not lock.renew():
                    break
                renew_at = time.monotonic() + lock.ttl / 3
    except Exception:
        log.exception("watch lock keeper of %s failed", watcher.source)
    finally:
        watcher.stop()


def watch_cluster(
    cluster_id: int,
    stop: threading.Event,
    *,
    lock_ttl: int = 30,
    retry_s: float = 10.0,
    watch_timeout_s: int = 30,
    on_watcher: Callable[[ClusterWatcher], None] | None = None,
) -> None:
    """Keep one watcher of this cluster running until ``stop`` is set.

    Only the holder of the cluster's watch lock watches; another process started for
    the same cluster waits as a standby and takes over within ``lock_ttl`` seconds of
    the holder's death. A failed watch (API unreachable, RBAC refused) is logged and
    retried after ``retry_s``; the periodic sync goes on meanwhile.
    """
    try:
        _watch_cluster(cluster_id, stop, lock_ttl, retry_s, watch_timeout_s, on_watcher)
    finally:
        connection.close()  # this thread's own database connection


def _watch_cluster(cluster_id, stop, lock_ttl, retry_s, watch_timeout_s, on_watcher) -> None:
    from inventory.locks import WatchLock

    while not stop.is_set():
        source = (
            InventorySource.objects.filter(
                cluster_id=cluster_id, kind=SourceKind.KUBERNETES, enabled=True
            )
            .order_by("pk")
            .first()
        )
        if source is None:
            log.info("cluster %s has no enabled Kubernetes source; nothing to watch", cluster_id)
            stop.wait(retry_s)
            continue
        lock = WatchLock(cluster_id, ttl=lock_ttl)
        if not lock.acquire():
            stop.wait(lock_ttl / 3)
            continue
        watcher = ClusterWatcher(source, watch_timeout_s=watch_timeout_s)
        if on_watcher:
            on_watcher(watcher)

        keeper = threading.Thread(
            target=_keep_lock,
            args=(watcher, lock, stop),
            name=f"watch-lock-{cluster_id}",
            daemon=True,
        )
        keeper.start()
        try:
            log.info("watching cluster %s through %s", cluster_id, source)
            watcher.run()
        except SourceError as exc:
            log.warning("watch of cluster %s failed: %s; retrying in %gs", cluster_id, exc, retry_s)
            stop.wait(retry_s)
        finally:
            watcher.stop()
            keeper.join()
            lock.release()


__all__ = ["WATCH_SCOPE", "ClusterWatcher", "watch_cluster"]
