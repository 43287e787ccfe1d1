"""Recognise known ML and auxiliary software among a cluster's workloads.

A workload is matched, in this order of trust, by its ``app.kubernetes.io/name`` (or
legacy ``app`` / ``k8s-app``) label, its Helm chart name (``helm.sh/chart``), its
container images, and finally its own name. The version comes from
``app.kubernetes.io/version``, else the tag of the image that matched, else the chart
version. Anything not in the table is reported as unclassified. A component is
named by its ``app.kubernetes.io/name`` label when it has one, else by the product
recognised, else by the workload's own name, which is kept beside it in any case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .facts import ComponentFacts

ML = "ml"
AUXILIARY = "auxiliary"
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Product:
    """A recognisable piece of software and the names and images it goes by."""

    name: str
    category: str
    names: tuple[str, ...]  # app.kubernetes.io/name, chart and workload names
    images: tuple[str, ...]  # trailing image path components, e.g. "mlflow/mlflow"


PRODUCTS: tuple[Product, ...] = (
    # ML platform software
    Product("MLflow", ML, ("mlflow", "mlflow-tracking", "mlflow-server"),
            ("mlflow/mlflow", "bitnami/mlflow", "mlflow")),
    Product("Kubeflow", ML,
            ("kubeflow", "kubeflow-pipelines", "ml-pipeline", "ml-pipeline-ui",
             "ml-pipeline-ui-artifact", "ml-pipeline-persistenceagent",
             "ml-pipeline-scheduledworkflow", "ml-pipeline-viewer-crd",
             "ml-pipeline-visualizationserver", "centraldashboard", "katib-controller",
             "notebook-controller", "training-operator", "metadata-grpc-server"),
            ("ml-pipeline/api-server", "ml-pipeline/frontend", "ml-pipeline/persistenceagent",
             "ml-pipeline/scheduledworkflow", "ml-pipeline/cache-server",
             "ml-pipeline/metadata-writer", "ml-pipeline/visualization-server",
             "kubeflow/training-operator", "kubeflownotebookswg/notebook-controller",
             "kubeflownotebookswg/centraldashboard", "kubeflowkatib/katib-controller")),
    Product("ClearML", ML, ("clearml", "clearml-server", "clearml-apiserver", "clearml-agent"),
            ("allegroai/clearml", "allegroai/clearml-agent", "allegroai/clearml-agent-k8s-base")),
    Product("guild.ai", ML, ("guild", "guildai", "guild-ai"), ("guildai/guild",)),
    Product("Polyaxon", ML, ("polyaxon", "polyaxon-api", "polyaxon-gateway"),
            ("polyaxon/polyaxon-api", "polyaxon/polyaxon-gateway", "polyaxon/polyaxon-cli")),
    Product("Airflow", ML, ("airflow", "airflow-scheduler", "airflow-webserver"),
            ("apache/airflow", "bitnami/airflow")),
    Product("Dagster", ML, ("dagster", "dagster-webserver", "dagit", "dagster-daemon"),
            ("dagster/dagster-celery-k8s", "dagster/dagster-k8s", "dagster/user-code-example")),
    Product("Prefect", ML, ("prefect", "prefect-server", "prefect-worker"),
            ("prefecthq/prefect",)),
    Product("Seldon Core", ML, ("seldon-core", "seldon-core-operator", "seldon-controller-manager"),
            ("seldonio/seldon-core-operator", "seldonio/seldon-core-executor")),
    Product("KServe", ML, ("kserve", "kserve-controller-manager", "kserve-controller"),
            ("kserve/kserve-controller", "kserve/agent", "kserve/router")),
    Product("BentoML", ML, ("bentoml", "yatai", "yatai-image-builder"),
            ("bentoml/yatai", "bentoml/bento-server", "bentoml/yatai-image-builder")),
    Product("Feast", ML, ("feast", "feast-feature-server", "feast-operator"),
            ("feastdev/feature-server", "feastdev/feature-server-java")),
    Product("Ray", ML, ("kuberay-operator", "kuberay", "ray"),
            ("rayproject/ray", "kuberay/operator")),
    Product("JupyterHub", ML, ("jupyterhub",),
            ("jupyterhub/k8s-hub", "jupyterhub/configurable-http-proxy")),
    Product("NVIDIA Triton Inference Server", ML, ("triton-inference-server", "tritonserver"),
            ("nvidia/tritonserver",)),
    # Platform services around them
    Product("Keycloak", AUXILIARY, ("keycloak",), ("keycloak/keycloak", "bitnami/keycloak")),
    Product("Grafana", AUXILIARY, ("grafana",), ("grafana/grafana", "grafana/grafana-oss")),
    Product("Prometheus", AUXILIARY, ("prometheus", "kube-prometheus-stack", "prometheus-server"),
            ("prometheus/prometheus",)),
    Product("Prometheus Operator", AUXILIARY, ("prometheus-operator",),
            ("prometheus-operator/prometheus-operator",)),
    Product("Alertmanager", AUXILIARY, ("alertmanager",), ("prometheus/alertmanager",)),
    Product("Prometheus node exporter", AUXILIARY,
            ("prometheus-node-exporter", "node-exporter"), ("prometheus/node-exporter",)),
    Product("kube-state-metrics", AUXILIARY, ("kube-state-metrics",),
            ("kube-state-metrics/kube-state-metrics",)),
    Product("Loki", AUXILIARY, ("loki", "loki-stack"), ("grafana/loki",)),
    Product("Promtail", AUXILIARY, ("promtail",), ("grafana/promtail",)),
    Product("Traefik", AUXILIARY, ("traefik",), ("traefik", "library/traefik")),
    Product("ingress-nginx", AUXILIARY, ("ingress-nginx",), ("ingress-nginx/controller",)),
    Product("cert-manager", AUXILIARY, ("cert-manager", "cainjector"),
            ("jetstack/cert-manager-controller",)),
    Product("Argo Workflows", AUXILIARY, ("argo-workflows", "workflow-controller"),
            ("argoproj/workflow-controller",)),
    Product("Argo CD", AUXILIARY, ("argocd", "argo-cd", "argocd-server"), ("argoproj/argocd",)),
    Product("MinIO", AUXILIARY, ("minio",), ("minio/minio", "bitnami/minio")),
    Product("PostgreSQL", AUXILIARY, ("postgresql", "postgres"),
            ("bitnami/postgresql", "library/postgres", "postgres")),
    Product("Redis", AUXILIARY, ("redis",), ("bitnami/redis", "library/redis", "redis")),
    Product("NVIDIA GPU Operator", AUXILIARY, ("gpu-operator",),
            ("nvidia/gpu-operator", "nvidia/cloud-native/gpu-operator")),
    Product("NVIDIA device plugin", AUXILIARY,
            ("nvidia-device-plugin", "nvidia-device-plugin-daemonset", "k8s-device-plugin"),
            ("nvidia/k8s-device-plugin",)),
    Product("DCGM exporter", AUXILIARY, ("dcgm-exporter", "nvidia-dcgm-exporter"),
            ("nvidia/k8s/dcgm-exporter",)),
    Product("GPU feature discovery", AUXILIARY,
            ("gpu-feature-discovery", "nvidia-gpu-feature-discovery"),
            ("nvidia/gpu-feature-discovery",)),
    Product("Node Feature Discovery", AUXILIARY, ("node-feature-discovery", "nfd"),
            ("nfd/node-feature-discovery",)),
    Product("NVIDIA driver", AUXILIARY, ("nvidia-driver-daemonset",), ("nvidia/driver",)),
    Product("NVIDIA container toolkit", AUXILIARY, ("nvidia-container-toolkit-daemonset",),
            ("nvidia/k8s/container-toolkit",)),
)  # fmt: skip

_BY_NAME: dict[str, Product] = {}
for _product in PRODUCTS:
    for _name in _product.names:
        _BY_NAME.setdefault(_name, _product)
_BY_IMAGE: dict[str, Product] = {}
for _product in PRODUCTS:
    for _path in _product.images:
        _BY_IMAGE.setdefault(_path, _product)

_CHART_RE = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+(?:\.\d+)*(?:[-+.][\w.+-]*)?)$")
_VERSION_TAG_RE = re.compile(r"^v?\d")


def split_chart(chart: str) -> tuple[str, str]:
    """ "mlflow-0.7.19" -> ("mlflow", "0.7.19"); "kube-prometheus-stack-58.1.0" keeps its dashes."""
    match = _CHART_RE.match(chart.strip())
    if not match:
        return chart.strip(), ""
    return match.group("name"), match.group("version")


def split_image(image: str) -> tuple[str, str]:
    """ "ghcr.io/mlflow/mlflow:v2.14.1" -> ("mlflow/mlflow", "v2.14.1"); registry dropped."""
    reference = image.strip().split("@", 1)[0]  # a digest names no version
    path, tag = reference, ""
    last_slash = reference.rfind("/")
    colon = reference.rfind(":")
    if colon > last_slash:
        path, tag = reference[:colon], reference[colon + 1 :]
    parts = path.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts).lower(), tag


def normalise_version(version: str) -> str:
    """ "v2.14.1" -> "2.14.1"; tags that name no version ("latest", "main") -> ""."""
    version = version.strip()
    if not _VERSION_TAG_RE.match(version):
        return ""
    return version[1:] if version.startswith("v") else version


def _match_image(images: Iterable[str]) -> tuple[Product, str] | None:
    for image in images:
        path, tag = split_image(image)
        parts = path.split("/")
        # Try the longest trailing path first: "nvidia/k8s/dcgm-exporter" before "dcgm-exporter".
        for start in range(len(parts)):
            product = _BY_IMAGE.get("/".join(parts[start:]))
            if product is not None:
                return product, normalise_version(tag)
    return None


def _display_name(app_name: str, product: Product | None, workload: str) -> str:
    """What the component is called: ``app.kubernetes.io/name`` when set (naming the
    application is that label's purpose), written as the product is when it names a
    known one; else the recognised product; else the workload's own name (always kept
    beside it as ``workload_name``)."""
    if app_name:
        known = _BY_NAME.get(app_name.lower())
        return known.name if known is not None else app_name[:200]
    return product.name if product is not None else workload


def classify_workload(
    namespace: str,
    kind: str,
    name: str,
    labels: Mapping[str, str],
    images: Iterable[str],
    ready: int,
    desired: int,
) -> ComponentFacts:
    """Recognise one workload (Deployment, StatefulSet, DaemonSet) as a known product."""
    images = tuple(images)
    chart_name, chart_version = split_chart(labels.get("helm.sh/chart", ""))
    product = None
    for key in ("app.kubernetes.io/name", "app", "k8s-app"):
        value = labels.get(key, "").strip().lower()
        if value and value in _BY_NAME:
            product = _BY_NAME[value]
            break
    if product is None and chart_name:
        product = _BY_NAME.get(chart_name.lower())
    image_match = _match_image(images)
    image_version = ""
    if image_match is not None:
        if product is None:
            product = image_match[0]
        if image_match[0] is product:
            image_version = image_match[1]
    if product is None and labels.get("app.kubernetes.io/part-of", "").lower() == "kubeflow":
        product = _BY_NAME["kubeflow"]
    if product is None:
        product = _BY_NAME.get(name.lower())
    version = (
        normalise_version(labels.get("app.kubernetes.io/version", ""))
        or image_version
        or (normalise_version(chart_version) if product is not None else "")
    )
    if product is None:
        # Unknown software still shows what runs: its declared version or first image tag.
        version = normalise_version(labels.get("app.kubernetes.io/version", "")) or next(
            (normalise_version(split_image(i)[1]) for i in images if split_image(i)[1]), ""
        )
    return ComponentFacts(
        namespace=namespace,
        kind=kind,
        workload_name=name,
        name=_display_name(labels.get("app.kubernetes.io/name", "").strip(), product, name),
        category=product.category if product else UNCLASSIFIED,
        version=version,
        images=images,
        ready_replicas=ready,
        desired_replicas=desired,
    )
