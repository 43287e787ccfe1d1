"""One registration style: ``AppConfig.ready()`` calls each module's ``register()``;
importing a module registers nothing, so what an app adds does not depend on who
happened to import what first, and a registry that raises on duplicates sees each
name exactly once."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "procedures", "knowledge", "inventory", "data", "skills")

# Calls that put something into a registry (ours, Django's checks, signals, Celery).
REGISTERING = ("add_", "register", "role_rule", "notification_kind", "on_scrape", "connect")
# DRF routers and template libraries are objects of the module itself, read by the
# URL conf and the template engine; admin.py exists to be imported by Django's admin
# autodiscovery. None of them is a registry that an import fills by chance.
LOCAL_OBJECTS = {"router", "register", "admin"}


def _callee(node: ast.expr) -> tuple[str, str]:
    """(owner, name) of a call's function: ``registry.add_nav_item`` -> ("registry",
    "add_nav_item"), ``role_rule`` -> ("", "role_rule")."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        owner = node.value
        while isinstance(owner, ast.Attribute):
            owner = owner.value
        return (owner.id if isinstance(owner, ast.Name) else "", node.attr)
    return ("", node.id) if isinstance(node, ast.Name) else ("", "")


def _registers(call: ast.expr) -> bool:
    owner, name = _callee(call)
    return owner not in LOCAL_OBJECTS and any(
        name.startswith(p) or name.endswith(p) for p in REGISTERING
    )


def _module_level_registrations(tree: ast.Module) -> list[int]:
    """Lines where the module body (not a function's) registers something."""
    lines = []
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            lines += [d.lineno for d in statement.decorator_list if _registers(d)]
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and _registers(node):
                lines.append(node.lineno)
    return lines


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_registers_when_it_is_imported():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _sources()
        for line in _module_level_registrations(ast.parse(path.read_text()))
    ]
    assert found == []


def test_the_scan_sees_each_style_of_registration():
    """The scan above must be able to fail: each way of registering on import."""
    samples = {
        "registry.add_backup_part(1, 'x', f, g)": 1,
        "role_rule('x.read', PortalRole.VIEWER)": 1,
        "@register(deploy=True)\ndef check(app_configs, **kwargs): ...": 1,
        "for kind in KINDS:\n    post_save.connect(handler, sender=kind)": 1,
        "X = notification_kind('k', 'K', texts={})": 1,
        "router.register('nodes', NodeViewSet)": 0,
        "@register.filter\ndef markdown(value): ...": 0,
        "def register():\n    registry.add_seeder(1, 'x', f)": 0,
    }
    for source, expected in samples.items():
        assert len(_module_level_registrations(ast.parse(source))) == expected, source


def _ready_imports_left_unused(path: Path) -> list[str]:
    """Names ``ready()`` imports and never uses: imported for what the import does."""
    tree = ast.parse(path.read_text())
    unused = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "ready":
            imported = {
                (alias.asname or alias.name).split(".")[0]
                for statement in ast.walk(node)
                if isinstance(statement, ast.Import | ast.ImportFrom)
                for alias in statement.names
            }
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            unused += sorted(imported - used)
    return unused


def test_no_app_config_relies_on_an_import_side_effect():
    apps = sorted(ROOT.glob("*/apps.py"))
    assert {p.parent.name for p in apps} >= set(PACKAGES)
    for path in apps:
        assert "noqa: F401" not in path.read_text(), path
        assert _ready_imports_left_unused(path) == [], path


def test_importing_the_registering_modules_again_changes_nothing():
    """Each module ``ready()`` asks to register is imported a second time (reloaded)
    in a fresh process: every registry holds exactly what it held, and nothing raises
    as a duplicate would."""
    script = textwrap.dedent(
        """
        import importlib, django
        django.setup()
        from django.core import checks
        from django.db.models import signals
        from portal import notifications, policy
        from portal.celery import app
        from portal.registry import registry
        from inventory import findings

        def state():
            fields = {k: repr(sorted(map(repr, v)) if isinstance(v, list) else sorted(v))
                      for k, v in vars(registry).items()}
            return (
                fields, sorted(policy._RULES), sorted(findings.RULES),
                {verb: len(rules) for verb, rules in notifications._RULES.items()},
                sorted(notifications._CHECKS), len(checks.registry.registry.registered_checks),
                [len(s.receivers) for s in (signals.post_save, signals.post_delete,
                                            signals.m2m_changed, signals.post_migrate)],
                [q.name for q in app.conf.task_queues], sorted(app.conf.task_routes),
            )

        before = state()
        modules = [f"{app}.{m}" for app in ("procedures", "knowledge", "inventory", "data",
                                           "skills") for m in ("rules", "search", "backup",
                                                               "notifications")]
        modules += ["portal.api_tokens.rules", "portal.checks", "portal.home",
                    "portal.search.index", "portal.backup.core", "inventory.certificates",
                    "skills.sections"]
        reloaded = 0
        for name in modules:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            importlib.reload(module)
            reloaded += 1
        assert reloaded >= 25, reloaded
        after = state()
        assert after == before, [(a, b) for a, b in zip(before, after) if a != b]
        assert len(policy._RULES) > 40 and len(registry.search_providers) > 10
        print("same")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_TESTING": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "same"
