"""A stand-in Kubernetes API server: real HTTP, spoken the way kube-apiserver speaks it.

The official ``kubernetes`` client talks to it through a generated kubeconfig (a bearer
token the stand-in checks). It serves the read side the inventory uses:

- ``GET /api/v1/nodes``, ``/api/v1/pods``, ``/apis/apps/v1/{deployments,statefulsets,
  daemonsets}`` and their ``/namespaces/<ns>/`` variants, ``/api/v1/nodes/<name>``;
- paging with ``limit``/``continue`` like the real server: a consistent snapshot per
  list, ``metadata.continue``, ``metadata.resourceVersion``, ``remainingItemCount``;
  a continue token older than the last compaction answers 410 with a Status whose
  reason is ``Expired``;
- ``fieldSelector`` on ``metadata.name``, ``metadata.namespace``, ``spec.nodeName``,
  ``status.phase`` (``=``, ``==``, ``!=``), ``labelSelector`` equality;
- ``?watch=true``: newline-delimited ADDED/MODIFIED/DELETED events from
  ``resourceVersion``, BOOKMARK events when ``allowWatchBookmarks`` is set, and an
  ERROR event with a 410 "too old resource version" Status for compacted versions.

Stricter where the real server is: a field selector the resource does not support is
400, :meth:`forbid` answers RBAC's 403, :meth:`throttle_next` answers 429 with
Retry-After (API priority and fairness).

Test knobs: :attr:`delay` (seconds before every answer), :attr:`body_delay` (a stall
between headers and body), :meth:`fail_next` (answer
with an error status), :meth:`expire_next_continue`, :meth:`compact`, :meth:`add_raw`
(a malformed object), :meth:`delete` (drop a node), :attr:`requests` (what was asked).

Use it from any test module through the ``k8s_stand_in`` fixture, or directly::

    from tests.stand_ins.kubernetes import KubernetesStandIn
    with KubernetesStandIn() as api:
        api.load("nodes", [builders.node("n1")])
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        snapshot = KubernetesSource(str(kubeconfig)).read()
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from inventory.demo import k8s as builders

RESOURCES = {
    # resource: (api group path, list kind, item kind, namespaced)
    "nodes": ("v1", "NodeList", "Node", False),
    "pods": ("v1", "PodList", "Pod", True),
    "deployments": ("apps/v1", "DeploymentList", "Deployment", True),
    "statefulsets": ("apps/v1", "StatefulSetList", "StatefulSet", True),
    "daemonsets": ("apps/v1", "DaemonSetList", "DaemonSet", True),
}
# The field selectors kube-apiserver accepts per resource (others: 400 "field label not
# supported"), as registered by each resource's strategy.
FIELD_LABELS = {
    "nodes": {"metadata.name", "spec.unschedulable"},
    "pods": {
        "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
        "status.podIP", "status.nominatedNodeName",
    },
    "deployments": {"metadata.name", "metadata.namespace"},
    "statefulsets": {"metadata.name", "metadata.namespace"},
    "daemonsets": {"metadata.name", "metadata.namespace"},
}  # fmt: skip
_ROUTE = re.compile(
    r"^/(?:api/v1|apis/apps/v1)(?:/namespaces/(?P<ns>[^/]+))?/(?P<resource>[a-z]+)"
    r"(?:/(?P<name>[^/]+))?$"
)
EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may "
    "show up in the list."
)


def status_body(code: int, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    """A meta/v1 Status, the body of every error the API server sends."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": extra.pop("metadata", {}),
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
        **extra,
    }


def _key(obj: Any) -> str:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict):
        return ""
    return f"{metadata.get('namespace') or ''}/{metadata.get('name') or ''}"


