"""Workloads are recognised as known ML or auxiliary products from labels, charts, images."""

from __future__ import annotations

import pytest

from inventory.sources.components import (
    PRODUCTS,
    classify_workload,
    normalise_version,
    split_chart,
    split_image,
)

K8S = "app.kubernetes.io/name"
VERSION = "app.kubernetes.io/version"
CHART = "helm.sh/chart"


@pytest.mark.parametrize(
    ("labels", "images", "name", "category", "version"),
    [
        ({K8S: "mlflow", VERSION: "2.14.1", CHART: "mlflow-0.7.19"},
         ["ghcr.io/mlflow/mlflow:v2.14.1"], "MLflow", "ml", "2.14.1"),
        ({CHART: "mlflow-0.7.19"}, ["docker.io/library/python:3.11"], "MLflow", "ml", "0.7.19"),
        ({}, ["ghcr.io/mlflow/mlflow:v2.14.1"], "MLflow", "ml", "2.14.1"),
        ({"app": "ml-pipeline"}, ["gcr.io/ml-pipeline/api-server:2.2.0"], "Kubeflow", "ml", "2.2.0"),
        ({"app.kubernetes.io/part-of": "kubeflow"}, ["busybox"], "Kubeflow", "ml", ""),
        ({}, ["allegroai/clearml:1.15.1"], "ClearML", "ml", "1.15.1"),
        ({K8S: "guild"}, [], "guild.ai", "ml", ""),
        ({}, ["polyaxon/polyaxon-api:2.2.0"], "Polyaxon", "ml", "2.2.0"),
        ({"component": "scheduler", CHART: "airflow-1.13.1"}, ["apache/airflow:2.9.2"],
         "Airflow", "ml", "2.9.2"),
        ({K8S: "dagster"}, ["docker.io/dagster/dagster-k8s:1.7.10"], "Dagster", "ml", "1.7.10"),
        ({}, ["prefecthq/prefect:2.19.4-python3.11"], "Prefect", "ml", "2.19.4-python3.11"),
        ({}, ["docker.io/seldonio/seldon-core-operator:1.18.1"], "Seldon Core", "ml", "1.18.1"),
        ({"control-plane": "kserve-controller-manager"},
         ["kserve/kserve-controller:v0.13.0"], "KServe", "ml", "0.13.0"),
        ({}, ["quay.io/bentoml/yatai:1.1.13"], "BentoML", "ml", "1.1.13"),
        ({K8S: "feast"}, ["feastdev/feature-server:0.38.0"], "Feast", "ml", "0.38.0"),
        ({K8S: "keycloak"}, ["quay.io/keycloak/keycloak:25.0.1"], "Keycloak", "auxiliary", "25.0.1"),
        ({K8S: "grafana", VERSION: "11.1.0"}, ["docker.io/grafana/grafana:11.1.0"],
         "Grafana", "auxiliary", "11.1.0"),
        ({}, ["quay.io/prometheus/prometheus:v2.51.0"], "Prometheus", "auxiliary", "2.51.0"),
        ({}, ["quay.io/prometheus/node-exporter:v1.8.1"], "Prometheus node exporter",
         "auxiliary", "1.8.1"),
        ({K8S: "loki"}, ["grafana/loki:3.0.0"], "Loki", "auxiliary", "3.0.0"),
        ({K8S: "traefik", CHART: "traefik-28.3.0"}, ["docker.io/traefik:v3.0.4"],
         "Traefik", "auxiliary", "3.0.4"),
        ({}, ["nvcr.io/nvidia/gpu-operator:v24.3.0"], "NVIDIA GPU Operator", "auxiliary", "24.3.0"),
        ({"name": "nvidia-device-plugin-ds"}, ["nvcr.io/nvidia/k8s-device-plugin:v0.15.0"],
         "NVIDIA device plugin", "auxiliary", "0.15.0"),
        ({"app": "nvidia-dcgm-exporter"}, ["nvcr.io/nvidia/k8s/dcgm-exporter:3.3.6-3.4.2-ubuntu22.04"],
         "DCGM exporter", "auxiliary", "3.3.6-3.4.2-ubuntu22.04"),
        # GFD now ships in the device plugin's image: the name label must win.
        ({K8S: "gpu-feature-discovery"}, ["nvcr.io/nvidia/k8s-device-plugin:v0.15.0"],
         "GPU feature discovery", "auxiliary", ""),
        ({CHART: "kube-prometheus-stack-58.1.0"}, [], "Prometheus", "auxiliary", "58.1.0"),
    ],
)  # fmt: skip
def test_known_products_are_recognised(labels, images, name, category, version):
    facts = classify_workload("ns", "Deployment", "wl", labels, images, 1, 2)
    assert (facts.name, facts.category, facts.version) == (name, category, version)
    assert (facts.namespace, facts.kind, facts.workload_name) == ("ns", "Deployment", "wl")
    assert (facts.ready_replicas, facts.desired_replicas) == (1, 2)
    assert facts.images == tuple(images)


