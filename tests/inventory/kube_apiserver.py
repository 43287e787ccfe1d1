"""A real kube-apiserver with etcd on 127.0.0.1, started the way envtest starts them.

The binaries come from ``scripts/kube-apiserver.sh build`` (``make kube-apiserver``),
kept in ``${PORTAL_CACHE_DIR:-~/.cache/mlops-portal}``. The flags are envtest's: a
service-cluster range, service-account signing keys, ``--authorization-mode=RBAC``,
and an admin identity (here a static token in ``system:masters``) for the tests. The
ServiceAccount admission plugin is off, as in most envtest set-ups: no controller
manager runs to create each namespace's ``default`` account.

etcd's JSON gateway (``/v3/kv/...``) is used directly for what only etcd can do:
compacting the history, so that old resource versions answer 410 Gone.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kubernetes import client

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "portal-test-admin-token"


def binaries() -> Path | None:
    """The folder holding etcd and kube-apiserver, or None when they are not built."""
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "kube-apiserver.sh"), "path"],
        capture_output=True,
        text=True,
        check=False,
    )
    path = result.stdout.strip()
    return Path(path) if result.returncode == 0 and path else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _certificates(folder: Path) -> None:
    """A CA and a serving certificate for 127.0.0.1 signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal-test-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(_pem(key))
    (folder / "sa.key").write_bytes(_pem(_key()))


