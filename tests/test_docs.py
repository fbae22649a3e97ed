"""Docs are part of the product: every command, parameter, reason code and column is documented."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import re
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import cargotrace
from cargotrace.ingest.reasons import QuarantineReason
from cargotrace.store.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _generator(name: str = "gen_reference") -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / f"tools/{name}.py")
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


def test_parameter_reference_is_up_to_date() -> None:
    expected = _generator("gen_parameters").render()  # type: ignore[attr-defined]
    assert (DOCS / "reference/parameters.md").read_text() == expected, (
        "docs/reference/parameters.md is stale: run `python tools/gen_parameters.py`"
    )


def _parameter_classes() -> list[type]:
    """Every frozen dataclass of the package whose fields carry help: found by importing every
    source file, not from the generator's list of modules."""
    found = []
    for path in sorted((ROOT / "cargotrace").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        module = importlib.import_module(name)
        found += [
            obj for obj in vars(module).values()
            if isinstance(obj, type) and dataclasses.is_dataclass(obj)
            and obj.__module__ == name and obj.__dataclass_params__.frozen  # type: ignore[attr-defined]
            and any("help" in f.metadata for f in dataclasses.fields(obj))
        ]
    return found


def test_parameters_live_in_one_module_per_layer() -> None:
    """detect/params/ (a package), routes/params.py, ...: a newcomer finds every knob of a
    layer there."""
    classes = _parameter_classes()
    assert len(classes) >= 20
    misplaced = [f"{c.__module__}.{c.__name__}" for c in classes
                 if not (c.__module__.endswith(".params") or ".params." in c.__module__)
                 and c.__module__ != "cargotrace.demo"]
    assert misplaced == []


# STYLE.md's unit suffixes, restated: the page must spell out the unit a name carries.
UNITS = {"_h": "hours", "_min": "minutes", "_s": "seconds", "_d": "days", "_m": "metres",
         "_km": "km", "_nm": "nautical miles", "_kn": "knots", "_px": "pixels"}


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}()"
    return "empty" if value in ("", ()) else str(value)


def test_every_parameter_field_is_documented_with_unit_and_default() -> None:
    page = (DOCS / "reference/parameters.md").read_text()
    for cls in _parameter_classes():
        heading = f"### `{cls.__name__}`\n"
        assert heading in page, cls.__name__
        section = re.split(r"\n##", page.split(heading, 1)[1], maxsplit=1)[0]
        defaults = cls()
        for f in dataclasses.fields(cls):
            where = f"{cls.__name__}.{f.name}"
            row = re.search(rf"^\| `{f.name}` \| ([^|]+) \| `([^`]*)` \| (.+) \|$", section,
                            re.MULTILINE)
            assert row, f"undocumented: {where}"
            unit, default, meaning = (g.strip() for g in row.groups())
            assert default == _default_text(getattr(defaults, f.name)), where
            assert unit and meaning == " ".join(f.metadata["help"].split()).replace("|", "\\|")
            suffix = next((s for s in sorted(UNITS, key=len, reverse=True)
                           if f.name.endswith(s)), None)
            if suffix:
                assert unit == UNITS[suffix], where