def _field(obj: dict, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _selector(text: str) -> list[tuple[str, bool, str]]:
    terms = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        match = re.match(r"^([^!=]+)(==|!=|=)(.*)$", term)
        if not match:
            raise ValueError(term)
        terms.append((match.group(1), match.group(2) != "!=", match.group(3)))
    return terms


@dataclass
class _Event:
    rv: int
    resource: str
    type: str
    obj: dict


class KubernetesStandIn:
    """The API server. Start with ``with`` or :meth:`start`; stop with :meth:`stop`."""

    def __init__(self, token: str = "stand-in-token", bookmark_interval: float = 0.05) -> None:
        self.token = token
        self.bookmark_interval = bookmark_interval
        self.delay = 0.0
        self.body_delay = 0.0  # seconds between the headers and the body of list answers
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.default_watch_timeout = 5.0
        self._cond = threading.Condition()
        self._rv = 100
        self._compacted = 0
        self._objects: dict[str, dict[str, dict]] = {r: {} for r in RESOURCES}
        self._events: list[_Event] = []
        self._snapshots: dict[tuple[str, int], tuple[list[str], list[dict]]] = {}
        self._failures: list[tuple[int, str | None]] = []
        self._expire_continues = 0
        # A cluster so busy that etcd compacts past every fresh list before its watch starts.
        self._compact_after_lists = False
        self._forbidden: set[str] = set()
        self._throttles: list[float] = []
        self._closing = False
        self._server: _Server | None = None

    # -- life cycle -------------------------------------------------------------

    def start(self) -> KubernetesStandIn:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> KubernetesStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def write_kubeconfig(
        self, path: str | Path, context: str = "stand-in", token: str | None = None
    ) -> Path:
        """Write a kubeconfig pointing at this server; ``token`` overrides the right one."""
        path = Path(path)
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "stand-in", "cluster": {"server": self.url}}],
            "users": [{"name": "stand-in-reader", "user": {"token": token or self.token}}],
            "contexts": [
                {"name": context, "context": {"cluster": "stand-in", "user": "stand-in-reader"}}
            ],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(document))
        return path

    # -- state ------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def _record(self, resource: str, kind: str, obj: dict) -> None:
        self._rv += 1
        if isinstance(obj.get("metadata"), dict):
            obj["metadata"]["resourceVersion"] = str(self._rv)
        self._events.append(_Event(self._rv, resource, kind, copy.deepcopy(obj)))

    def load(self, resource: str, objects: Iterable[dict]) -> None:
        """Add (or replace) objects, each with its ADDED/MODIFIED event."""
        with self._cond:
            store = self._objects[resource]
            for obj in objects:
                obj = copy.deepcopy(obj)
                key = _key(obj)
                kind = "MODIFIED" if key in store else "ADDED"
                store[key] = obj
                self._record(resource, kind, obj)
            self._cond.notify_all()

    def add_raw(self, resource: str, obj: Any) -> None:
        """Store any JSON value, valid or not, so that clients meet a malformed object."""
        with self._cond:
            key = _key(obj) if _key(obj) not in ("", "/") else f"~malformed-{self._rv}"
            self._objects[resource][key] = copy.deepcopy(obj)
            self._rv += 1

    def delete(self, resource: str, name: str, namespace: str = "") -> None:
        """Remove an object (e.g. drop a node) with a DELETED event."""
        with self._cond:
            obj = self._objects[resource].pop(f"{namespace}/{name}")
            self._record(resource, "DELETED", obj)
            self._cond.notify_all()

    def objects(self, resource: str) -> list[dict]:
        """Copies of the stored objects of one resource."""
        with self._cond:
            return [copy.deepcopy(o) for o in self._objects[resource].values()]

    def compact(self) -> None:
        """Forget history, as etcd compaction does: older continue tokens and watches get 410."""
        with self._cond:
            self._compacted = self._rv
            self._snapshots.clear()

    def compact_after_every_list(self) -> None:
        """From now on each fresh list is compacted away at once: a watch from its
        version gets 410, as on a cluster whose etcd compacts faster than a watcher
        catches up."""
        with self._cond:
            self._compact_after_lists = True

    def fail_next(self, status: int = 500, times: int = 1, path: str | None = None) -> None:
        """Answer the next ``times`` requests (to ``path`` only, if given) with ``status``."""
        with self._cond:
            self._failures.extend([(status, path)] * times)

    def forbid(self, resource: str) -> None:
        """Answer every request for ``resource`` with RBAC's 403, as for an account
        without a grant."""
        self._forbidden.add(resource)

    def throttle_next(self, times: int = 1, retry_after: float = 1) -> None:
        """The next ``times`` requests get 429 Too Many Requests with Retry-After (API
        priority and fairness rejecting a request)."""
        with self._cond:
            self._throttles.extend([retry_after] * times)

    def expire_next_continue(self, times: int = 1) -> None:
        """Answer the next ``times`` requests that carry a continue token with 410 Expired."""
        with self._cond:
            self._expire_continues += times

    # -- serving (called by the handler) ---------------------------------------

    def _take_failure(self, path: str) -> int | None:
        with self._cond:
            for index, (status, only) in enumerate(self._failures):
                if only is None or only == path:
                    del self._failures[index]
                    return status
            return None

    def list_page(self, resource: str, namespace: str | None, query: dict) -> tuple[int, dict]:
        """One page of a list: (HTTP status, body), as kube-apiserver pages from etcd."""
        limit = int(query.get("limit", ["0"])[0] or 0)
        token = query.get("continue", [""])[0]
        fields = _selector(query.get("fieldSelector", [""])[0])
        labels = _selector(query.get("labelSelector", [""])[0])
        for path, _equal, _value in fields:
            if path not in FIELD_LABELS[resource]:
                return 400, status_body(
                    400, "BadRequest", f'"{path}" is not a known field selector: only '
                    f'"{", ".join(sorted(FIELD_LABELS[resource]))}"',
                )  # fmt: skip
        with self._cond:
            if token:
                try:
                    decoded = json.loads(base64.b64decode(token))
                    rv, start = int(decoded["rv"]), str(decoded["start"])
                except (ValueError, KeyError, TypeError):
                    return 400, status_body(400, "BadRequest", "continue key is not valid")
                snapshot = self._snapshots.get((resource, rv))
                if self._expire_continues or rv < self._compacted or snapshot is None:
                    self._expire_continues = max(0, self._expire_continues - 1)
                    return 410, status_body(
                        410, "Expired", EXPIRED_MESSAGE, metadata={"continue": token}
                    )
            else:
                rv, start = self._rv, ""
                if self._compact_after_lists:
                    # The list sees this version; writes elsewhere and a compaction
                    # follow before anyone can watch from it.
                    self._rv += 1
                    self._compacted = self._rv
                store = self._objects[resource]
                keys = sorted(store)
                # Stored objects are replaced, never changed in place: no copy needed.
                snapshot = (keys, [store[k] for k in keys])
                self._snapshots[(resource, rv)] = snapshot
                while len(self._snapshots) > 32:
                    self._snapshots.pop(next(iter(self._snapshots)))
        keys, items = snapshot
        position = bisect.bisect_right(keys, start) if start else 0
        selected: list[dict] = []
        last_key = ""
        remaining = 0
        for index in range(position, len(keys)):
            obj = items[index]
            if not self._matches(obj, namespace, fields, labels):
                continue
            if limit and len(selected) == limit:
                # This item matched, so more follow. The real server counts the rest only
                # for unfiltered lists; so does this one (and stays linear).
                remaining = len(keys) - index
                break
            selected.append(obj)
            last_key = keys[index]
        api_version, list_kind, _, _ = RESOURCES[resource]
        metadata: dict[str, Any] = {"resourceVersion": str(rv)}
        if remaining:
            metadata["continue"] = base64.b64encode(
                json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key}).encode()
            ).decode()
            if not fields and not labels and not namespace:
                metadata["remainingItemCount"] = remaining
        clean = []
        for obj in selected:
            if isinstance(obj, dict):
                obj = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
            clean.append(obj)
        return 200, {
            "kind": list_kind,
            "apiVersion": api_version,
            "metadata": metadata,
            "items": clean,
        }

    @staticmethod
    def _matches(obj: Any, namespace: str | None, fields: list, labels: list) -> bool:
        if not isinstance(obj, dict):
            return not (namespace or fields or labels)
        if namespace and _field(obj, "metadata.namespace") != namespace:
            return False
        for path, equal, value in fields:
            if (_field(obj, path) == value) != equal:
                return False
        obj_labels = (obj.get("metadata") or {}).get("labels") or {}
        return all((obj_labels.get(key) == value) == equal for key, equal, value in labels)

    def get_one(self, resource: str, namespace: str | None, name: str) -> tuple[int, dict]:
        """GET of one object: (200, object) or (404, Status)."""
        with self._cond:
            obj = self._objects[resource].get(f"{namespace or ''}/{name}")
        if obj is None:
            kind = RESOURCES[resource][2].lower()
            return 404, status_body(404, "NotFound", f'{resource} "{name}" not found',
                                    details={"name": name, "kind": kind})  # fmt: skip
        _, _, kind, _ = RESOURCES[resource]
        return 200, {"kind": kind, "apiVersion": RESOURCES[resource][0], **obj}

    def _events_after(self, since: int, resource: str) -> list[_Event]:
        start = bisect.bisect_right(self._events, since, key=lambda e: e.rv)
        return [e for e in self._events[start:] if e.resource == resource]

    def watch_events(self, resource: str, namespace: str | None, query: dict, write) -> None:
        """Stream watch events through ``write`` until ``timeoutSeconds`` or shutdown."""
        since_text = query.get("resourceVersion", [""])[0]
        bookmarks = query.get("allowWatchBookmarks", ["false"])[0] == "true"
        timeout = float(query.get("timeoutSeconds", [self.default_watch_timeout])[0])
        fields = _selector(query.get("fieldSelector", [""])[0])
        deadline = time.monotonic() + timeout
        _, _, kind, _ = RESOURCES[resource]
        api_version = RESOURCES[resource][0]

        def event(kind_of_event: str, obj: dict) -> dict:
            return {
                "type": kind_of_event,
                "object": {"kind": kind, "apiVersion": api_version, **obj},
            }

        with self._cond:
            if since_text in ("", "0"):
                since = self._rv
                initial = [copy.deepcopy(o) for o in self._objects[resource].values()]
            else:
                since = int(since_text)
                initial = []
                if since < self._compacted:
                    too_old = status_body(
                        410, "Expired", f"too old resource version: {since} ({self._compacted})"
                    )
                    write({"type": "ERROR", "object": too_old})
                    return
        for obj in initial:
            if self._matches(obj, namespace, fields, []):
                write(event("ADDED", obj))
        next_bookmark = time.monotonic() + self.bookmark_interval
        while True:
            with self._cond:
                pending = self._events_after(since, resource)
                if not pending:
                    now = time.monotonic()
                    wait = min(deadline, next_bookmark if bookmarks else deadline) - now
                    if wait > 0 and not self._closing:
                        self._cond.wait(wait)
                    pending = self._events_after(since, resource)
                current = self._rv
                closing = self._closing
            for item in pending:
                since = item.rv
                if self._matches(item.obj, namespace, fields, []):
                    write(event(item.type, item.obj))
            now = time.monotonic()
            if closing or now >= deadline:
                return
            if bookmarks and now >= next_bookmark:
                since = max(since, current)
                write({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                       "metadata": {"resourceVersion": str(since)}}})  # fmt: skip
                next_bookmark = now + self.bookmark_interval


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or stop a watch hang up mid-answer; that is their right.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    api: KubernetesStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.api.body_delay:
                self.wfile.flush()
                time.sleep(self.api.body_delay)
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test): nothing left to tell it.
            self.close_connection = True

    def do_GET(self) -> None:
        api = self.api
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with api._cond:
            api.requests.append((parts.path, query))
        if api.delay:
            time.sleep(api.delay)
        if self.headers.get("Authorization") != f"Bearer {api.token}":
            self._send_json(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        failure = api._take_failure(parts.path)
        if failure is not None:
            self._send_json(
                failure,
                status_body(failure, "InternalError", "Internal error occurred: stand-in failure"),
            )
            return
        if parts.path == "/version":
            self._send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.4"})
            return
        route = _ROUTE.match(parts.path)
        if not route or route["resource"] not in RESOURCES:
            self._send_json(
                404,
                status_body(404, "NotFound", "the server could not find the requested resource"),
            )
            return
        resource, namespace, name = route["resource"], route["ns"], route["name"]
        with api._cond:
            retry_after = api._throttles.pop(0) if api._throttles else None
        if retry_after is not None:
            self._send_json(
                429,
                status_body(429, "TooManyRequests", "Too many requests, please try again later.",
                            details={"retryAfterSeconds": int(retry_after)}),
                headers={"Retry-After": f"{retry_after:g}"},
            )  # fmt: skip
            return
        if resource in api._forbidden:
            verb = "get" if name else "watch" if "watch" in query else "list"
            group = "apps" if RESOURCES[resource][0] == "apps/v1" else ""
            self._send_json(
                403,
                status_body(403, "Forbidden", f'{resource} is forbidden: User '
                            f'"system:serviceaccount:mlops-portal:portal-inventory-reader" '
                            f'cannot {verb} resource "{resource}" in API group "{group}" '
                            "at the cluster scope",
                            details={"kind": resource}),
            )  # fmt: skip
            return
        is_apps = parts.path.startswith("/apis/apps/v1")
        if is_apps != (RESOURCES[resource][0] == "apps/v1"):
            self._send_json(
                404,
                status_body(404, "NotFound", "the server could not find the requested resource"),
            )
            return
        try:
            if name:
                self._send_json(*api.get_one(resource, namespace, name))
            elif query.get("watch", ["false"])[0] in ("true", "1"):
                self._watch(resource, namespace, query)
            else:
                self._send_json(*api.list_page(resource, namespace, query))
        except ValueError as exc:
            self._send_json(400, status_body(400, "BadRequest", f"invalid selector: {exc}"))

    def _watch(self, resource: str, namespace: str | None, query: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def write(event: dict) -> None:
            line = json.dumps(event).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        try:
            self.api.watch_events(resource, namespace, query, write)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


# -- ready-made clusters ------------------------------------------------------------


def gpu_cluster_nodes(count: int, gpus_per_node: int = 8) -> list[dict]:
    """``count`` GPU nodes with GFD labels and 8 exposed A100s each (names sort by number)."""
    labels = builders.gfd_labels(
        product="NVIDIA-A100-SXM4-80GB", count=gpus_per_node, memory_mib=81920,
        machine="DGX-A100", mig_capable=True,
    )  # fmt: skip
    return [
        builders.gpu_node(
            f"gpu-{i:05d}",
            gpu_labels=labels,
            gpu_resources={"nvidia.com/gpu": str(gpus_per_node)},
            cpu="256",
            memory="2113276000Ki",
        )
        for i in range(count)
    ]


@pytest.fixture
def k8s_stand_in(tmp_path):
    """A running KubernetesStandIn with ``.kubeconfig`` (a Path) already written."""
    with KubernetesStandIn() as api:
        api.kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        yield api
