"""The built wheel holds every app of the repository with what it needs at run time:
an image that installs the package must not depend on the source tree being on
sys.path."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
RUN_TIME_FILES = {".py", ".html", ".mo", ".md", ".css", ".js", ".json", ".xml", ".svg"}


def test_the_wheel_holds_each_app_with_its_templates_migrations_and_catalogues(tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    tree = tmp_path / "tree"
    skip = shutil.ignore_patterns(".venv", ".git", "var", "node_modules", "build", "*.egg-info")
    shutil.copytree(ROOT, tree, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(tree)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    ours = [c for c in apps.get_app_configs() if Path(c.path).parent == ROOT]
    assert {c.name for c in ours} >= {"portal", "procedures", "inventory", "knowledge"}
    for config in ours:
        app_dir = Path(config.path)
        for path in app_dir.rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_dir() or "__pycache__" in relative:
                continue
            if path.suffix in RUN_TIME_FILES:
                assert relative in names, f"{relative} is not in the wheel"
