"""manage.py works in a bare checkout, and never turns debug on for a deployment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_DEBUG = ["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"]


def _manage(args, **env):
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECRET_KEY", "PORTAL_"))
    }
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_bare_checkout_runs_in_debug():
    result = _manage(PRINT_DEBUG)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_a_deployment_with_a_secret_keeps_debug_off():
    result = _manage(PRINT_DEBUG, SECRET_KEY="x" * 60, ALLOWED_HOSTS="portal.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
