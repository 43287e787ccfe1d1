"""No function longer than 80 lines: a longer one has parts that deserve names, and
a reader should not have to scroll to see where a loop ends."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("portal", "procedures", "knowledge", "inventory", "data", "skills", "bench", "scripts")
LIMIT = 80


def long_functions(source: str, limit: int = LIMIT) -> list[tuple[str, int, int]]:
    """(name, first line, length) of each function, method or nested function whose
    ``def`` line to last line spans more than ``limit`` lines."""
    return [
        (node.name, node.lineno, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_no_function_is_longer_than_80_lines():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for name, line, length in long_functions(path.read_text()):
                found.append(f"{path.relative_to(ROOT)}:{line} {name}() is {length} lines")
    assert found == []


def _body(lines: int, indent: str) -> str:
    return "\n".join(f"{indent}x{i} = {i}" for i in range(lines))


def test_the_count_sees_methods_and_nested_functions():
    assert long_functions(f"def f():\n{_body(LIMIT, '    ')}\n") == [("f", 1, LIMIT + 1)]
    assert long_functions(f"def f():\n{_body(LIMIT - 1, '    ')}\n") == []
    nested = f"class A:\n    def m(self):\n        def inner():\n{_body(LIMIT, ' ' * 12)}\n"
    assert [name for name, _line, _n in long_functions(nested)] == ["m", "inner"]
