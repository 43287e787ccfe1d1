"""No module longer than 500 lines: a longer one holds parts that deserve names of
their own (a module per part, as in knowledge/views/ or inventory/views_*.py).
Migrations are generated and tests read top to bottom; the benchmarks and scripts
are tools, not the portal."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "procedures", "knowledge", "inventory", "data", "skills")
SKIPPED = ("migrations", "tests")
LIMIT = 500


def long_modules(root: Path, limit: int = LIMIT) -> list[tuple[str, int]]:
    """(path, lines) of each module of the packages under ``root`` longer than
    ``limit`` lines, leaving out migrations and tests."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if any(part in SKIPPED for part in relative.parts):
                continue
            lines = len(path.read_text().splitlines())
            if lines > limit:
                found.append((str(relative), lines))
    return found


def test_no_module_is_longer_than_500_lines():
    assert [f"{path} is {lines} lines" for path, lines in long_modules(ROOT)] == []


def _module(root: Path, relative: str, lines: int) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(lines)))


def test_the_count_sees_package_modules_only(tmp_path):
    _module(tmp_path, "portal/long.py", LIMIT + 1)
    _module(tmp_path, "inventory/services/deep.py", LIMIT + 2)
    _module(tmp_path, "portal/at_the_limit.py", LIMIT)
    _module(tmp_path, "knowledge/migrations/0001_initial.py", LIMIT * 2)
    _module(tmp_path, "skills/tests/test_long.py", LIMIT * 2)
    _module(tmp_path, "bench/pages.py", LIMIT * 2)
    assert long_modules(tmp_path) == [
        ("portal/long.py", LIMIT + 1),
        ("inventory/services/deep.py", LIMIT + 2),
    ]
