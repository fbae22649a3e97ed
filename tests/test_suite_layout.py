"""The test suite's own layout (issue 22): test modules import shared builders from their
package's factories.py (or a helper module such as publish/browser.py), never from a sibling
test module or a conftest.py. A test module imported by another runs its fixtures' imports,
ties the two modules' fates together, and hides where a builder lives."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    """The last component of every module `path` imports (`from .test_x import y` -> test_x,
    `import tests.detect.conftest` -> conftest)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module.rsplit(".", 1)[-1])
        elif isinstance(node, ast.ImportFrom):  # `from . import test_x`
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.extend(alias.name.rsplit(".", 1)[-1] for alias in node.names)
    return names


def test_no_test_module_imports_a_test_module_or_a_conftest() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 80  # the walk found the suite
    offenders = {
        f"{path.relative_to(TESTS)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.startswith("test_") or name == "conftest"
    }
    assert not offenders, sorted(offenders)


def test_the_check_sees_each_form_of_import(tmp_path: Path) -> None:
    """The rule above would pass vacuously if the parser missed a form: each one is seen."""
    sample = tmp_path / "sample.py"
    sample.write_text("from .test_a import x\nfrom . import test_b\nimport tests.c.conftest\n"
                      "from .factories import T0\nimport math\n")
    assert imported_modules(sample) == ["test_a", "test_b", "conftest", "factories", "math"]
