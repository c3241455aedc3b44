"""The suite's own rules, checked on its source.

- No test module (or conftest) is imported by another file. Shared helpers live in
  tests/fakes/ and tests/harness.py, shared fixtures in the conftests. Importing a test
  module runs its tests twice (pytest collects what it imports) and ties one module's edits
  to another's; importing a conftest registers its fixtures twice.
- No clock is read at import time. A module-level `datetime.now()` is read once at
  collection, minutes before the tests that use it on a loaded machine, and on the other
  side of midnight for a run that crosses it: "today" then means two different days.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    return name.startswith("test_") or name == "conftest"


def forbidden_imports(source: str, package: str) -> list[str]:
    """The test modules and conftests that `source` (a file of `package`) imports."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the file's package
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            # `from tests.store import conftest` names the module among the imported names.
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "tests" and any(_is_test_module(part) for part in parts[1:]):
                found.append(target)
                break
    return found


CLOCKS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter"})


def clock_reads_at_import(source: str) -> list[int]:
    """Lines of module-level statements (outside functions and classes) that read a clock."""
    lines: list[int] = []
    for statement in ast.parse(source).body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in CLOCKS):
                lines.append(node.lineno)
    return lines


def test_no_file_in_tests_reads_a_clock_at_import() -> None:
    offenders = [f"{path.relative_to(TESTS.parent)}:{line}"
                 for path in sorted(TESTS.rglob("*.py"))
                 for line in clock_reads_at_import(path.read_text())]
    assert offenders == [], "read the clock in a fixture or test, not at import"


def test_the_clock_check_sees_module_level_reads_only() -> None:
    assert clock_reads_at_import("TODAY = datetime.now(UTC).date()\n") == [1]
    assert clock_reads_at_import("import time\nSTART = time.time()\n") == [2]
    assert clock_reads_at_import("AT = combine(date.today(), time(8))\n") == [1]
    assert clock_reads_at_import("def at():\n    return datetime.now(UTC)\n") == []
    assert clock_reads_at_import("NOON = time(12, 0)\n") == []  # a time of day, no clock


def test_no_file_in_tests_imports_a_test_module_or_a_conftest() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(TESTS.parent).parts[:-1])
        for target in forbidden_imports(path.read_text(), package):
            offenders.append(f"{path.relative_to(TESTS.parent)} imports {target}")
    assert offenders == [], "move shared helpers to tests/fakes/ or tests/harness.py"


def test_the_check_sees_each_form_of_the_import() -> None:
    # The rule itself, on lines that break it: absolute, relative, from a package, conftest.
    lines = {
        "from tests.telegram.test_bot import USER": True,
        "import tests.test_cli": True,
        "from .test_bot import USER": True,
        "from . import test_bot": True,
        "from tests.store import conftest": True,
        "from tests.store.conftest import TABLES": True,
        "from tests.fakes.botapi import FakeBotAPI": False,
        "from tests.harness import replies": False,
        "from tests.fakes import process": False,
        "from .strategies import entities": False,
    }
    for line, forbidden in lines.items():
        assert bool(forbidden_imports(line, "tests.telegram")) is forbidden, line
