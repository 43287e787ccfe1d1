"""Read a cluster's nodes and workloads through the Kubernetes API.

Every list is paged (``limit``/``continue``) so that a 5,000-node cluster is read in
bounded memory and the API server is not asked for one huge response. When a
continue token expires mid-list (HTTP 410 "Expired") the list restarts from scratch,
a bounded number of times: a list stitched from two different resource versions
would not be one consistent picture. Responses are taken as raw JSON and converted
by :mod:`k8s_objects`, the same converters the file source uses.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from .facts import NodeFacts, Snapshot, SourceError
from .k8s_objects import (
    add_gpu_requests,
    certificate_facts,
    ingress_tls_facts,
    node_facts,
    nodes_with_requests,
    storage_class_facts,
    volume_claim_facts,
    workload_facts,
)

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 500
DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_LIST_RESTARTS = 3
GONE = 410
TOO_MANY_REQUESTS = 429
MAX_RETRY_AFTER_S = 10.0
T = TypeVar("T")


@dataclass
class NodeEvent:
    """A change seen while watching nodes.

    ``type`` is ADDED, MODIFIED or DELETED (``node`` set), BOOKMARK (only the resource
    version moves) or RELISTED (``nodes`` holds the complete list after the watch fell
    too far behind and the nodes were listed again).
    """

    type: str
    resource_version: str
    node: NodeFacts | None = None
    nodes: list[NodeFacts] = field(default_factory=list)


def _http_error(exc: ApiException) -> str:
    """The API server's Status message when it sent one, else the HTTP reason."""
    try:
        status = json.loads(exc.body or "")
        message = status.get("message") if isinstance(status, Mapping) else None
    except (TypeError, ValueError):
        message = None
    return f"HTTP {exc.status} {message or exc.reason or ''}".strip()


def _retry_after(exc: ApiException) -> float:
    """Seconds the server asked to wait (Retry-After), within (0, MAX_RETRY_AFTER_S]."""
    try:
        seconds = float((exc.headers or {}).get("Retry-After", 1))
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.1), MAX_RETRY_AFTER_S)


