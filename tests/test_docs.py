"""Docs are part of the product: every command, parameter, reason code and column is documented."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import cargotrace
from cargotrace.ingest.reasons import QuarantineReason
from cargotrace.store.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "tools/gen_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date() -> None:
    expected = _generator().render()  # type: ignore[attr-defined]
    assert (DOCS / "reference/cli.md").read_text() == expected, (
        "docs/reference/cli.md is stale: run `python tools/gen_reference.py`"
    )


def test_every_parameter_has_help() -> None:
    reference = (DOCS / "reference/cli.md").read_text()
    for line in reference.splitlines():
        if line.startswith("- `"):
            assert not line.rstrip().endswith(":"), f"undocumented: {line}"


def test_every_quarantine_reason_is_documented() -> None:
    page = (DOCS / "reference/quarantine-reasons.md").read_text()
    for reason in QuarantineReason:
        assert f"| `{reason.value}` |" in page, reason


def test_every_store_column_is_documented(tmp_path: Path) -> None:
    page = (DOCS / "reference/store.md").read_text()
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        for table in TABLES:
            assert f"## {table}" in page, table
            for (column,) in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall():
                assert re.search(rf"\b{column}\b", page), f"{table}.{column}"


def test_readme_starts_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```") + 1 : lines.index("```") + 3]
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
