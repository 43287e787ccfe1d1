"""The Kubernetes manifests are valid for the API server and grant nothing but reads.

kubernetes-validate ships the API's JSON schemas, so this runs offline.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.31"
READ_VERBS = {"get", "list", "watch"}
# Kinds whose pods run the portal's image.
WORKLOADS = {"Deployment", "DaemonSet", "Job", "StatefulSet"}


def manifest_files() -> list[Path]:
    # *.example.yaml shows the shape of something created out of band (the Secret).
    return sorted(
        p
        for p in MANIFESTS.glob("*.yaml")
        if p.name != "kustomization.yaml" and not p.name.endswith(".example.yaml")
    )


def documents(paths=None) -> list[dict]:
    docs = []
    for path in paths or manifest_files():
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def by_kind(kind: str) -> list[dict]:
    return [d for d in documents() if d["kind"] == kind]


def one(kind: str, name: str) -> dict:
    (found,) = [d for d in by_kind(kind) if d["metadata"]["name"] == name]
    return found


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def rbac_problems(rules: list[dict]) -> list[str]:
    problems = []
    for rule in rules:
        verbs = set(rule.get("verbs", []))
        resources = set(rule.get("resources", []))
        if "*" in verbs | resources | set(rule.get("apiGroups", [])):
            problems.append(f"wildcard in {rule}")
        if not verbs <= READ_VERBS:
            problems.append(f"verbs beyond read: {sorted(verbs - READ_VERBS)}")
        if resources & {"secrets", "configmaps"} or any(
            r.split("/")[0] in {"secrets", "configmaps"} for r in resources
        ):
            problems.append(f"reads secrets or configmaps: {sorted(resources)}")
        if rule.get("nonResourceURLs"):
            problems.append("nonResourceURLs")
    return problems


@pytest.mark.parametrize(
    "path",
    [*manifest_files(), MANIFESTS / "secret.example.yaml"],
    ids=lambda p: p.name,
)
def test_every_manifest_is_valid_for_the_api_server(path):
    for doc in documents([path]):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_validation_rejects_a_misspelt_field():
    web = copy.deepcopy(one("Deployment", "portal-web"))
    web["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_and_nothing_else():
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in manifest_files())
    assert "secret.example.yaml" not in kustomization["resources"]


def test_rbac_grants_only_reads_of_what_the_inventory_reads():
    (role,) = by_kind("ClusterRole")
    assert rbac_problems(role["rules"]) == []
    granted = {
        (g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert granted == {
        ("", "nodes"),
        ("", "pods"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("", "persistentvolumeclaims"),
        ("networking.k8s.io", "ingresses"),
        ("storage.k8s.io", "storageclasses"),
        ("cert-manager.io", "certificates"),
    }
    assert by_kind("Role") == [] and by_kind("RoleBinding") == []


@pytest.mark.parametrize(
    "rule",
    [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "delete"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": ["*"], "resources": ["nodes"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["*"], "verbs": ["watch"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]},
    ],
)
def test_the_rbac_check_refuses(rule):
    assert rbac_problems([rule]) != []


def test_the_binding_gives_the_role_to_the_worker_and_the_watcher_alone():
    (binding,) = by_kind("ClusterRoleBinding")
    (role,) = by_kind("ClusterRole")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    (subject,) = binding["subjects"]
    assert subject["kind"] == "ServiceAccount"
    account = subject["name"]
    assert [a["metadata"]["name"] for a in by_kind("ServiceAccount")] == [account]
    for workload in documents():
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        if workload["metadata"]["name"] in ("portal-worker", "portal-watcher"):
            assert spec["serviceAccountName"] == account
        else:
            assert spec.get("automountServiceAccountToken") is False, workload["metadata"]["name"]


def test_web_is_replicated_probed_and_locked_down():
    web = one("Deployment", "portal-web")
    assert web["spec"]["replicas"] >= 2
    (container,) = pod_spec(web)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]  # noqa: S108
    (volume,) = [v for v in pod_spec(web)["volumes"] if v["name"] == tmp[0]["name"]]
    assert "emptyDir" in volume


def test_every_portal_container_is_non_root_with_a_read_only_root():
    for workload in documents():
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec.get("initContainers", []) + spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]


def test_no_secret_value_is_committed_outside_the_example():
    assert by_kind("Secret") == []
    for workload in documents():
        if workload["kind"] not in WORKLOADS:
            continue
        for container in pod_spec(workload)["containers"]:
            for var in container.get("env", []):
                if any(word in var["name"] for word in ("SECRET", "PASSWORD", "TOKEN", "_URL")):
                    if var["name"].endswith("_FILE"):
                        assert var["value"].startswith("/run/secrets/")
                    elif "value" in var:
                        pytest.fail(f"{var['name']} has a literal value")


def test_beat_runs_exactly_once():
    beat = one("Deployment", "portal-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}


def test_gpu_agent_runs_on_gpu_nodes_only_and_knows_its_node():
    agent = one("DaemonSet", "portal-gpu-agent")
    spec = pod_spec(agent)
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["runtimeClassName"] == "nvidia"
    assert any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
    (container,) = spec["containers"]
    node_name = next(v for v in container["env"] if v["name"] == "NODE_NAME")
    assert node_name["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert "--queues=gpu-agents" in container["command"]


def test_ingress_is_for_traefik_and_points_at_the_service():
    ingress = one("Ingress", "portal-web")
    assert ingress["spec"]["ingressClassName"] == "traefik"
    assert any(
        k.startswith("traefik.ingress.kubernetes.io/") for k in ingress["metadata"]["annotations"]
    )
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = one("Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    web = one("Deployment", "portal-web")
    assert (
        service["spec"]["selector"].items() <= web["spec"]["template"]["metadata"]["labels"].items()
    )


def test_web_has_a_disruption_budget_and_migrations_run_as_a_job():
    pdb = one("PodDisruptionBudget", "portal-web")
    web = one("Deployment", "portal-web")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= (
        web["spec"]["template"]["metadata"]["labels"].items()
    )
    job = one("Job", "portal-migrate")
    (container,) = pod_spec(job)["containers"]
    assert "migrate" in " ".join(container["command"])
    waits = [c["name"] for c in pod_spec(web).get("initContainers", [])]
    assert "wait-for-migrations" in waits


def test_config_and_secret_references_resolve():
    config_names = {c["metadata"]["name"] for c in by_kind("ConfigMap")}
    secret = yaml.safe_load((MANIFESTS / "secret.example.yaml").read_text())
    for workload in documents():
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        for container in spec.get("initContainers", []) + spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_names
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret["metadata"]["name"]
                    assert ref["key"] in secret["stringData"]
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                for item in volume["secret"]["items"]:
                    assert item["key"] in secret["stringData"]


def test_pods_run_as_the_user_the_image_creates():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    uid = int(re.search(r"^ARG PORTAL_UID=(\d+)$", dockerfile, flags=re.M).group(1))
    for workload in documents():
        if workload["kind"] in WORKLOADS:
            context = pod_spec(workload)["securityContext"]
            assert context["runAsUser"] == uid, workload["metadata"]["name"]