def test_an_unknown_workload_is_unclassified_under_its_own_name():
    facts = classify_workload(
        "team-a", "Deployment", "churn-scorer", {VERSION: "v1.4.0", "app": "churn"},
        ["registry.local:5000/team-a/churn-scorer:1.4.0"], 2, 2,
    )  # fmt: skip
    assert (facts.name, facts.category, facts.version) == ("churn-scorer", "unclassified", "1.4.0")


def test_a_workload_named_like_a_product_is_recognised_last():
    facts = classify_workload("mlops", "StatefulSet", "mlflow", {}, ["python:3.11"], 1, 1)
    assert (facts.name, facts.version) == ("MLflow", "")


@pytest.mark.parametrize(
    ("image", "path", "tag"),
    [
        ("ghcr.io/mlflow/mlflow:v2.14.1", "mlflow/mlflow", "v2.14.1"),
        ("nginx", "nginx", ""),
        ("localhost:5000/app:1", "app", "1"),
        ("registry.local:5000/team/app", "team/app", ""),
        ("quay.io/prometheus/prometheus@sha256:abcd", "prometheus/prometheus", ""),
        ("Docker.IO/Grafana/Grafana:11.1.0", "grafana/grafana", "11.1.0"),
    ],
)
def test_images_split_into_path_and_tag(image, path, tag):
    assert split_image(image) == (path, tag)


def test_charts_split_at_the_version():
    assert split_chart("mlflow-0.7.19") == ("mlflow", "0.7.19")
    assert split_chart("kube-prometheus-stack-58.1.0") == ("kube-prometheus-stack", "58.1.0")
    assert split_chart("gpu-operator-v24.3.0") == ("gpu-operator", "v24.3.0")
    assert split_chart("no-version") == ("no-version", "")


def test_tags_that_are_not_versions_give_no_version():
    assert normalise_version("latest") == ""
    assert normalise_version("v3.0.4") == "3.0.4"
    assert normalise_version("vendor") == ""


def test_every_product_names_its_category():
    assert {p.category for p in PRODUCTS} == {"ml", "auxiliary"}
    names = [n for p in PRODUCTS for n in p.names]
    assert len(names) == len(set(names)), "a name must point to one product"


def test_a_component_is_named_by_its_app_kubernetes_io_name_with_the_workload_beside():
    facts = classify_workload(
        "search", "Deployment", "ranker-v2-canary", {K8S: "query-ranker"}, ["x/ranker:1.4"], 1, 1
    )
    assert (facts.name, facts.workload_name, facts.category) == (
        "query-ranker", "ranker-v2-canary", "unclassified",
    )  # fmt: skip
    # A label naming a known product keeps the product's own spelling.
    facts = classify_workload("ml", "Deployment", "tracking", {K8S: "MLFLOW"}, [], 1, 1)
    assert (facts.name, facts.workload_name) == ("MLflow", "tracking")
    # Recognised by its image, named by its label: the label says what the team calls it.
    facts = classify_workload(
        "ml", "Deployment", "exp", {K8S: "experiments"}, ["ghcr.io/mlflow/mlflow:v2.14.1"], 1, 1
    )
    assert (facts.name, facts.category) == ("experiments", "ml")
