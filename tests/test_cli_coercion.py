"""Issue 16: command-line values converted without pydantic (cli/coercion.py) are exactly what
typer's own (pydantic) coercion gives, value or error, for every option and argument of every
command, on well-formed and malformed values alike; and the fast path really avoids pydantic."""

from __future__ import annotations

import os
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer
from typer._coercion import build_runtime_param
from typer.core import _TyperParameter

import cargotrace
from cargotrace.cli.coercion import TYPER_VERSION
from cargotrace.cli.main import app

SAMPLES: dict[Any, list[Any]] = {
    str: ["abc", "", " x ", "ünï", "-"],
    int: ["12", "-3", "+4", "007", "1_000", " 5", "x", "1.0", "", 7],
    float: ["2.5", "1e3", ".5", "-0", "5.", "nan", "inf", "x", "1,5", "", 2.0, 3],
    Path: ["a/b.csv", ".", "-", "lake:/tmp/x", ""],
}


def _samples(annotation: Any) -> list[Any]:
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return [tuple(_samples(item)[:3]), (), ("only",)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        members = list(annotation)
        return [m.value for m in members] + [str(m.value).upper() for m in members] + [
            members[0], "bogus", ""]
    return SAMPLES.get(annotation, ["x"])


def _outcome(coerce: Any, value: Any, param: Any, ctx: Any) -> tuple[str, Any]:
    try:
        got = coerce(value, param=param, ctx=ctx)
        return "value", (repr(got), type(got))  # repr: nan equals nan
    except Exception as exc:  # typer's BadParameter: compare its message
        return type(exc).__name__, str(exc)


def _parameters() -> list[tuple[str, Any, Any]]:
    root = typer.main.get_command(app)
    found = []

    def walk(cmd: Any, path: str) -> None:
        ctx = typer._click.Context(cmd)
        for name in getattr(cmd, "list_commands", lambda _: [])(ctx):
            walk(cmd.get_command(ctx, name), f"{path} {name}".strip())  # loads lazy ones
        for param in cmd.params:
            if isinstance(param, _TyperParameter) and param.type_descriptor.annotation is not bool:
                found.append((f"{path} {param.name}", cmd, param))

    walk(root, "")
    return found


def test_same_values_and_errors_as_typers_own_coercion() -> None:
    assert typer.__version__ == TYPER_VERSION  # else the fast path is off (and this is moot)
    compared = 0
    for where, cmd, param in _parameters():
        ctx = typer._click.Context(cmd)
        param._runtime_param = None
        ours = param.get_runtime_param()._coerce_value
        typers = build_runtime_param(param.type_descriptor)._coerce_value
        for value in _samples(param.type_descriptor.annotation):
            assert _outcome(ours, value, param, ctx) == _outcome(typers, value, param, ctx), (
                where, value)
            compared += 1
    assert compared > 300


def test_a_command_with_every_plain_option_type_imports_no_pydantic(
        tmp_path: Path, shared_data: Path) -> None:
    """`ingest` (Path list, str, float, Enum and int options) of a real CSV in a fresh
    interpreter: stored, and neither pydantic nor numpy, pyarrow or pandas loaded (the CSV is
    read by DuckDB's read_csv; issue 16)."""
    import pandas as pd

    path = shared_data / "ais_positions" / "stonesoup_SolentAIS_20160112_130211.csv"
    script = ("import json, sys\nfrom cargotrace.cli.main import main\n"
              "sys.argv = ['cargotrace', *sys.argv[1:]]\n"
              "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code\n"
              "print(json.dumps(sorted(m for m in ('pydantic', 'numpy', 'pyarrow', 'pandas') "
              "if m in sys.modules)), file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    store = tmp_path / "s.duckdb"
    done = subprocess.run([sys.executable, "-c", script, "ingest", str(path), "--store",
                           str(store), "--format", "generic", "--max-part-gap", "2.5", "-q",
                           "--json"], capture_output=True, text=True, env=env, check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr.strip().splitlines()[-1] == "[]"
    rows = pd.read_csv(path, dtype=str)
    key = ["MMSI", "Time", "Latitude_degrees", "Longitude_degrees"]
    with cargotrace.open_store(store, read_only=True) as st:
        assert st.count("positions") == len(rows.drop_duplicates(key)) > 1000


@pytest.mark.parametrize("bad", ["x", "1.5"])
def test_a_malformed_number_gets_typers_message(bad: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["vessels", "--store", str(tmp_path / "none.duckdb"),
                                      "--limit", bad])
    assert result.exit_code == 2
    assert "Invalid value for '--limit'" in result.output
