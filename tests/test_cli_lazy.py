"""The lazily registered commands (cli/lazy.py): the same help as typer's eager app, and a
command's module imported only when that command runs or shows its help (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

import cargotrace
from cargotrace.cli.commands import COMMANDS
from cargotrace.cli.lazy import summary_of

# Writes every command's and sub-command's `--help` (root first), walking the tree from the
# app, and after each which command modules are imported. EAGER: every command module imported
# first, in the order cli/main.py imported them before (alphabetical), and the app built as a
# plain TyperGroup: typer's own app, as it was. LAZY: the app as `cargotrace` runs it.
_HELPS = """
import contextlib, io, json, sys
import typer
from typer._click import Context
from cargotrace.cli.main import app, main

def command_modules():
    return sorted(m for m in sys.modules if m.startswith("cargotrace.cli.commands."))

if sys.argv[1] == "eager":
    import importlib, pkgutil, cargotrace.cli.commands as package
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        importlib.import_module(f"cargotrace.cli.commands.{info.name}")
    app.info.cls = typer.core.TyperGroup
helps, loaded = {}, {}

def walk(command, path):
    sys.argv = ["cargotrace", *path, "--help"]
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, (path, exc.code)
    helps[" ".join(path)] = shown.getvalue()
    loaded[" ".join(path)] = command_modules()
    if hasattr(command, "list_commands"):
        ctx = Context(command)
        for name in command.list_commands(ctx):
            walk(command.get_command(ctx, name), [*path, name])

walk(typer.main.get_command(app), [])
print(json.dumps({"helps": helps, "loaded": loaded}))
"""


def _helps(how: str) -> dict[str, dict[str, object]]:
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _HELPS, how], capture_output=True, text=True,
                          env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, dict[str, object]] = json.loads(done.stdout)
    return result


def test_every_help_is_the_eager_apps_and_imports_only_its_command() -> None:
    eager, lazy = _helps("eager"), _helps("lazy")
    assert len(eager["helps"]) >= 30  # 17 top-level commands and groups, their sub-commands
    assert list(lazy["helps"]) == list(eager["helps"])  # the same commands, in the same order
    for path, text in eager["helps"].items():
        assert lazy["helps"][path] == text, path
        assert "Usage" in str(text), path
    module_of = {c.name: c.module for c in COMMANDS}
    assert lazy["loaded"][""] == []  # `cargotrace --help` imports no command module
    seen: set[str] = set()
    for path, modules in lazy["loaded"].items():
        if not path:
            continue
        own = module_of[path.split()[0]]
        assert set(modules) - seen <= {own}, path  # its help imported its own module only
        seen.update(modules)


def test_the_listed_summaries_are_the_commands_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names and summaries the app knows before importing anything are those the
    command modules register (typer's plain group, built here with every module imported)."""
    import importlib

    from cargotrace.cli.main import app

    for spec in COMMANDS:
        importlib.import_module(spec.module)
    monkeypatch.setattr(app.info, "cls", typer.core.TyperGroup)
    eager = typer.main.get_command(app)
    assert type(eager) is typer.core.TyperGroup
    # (their order depends on which modules this process imported first: the test above
    # compares it in a fresh process)
    assert sorted(c.name for c in COMMANDS) == sorted(eager.commands)
    for spec in COMMANDS:
        assert spec.summary == summary_of(eager.commands[spec.name].help), spec.name