class KubernetesSource:
    """Lists nodes, running pods and workloads of one cluster into a Snapshot.

    Configure with a kubeconfig path (and optional context) or ``in_cluster=True``
    (the service account of the pod this runs in). ``api_client`` may be given
    directly instead. Each request is bounded by ``request_timeout`` seconds.
    """

    def __init__(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        in_cluster: bool = False,
        api_client: client.ApiClient | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT_S,
        list_restarts: int = DEFAULT_LIST_RESTARTS,
        watch_timeout_s: int = 300,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.kubeconfig = kubeconfig
        self.context = context
        self.in_cluster = in_cluster
        self.page_size = page_size
        self.request_timeout = request_timeout
        self.list_restarts = list_restarts
        self.watch_timeout_s = watch_timeout_s
        self._api_client = api_client
        self.resource_version = ""  # of the last node list, where a watch can start

    # -- connection -------------------------------------------------------------

    def api_client(self) -> client.ApiClient:
        """The ApiClient, built on first use; SourceError when the config is unusable."""
        if self._api_client is not None:
            return self._api_client
        configuration = client.Configuration()
        # Retrying is this source's job (bounded list restarts); urllib3's own retries
        # would multiply every timeout by four.
        configuration.retries = False
        try:
            if self.in_cluster:
                config.load_incluster_config(client_configuration=configuration)
                self._api_client = client.ApiClient(configuration)
            else:
                self._api_client = config.new_client_from_config(
                    config_file=self.kubeconfig,
                    context=self.context,
                    persist_config=False,
                    client_configuration=configuration,
                )
        except (ConfigException, OSError, ValueError, TypeError) as exc:
            where = "in-cluster config" if self.in_cluster else f"kubeconfig {self.kubeconfig}"
            raise SourceError(f"Kubernetes {where} unusable: {exc}") from exc
        return self._api_client

    @property
    def api_name(self) -> str:
        """ "Kubernetes API at <server>" for error messages: which cluster failed matters."""
        host = self._api_client.configuration.host if self._api_client else ""
        return f"Kubernetes API at {host}" if host else "Kubernetes API"

    def close(self) -> None:
        """Release the client's connection pool."""
        if self._api_client is not None:
            self._api_client.close()
            self._api_client = None

    # -- listing ----------------------------------------------------------------

    def _transport_error(self, exc: Exception, what: str) -> SourceError:
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            return SourceError(
                f"{self.api_name} timed out after {self.request_timeout:g}s listing {what}"
            )
        return SourceError(f"{self.api_name} unreachable listing {what}: {exc}")

    def _page(self, func: Callable[..., Any], what: str, token: str, **params: Any) -> dict:
        kwargs: dict[str, Any] = {"limit": self.page_size, "_preload_content": False, **params}
        if token:
            kwargs["_continue"] = token
        for attempt in range(self.list_restarts + 1):
            try:
                # The body is read here, not by the client: a timeout can strike either step.
                response = func(_request_timeout=self.request_timeout, **kwargs)
                try:
                    data = response.data
                finally:
                    response.release_conn()
                break
            except urllib3.exceptions.HTTPError as exc:
                raise self._transport_error(exc, what) from exc
            except ApiException as exc:
                # 429: API priority and fairness turned the request away for now; it says
                # when to come back. Waited out a bounded number of times, never long.
                if exc.status != TOO_MANY_REQUESTS or attempt == self.list_restarts:
                    raise
                time.sleep(_retry_after(exc))
        try:
            body = json.loads(data)
        except (TypeError, ValueError) as exc:
            raise SourceError(f"{self.api_name} sent a {what} list that is not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise SourceError(f"{self.api_name} sent a {what} list without items")
        return body

    def fold_list(
        self,
        func: Callable[..., Any],
        what: str,
        start: Callable[[], T],
        add: Callable[[T, list[dict]], None],
        **params: Any,
    ) -> tuple[T, str]:
        """Fold one list call page by page: ``add(total, items)`` per page.

        Returns (total, resourceVersion of the list). Pages are folded as they come,
        so a list of 100,000 pods is never held whole. A restart after an expired
        continue token starts a fresh total.
        """
        for attempt in range(self.list_restarts + 1):
            total = start()
            token = ""
            resource_version = ""
            try:
                while True:
                    body = self._page(func, what, token, **params)
                    add(total, body["items"])
                    metadata = body.get("metadata") or {}
                    resource_version = resource_version or metadata.get("resourceVersion", "")
                    token = metadata.get("continue") or ""
                    if not token:
                        return total, resource_version
            except ApiException as exc:
                if exc.status == GONE and token and attempt < self.list_restarts:
                    log.info("continue token for %s expired; listing again", what)
                    continue
                if exc.status == GONE and token:
                    raise SourceError(
                        f"{self.api_name}: listing {what} kept expiring "
                        f"({self.list_restarts + 1} attempts); the cluster changes faster "
                        "than it can be paged, try a larger page size"
                    ) from exc
                raise SourceError(
                    f"{self.api_name}: listing {what} failed: {_http_error(exc)}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def list_objects(
        self, func: Callable[..., Any], what: str, **params: Any
    ) -> tuple[list[dict], str]:
        """All objects of one list call, page by page: (items, resourceVersion)."""
        return self.fold_list(func, what, list, list.extend, **params)

    def _iter_workloads(self) -> Iterator[tuple[str, list[dict]]]:
        apps = client.AppsV1Api(self.api_client())
        for kind, func in (
            ("Deployment", apps.list_deployment_for_all_namespaces),
            ("StatefulSet", apps.list_stateful_set_for_all_namespaces),
            ("DaemonSet", apps.list_daemon_set_for_all_namespaces),
        ):
            items, _ = self.list_objects(func, f"{kind.lower()}s")
            yield kind, items

    def _optional(self, func: Callable[..., Any], what: str, warnings: list[str]):
        """A list the inventory can do without: None (with a warning) when this account
        may not read it (403, an RBAC not yet widened), [] when the API does not serve
        it (404: cert-manager not installed). Any other failure fails the read."""
        try:
            items, _ = self.list_objects(func, what)
        except SourceError as exc:
            status = getattr(exc.__cause__, "status", None)
            if status == 404:
                return []
            if status == 403:
                warnings.append(f"{self.api_name}: may not list {what} (403); left as they were")
                return None
            raise
        return items

    def _read_software(self, warnings: list[str]) -> tuple[list, list, set[str]]:
        """Certificates (cert-manager, Ingress TLS) and storage (classes, claims)."""
        api = self.api_client()
        core = client.CoreV1Api(api)
        certificates = self._optional(
            partial(
                client.CustomObjectsApi(api).list_cluster_custom_object,
                "cert-manager.io",
                "v1",
                "certificates",
            ),
            "certificates",
            warnings,
        )
        ingresses = self._optional(
            client.NetworkingV1Api(api).list_ingress_for_all_namespaces, "ingresses", warnings
        )
        classes = self._optional(
            client.StorageV1Api(api).list_storage_class, "storageclasses", warnings
        )
        claims = self._optional(
            core.list_persistent_volume_claim_for_all_namespaces,
            "persistentvolumeclaims",
            warnings,
        )
        covers: set[str] = set()
        certs: list = []
        if certificates is not None and ingresses is not None:
            covers.add("certificates")
        certs.extend(certificate_facts(o, i) for i, o in enumerate(certificates or []))
        for i, obj in enumerate(ingresses or []):
            certs.extend(ingress_tls_facts(obj, i))
        volumes: list = []
        if classes is not None and claims is not None:
            covers.add("volumes")
        volumes.extend(storage_class_facts(o, i) for i, o in enumerate(classes or []))
        volumes.extend(volume_claim_facts(o, i) for i, o in enumerate(claims or []))
        return certs, volumes, covers

    def read(self) -> Snapshot:
        """Everything this source covers, or SourceError (never a partial snapshot)."""
        core = client.CoreV1Api(self.api_client())
        node_objects, self.resource_version = self.list_objects(core.list_node, "nodes")
        requests, _ = self.fold_list(
            core.list_pod_for_all_namespaces,
            "pods",
            dict,
            add_gpu_requests,
            field_selector="status.phase=Running",
        )
        nodes = nodes_with_requests(node_objects, requests)
        components = []
        for kind, items in self._iter_workloads():
            components.extend(workload_facts(obj, kind, i) for i, obj in enumerate(items))
        warnings: list[str] = []
        certificates, volumes, covers = self._read_software(warnings)
        return Snapshot(
            source="kubernetes",
            nodes=nodes,
            components=components,
            certificates=certificates,
            volumes=volumes,
            covers=frozenset({"nodes", "components", *covers}),
            warnings=warnings,
        )

    # -- watching ---------------------------------------------------------------

    def list_nodes(self) -> tuple[list[NodeFacts], str]:
        """All nodes (without pod GPU requests) and the resourceVersion to watch from."""
        core = client.CoreV1Api(self.api_client())
        objects, resource_version = self.list_objects(core.list_node, "nodes")
        return nodes_with_requests(objects, {}), resource_version

    def watch_nodes(
        self,
        resource_version: str,
        on_event: Callable[[NodeEvent], None],
        stop: Callable[[], bool],
        max_relists: int = 3,
    ) -> str:
        """Follow node changes from ``resource_version`` until ``stop()`` is true.

        Node events as :class:`NodeEvent`; see :meth:`watch_objects` for bookmarks,
        resuming and re-listing. Returns the last resource version seen.
        """

        def on_raw(kind: str, version: str, raw: dict) -> None:
            if kind == "BOOKMARK":
                on_event(NodeEvent("BOOKMARK", version))
            else:
                on_event(NodeEvent(kind, version, node=node_facts(raw)))

        def relist() -> str:
            nodes, version = self.list_nodes()
            on_event(NodeEvent("RELISTED", version, nodes=nodes))
            return version

        core = client.CoreV1Api(self.api_client())
        return self.watch_objects(
            core.list_node, "nodes", resource_version, on_raw, stop, relist, max_relists
        )

    def watch_objects(
        self,
        func: Callable[..., Any],
        what: str,
        resource_version: str,
        on_event: Callable[[str, str, dict], None],
        stop: Callable[[], bool],
        relist: Callable[[], str],
        max_relists: int = 3,
        **params: Any,
    ) -> str:
        """Follow one list call's changes from ``resource_version`` until ``stop()``.

        ``on_event(type, resourceVersion, raw object)`` for ADDED, MODIFIED, DELETED and
        BOOKMARK. ``stop`` is asked after every event and whenever a watch request ends
        (``watch_timeout_s``); the next request resumes from the last version seen, and
        bookmarks (about once a minute from a real API server, and just before a watch
        request times out) keep that version fresh while nothing changes. When the server
        answers that the version is too old (410, as an HTTP status or as an ERROR
        event), ``relist()`` lists again and returns the version to go on from, at most
        ``max_relists`` times in a row. Returns the last resource version seen.
        """
        relists = 0
        while not stop():
            watcher = watch.Watch()
            try:
                for event in watcher.stream(
                    func,
                    resource_version=resource_version,
                    allow_watch_bookmarks=True,
                    timeout_seconds=self.watch_timeout_s,
                    _request_timeout=self.watch_timeout_s + self.request_timeout,
                    **params,
                ):
                    relists = 0
                    raw = event["raw_object"]
                    kind = event["type"]
                    resource_version = (raw.get("metadata") or {}).get(
                        "resourceVersion", resource_version
                    )
                    if kind in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK"):
                        on_event(kind, resource_version, raw)
                    if stop():
                        watcher.stop()
                        break
            except ApiException as exc:
                if exc.status != GONE:
                    raise SourceError(
                        f"{self.api_name}: watching {what} failed: {_http_error(exc)}"
                    ) from exc
                relists += 1
                if relists > max_relists:
                    raise SourceError(
                        f"{self.api_name}: {what} watch fell behind repeatedly; giving up"
                    ) from exc
                log.info("%s watch fell behind (410); listing again", what)
                resource_version = relist()
            except urllib3.exceptions.HTTPError as exc:
                raise SourceError(f"{self.api_name}: {what} watch interrupted: {exc}") from exc
        return resource_version
