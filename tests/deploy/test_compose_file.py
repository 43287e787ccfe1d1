"""docker-compose.yml is valid Compose and its parts point at things that exist.

No Docker engine runs in CI, so the file is checked against the Compose
Specification's JSON schema and its cross-references are followed by hand.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA = ROOT / "tests" / "fixtures" / "compose" / "compose-spec.json"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def schema_errors(document: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _depends_on(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck")
    return bool(check) and not check.get("disable") and bool(check.get("test"))


def _env_file_paths(service: dict) -> list[str]:
    files = service.get("env_file") or []
    if isinstance(files, str):
        files = [files]
    return [f if isinstance(f, str) else f["path"] for f in files]


def cross_reference_problems(document: dict, root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    services: dict = document.get("services", {})
    declared_volumes = set(document.get("volumes") or {})
    for name, service in services.items():
        for target, condition in _depends_on(service).items():
            if target not in services:
                problems.append(f"{name}: depends_on unknown service {target!r}")
            elif condition == "service_healthy" and not _has_healthcheck(services[target]):
                problems.append(f"{name}: waits for {target} to be healthy, it has no healthcheck")
            elif condition == "service_completed_successfully" and services[target].get(
                "restart", "no"
            ) not in ("no", False):
                problems.append(f"{name}: waits for {target} to complete, but it restarts")
        mode = service.get("network_mode", "")
        if mode.startswith("service:"):
            peer = mode.split(":", 1)[1]
            if peer not in services:
                problems.append(f"{name}: network_mode names unknown service {peer!r}")
            elif peer not in _depends_on(service):
                problems.append(f"{name}: shares {peer}'s network but does not depend on it")
            if service.get("ports"):
                problems.append(f"{name}: publishes ports while sharing {peer}'s network")
        for path in _env_file_paths(service):
            # .env is local and ignored by git: its committed example must exist instead.
            candidate = root / (".env.example" if path == ".env" else path)
            if not candidate.is_file():
                problems.append(f"{name}: env_file {path} has no file {candidate.name}")
        build = service.get("build")
        if build:
            context = root / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = (
                "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            )
            if not (context / dockerfile).is_file():
                problems.append(f"{name}: no {dockerfile} in build context {context}")
        for volume in service.get("volumes") or []:
            source = (
                volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            )
            kind = "bind" if source.startswith((".", "/")) else "volume"
            if not isinstance(volume, str):
                kind = volume.get("type", kind)
            if kind == "bind" and not (root / source).exists():
                problems.append(f"{name}: bind mount {source} does not exist")
            elif kind == "volume" and source and source not in declared_volumes:
                problems.append(f"{name}: named volume {source!r} is not declared")
    return problems


def test_it_is_valid_against_the_compose_specification(compose):
    assert schema_errors(compose) == []


def test_the_schema_check_can_fail(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["depends_on"]["migrate"]["condition"] = "when_it_feels_like_it"
    broken["services"]["db"]["helthcheck"] = {"test": ["CMD", "true"]}
    assert len(schema_errors(broken)) >= 2


def test_cross_references_hold(compose):
    assert cross_reference_problems(compose) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c["services"]["web"]["depends_on"].update({"ghost": {}}), "unknown service"),
        (lambda c: c["services"]["redis"].pop("healthcheck"), "no healthcheck"),
        (lambda c: c["services"]["db"]["volumes"].append("orphan:/x"), "not declared"),
        (lambda c: c["services"]["keycloak"]["volumes"].append("./nope.json:/x"), "does not exist"),
        (lambda c: c["services"]["worker"].update(env_file=["missing.env"]), "env_file"),
        (lambda c: c["services"]["migrate"].update(restart="always"), "restarts"),
    ],
)
def test_cross_reference_check_catches(compose, mutate, expected):
    broken = copy.deepcopy(compose)
    mutate(broken)
    assert any(expected in p for p in cross_reference_problems(broken))


def test_the_stack_has_every_part(compose):
    assert {"db", "redis", "keycloak", "migrate", "web", "worker", "beat", "gpu-agent"} <= set(
        compose["services"]
    )


def test_portal_processes_start_only_after_migrations(compose):
    for name in ("web", "worker", "beat", "gpu-agent"):
        deps = _depends_on(compose["services"][name])
        assert deps.get("migrate") == "service_completed_successfully", name
    assert _depends_on(compose["services"]["migrate"]) == {"db": "service_healthy"}


def test_keycloak_imports_the_realm_and_reports_readiness_on_the_management_port(compose):
    keycloak = compose["services"]["keycloak"]
    assert keycloak["image"].split(":")[-1].startswith("26.")
    assert keycloak["command"] == ["start-dev", "--import-realm"]
    assert keycloak["environment"]["KC_HEALTH_ENABLED"] == "true"
    assert {"KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"} <= set(
        keycloak["environment"]
    )
    mounts = [v.split(":")[:2] for v in keycloak["volumes"]]
    assert [
        "./deploy/keycloak/realm-mlops.json",
        "/opt/keycloak/data/import/realm-mlops.json",
    ] in mounts
    probe = " ".join(keycloak["healthcheck"]["test"])
    assert "/9000" in probe and "/health/ready" in probe


def test_the_browser_and_the_portal_reach_keycloak_at_one_url(compose):
    # Tokens carry the URL the browser used as their issuer; the portal must use it too.
    env = _example_env()
    assert env["KEYCLOAK_SERVER_URL"] == "http://localhost:8080"
    web, keycloak = compose["services"]["web"], compose["services"]["keycloak"]
    assert web["network_mode"] == "service:keycloak"
    published = {p.rsplit(":", 2)[-2] + ":" + p.rsplit(":", 1)[-1] for p in keycloak["ports"]}
    assert {"8080:8080", "8000:8000"} <= published


def test_worker_consumes_the_portal_queues(compose):
    command = compose["services"]["worker"]["command"]
    assert "--queues=default,inventory,notifications" in command


def test_gpu_agent_is_optional_and_reserves_nvidia_gpus(compose):
    agent = compose["services"]["gpu-agent"]
    assert agent["profiles"] == ["gpu"]
    assert "--queues=gpu-agents" in agent["command"]
    devices = agent["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert agent["environment"]["NODE_NAME"]
    for name, service in compose["services"].items():
        if name != "gpu-agent":
            assert "profiles" not in service, f"{name} would not start with a plain `up`"


def test_every_interpolated_variable_is_in_the_example_env_or_has_a_default():
    example = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    }
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for match in VARIABLE.finditer(text):
        has_default = match["rest"].startswith((":-", "-"))
        assert has_default or match["name"] in example, match["name"]


def test_the_real_env_file_stays_out_of_git_and_the_image():
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and "!.env.example" in ignored


def test_dockerfile_builds_a_non_root_image_with_static_files_and_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, flags=re.M)
    assert len(stages) >= 2
    runtime = text.split(f"AS {stages[-1]}", 1)[1]
    user = re.findall(r"^USER (\S+)", runtime, flags=re.M)
    assert user and not user[-1].startswith(("root", "0"))
    instructions = re.sub(r"\\\n\s*", " ", text).splitlines()
    collect = [line for line in instructions if "collectstatic" in line and line.startswith("RUN")]
    assert collect and "SECRET_KEY=" in collect[0], "collectstatic needs a build-time dummy key"
    assert "ENV SECRET_KEY" not in text and "ARG SECRET_KEY" not in text
    assert "HEALTHCHECK" in runtime and "urllib.request" in runtime and "/healthz" in runtime
    assert "gunicorn" in runtime and (ROOT / "deploy" / "gunicorn.conf.py").is_file()


def _example_env() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )


def test_the_example_env_matches_the_realm_that_compose_imports():
    # `docker compose up` then signing in as a demo person is the whole set-up, so the
    # portal's client settings must be the ones the imported realm defines.
    realm = json.loads((ROOT / "deploy" / "keycloak" / "realm-mlops.json").read_text())
    env = _example_env()
    assert env["KEYCLOAK_REALM"] == realm["realm"]
    (client,) = [c for c in realm["clients"] if c["clientId"] == env["KEYCLOAK_CLIENT_ID"]]
    assert client.get("secret") == env["KEYCLOAK_CLIENT_SECRET"]
    site = env["SITE_URL"].rstrip("/")
    assert any(uri.rstrip("*").rstrip("/") == site for uri in client["redirectUris"])
    hosts = env["ALLOWED_HOSTS"].split(",")
    assert site.split("://", 1)[1].split(":")[0] in hosts
    people = {u["username"] for u in realm.get("users", [])}
    assert {"alice", "bob", "carol", "dave"} <= people
