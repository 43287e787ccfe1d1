"""The README's tables name exactly the environment variables the code reads.

A variable read but not documented is a knob nobody can find; one documented but no
longer read is a promise the portal does not keep.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The typed helpers of portal/settings.py and plain os.environ / os.getenv reads.
READ = re.compile(
    r"""(?:\benv(?:bool|int|list|secret)?|environ\.get|environ\.setdefault|getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)
# Set by the processes themselves or by Django, not knobs for an operator.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE", "RUN_MAIN"}  # RUN_MAIN: runserver's reloader


def _code_files():
    skip = {".venv", "tests", "bench", "migrations", "node_modules", "var", "scripts"}
    for path in ROOT.rglob("*.py"):
        if not skip.intersection(path.relative_to(ROOT).parts):
            yield path


def read_by_code() -> dict[str, str]:
    found = {}
    for path in _code_files():
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            name = match.group(1) or match.group(2)
            if name.endswith("_FILE"):
                name = name.removesuffix("_FILE")
            found.setdefault(name, str(path.relative_to(ROOT)))
    return {name: where for name, where in found.items() if name not in NOT_SETTINGS}


def documented() -> set[str]:
    names = set()
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_every_variable_the_code_reads_is_documented():
    missing = {name: where for name, where in read_by_code().items() if name not in documented()}
    assert not missing, f"read but not in the README's tables: {missing}"


def test_every_documented_variable_is_read():
    stale = documented() - set(read_by_code())
    assert not stale, f"in the README's tables but read nowhere: {sorted(stale)}"