class KubeApiServer:
    """etcd + kube-apiserver in ``folder``; :meth:`start`, :meth:`stop`."""

    def __init__(self, bin_dir: Path, folder: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.extra_args = extra_args
        self.etcd_url = ""
        self.url = ""
        self._processes: list[subprocess.Popen] = []

    # -- life cycle -------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - kept for the process
        process = subprocess.Popen(
            [str(self.bin_dir / name), *args], stdout=log, stderr=subprocess.STDOUT
        )
        self._processes.append(process)
        return process

    def _etcd_supports(self, flag: str) -> bool:
        out = subprocess.run(
            [str(self.bin_dir / "etcd"), "--help"], capture_output=True, text=True, check=False
        )
        return flag in out.stdout + out.stderr

    def start(self, timeout: float = 120.0) -> KubeApiServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        _certificates(self.folder)
        (self.folder / "tokens.csv").write_text(f'{ADMIN_TOKEN},admin,admin-uid,"system:masters"\n')
        client_port, peer_port, secure_port = free_port(), free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        peer = f"http://127.0.0.1:{peer_port}"
        etcd_args = [
            f"--data-dir={self.folder / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--log-level=warn",
        ]
        if self._etcd_supports("--unsafe-no-fsync"):
            etcd_args.append("--unsafe-no-fsync")
        etcd = self._spawn("etcd", etcd_args)
        self._wait(lambda: self._etcd_ready(), timeout, etcd, "etcd")
        self.url = f"https://127.0.0.1:{secure_port}"
        f = self.folder
        apiserver = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                # No kubernetes Service endpoint to keep: a loopback address may not be one.
                "--endpoint-reconciler-type=none",
                f"--secure-port={secure_port}",
                f"--cert-dir={f / 'certs'}",
                f"--tls-cert-file={f / 'server.crt'}",
                f"--tls-private-key-file={f / 'server.key'}",
                f"--token-auth-file={f / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                f"--service-account-issuer={self.url}",
                f"--service-account-key-file={f / 'sa.key'}",
                f"--service-account-signing-key-file={f / 'sa.key'}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--disable-admission-plugins=ServiceAccount",
                "--allow-privileged=true",
                # Compaction is the tests' to trigger (see compact()).
                "--etcd-compaction-interval=0",
                "--v=0",
                *self.extra_args,
            ],
        )
        self._wait(lambda: self._apiserver_ready(), timeout, apiserver, "kube-apiserver")
        return self

    def _wait(self, ready, timeout: float, process: subprocess.Popen, name: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.stop()
                log = (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            if ready():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{name} not ready after {timeout:g}s; see {self.folder}")

    def _etcd_ready(self) -> bool:
        try:
            self.etcd_revision()
        except OSError:
            return False
        return True

    def _apiserver_ready(self) -> bool:
        context = ssl.create_default_context(cafile=str(self.folder / "ca.crt"))
        request = urllib.request.Request(
            f"{self.url}/readyz", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2, context=context) as response:
                return response.status == 200
        except OSError:  # refused, a TLS error before it serves, or 500 while starting
            return False

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
        self._processes.clear()

    # -- clients ----------------------------------------------------------------

    def configuration(self, token: str = ADMIN_TOKEN) -> client.Configuration:
        configuration = client.Configuration()
        configuration.host = self.url
        configuration.ssl_ca_cert = str(self.folder / "ca.crt")
        configuration.api_key = {"authorization": f"Bearer {token}"}
        configuration.retries = False
        return configuration

    def admin_client(self) -> client.ApiClient:
        return client.ApiClient(self.configuration())

    def write_kubeconfig(self, path: Path, token: str = ADMIN_TOKEN) -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "test",
                            "cluster": {
                                "server": self.url,
                                "certificate-authority": str(self.folder / "ca.crt"),
                            },
                        }
                    ],
                    "users": [{"name": "test", "user": {"token": token}}],
                    "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
                    "current-context": "test",
                }
            )
        )
        return path

    # -- etcd -------------------------------------------------------------------

    def _etcd(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.etcd_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def etcd_revision(self) -> int:
        key = base64.b64encode(b"/registry").decode()
        return int(self._etcd("/v3/kv/range", {"key": key, "limit": 1})["header"]["revision"])

    def compact(self) -> int:
        """Compact etcd's history up to now; returns the revision compacted to."""
        revision = self.etcd_revision()
        self._etcd("/v3/kv/compaction", {"revision": revision, "physical": True})
        return revision


class Cluster:
    """Writes objects into the real API server the way their controllers would: the
    object first, then its status through the status subresource."""

    def __init__(self, server: KubeApiServer) -> None:
        self.api = server.admin_client()
        self.core = client.CoreV1Api(self.api)

    @staticmethod
    def _body(obj: dict) -> dict:
        metadata = {
            k: v
            for k, v in obj["metadata"].items()
            if k not in ("uid", "resourceVersion", "creationTimestamp")
        }
        return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}

    def put_node(self, obj: dict) -> dict:
        """Create or replace a node (labels, spec), then patch its status."""
        name = obj["metadata"]["name"]
        body = self._body(obj)
        try:
            current = self.core.read_node(name)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            self.core.create_node(body)
        else:
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            self.core.replace_node(name, body)
        if obj.get("status"):
            self.core.patch_node_status(name, {"status": obj["status"]})
        return obj

    def namespace(self, name: str) -> None:
        try:
            self.core.create_namespace({"metadata": {"name": name}})
        except client.ApiException as exc:
            if exc.status != 409:
                raise

    def put_pod(self, obj: dict) -> None:
        """Create a pod (bound to its node, as after scheduling) and set its phase."""
        namespace = obj["metadata"]["namespace"]
        self.namespace(namespace)
        self.core.create_namespaced_pod(namespace, self._body(obj))
        if obj.get("status"):
            self.core.patch_namespaced_pod_status(
                obj["metadata"]["name"], namespace, {"status": obj["status"]}
            )

    def delete_node(self, name: str) -> None:
        self.core.delete_node(name)

    def delete_all_nodes(self) -> None:
        self.core.delete_collection_node()

    def delete_all_pods(self) -> None:
        # Grace period 0: no kubelet runs here to confirm a graceful stop.
        for namespace in {
            p.metadata.namespace for p in self.core.list_pod_for_all_namespaces().items
        }:
            self.core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)

    def close(self) -> None:
        self.api.close()


__all__ = ["ADMIN_TOKEN", "Cluster", "KubeApiServer", "binaries"]
