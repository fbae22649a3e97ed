"""Help texts an analyst can read (cli/metavars.py, app.py's store_option and kinds_help): no
Python type names, one wording for --store, the event kinds listed, nothing cut at 80 columns."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer._click import Context
from typer.testing import CliRunner

from cargotrace.cli.app import STORE_HELP
from cargotrace.cli.commands.detect import DETECTED_KINDS
from cargotrace.cli.main import app
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.registry import SUPPORTED

# what typer 0.29 printed before: <bool>, <list[Path]>, <str>, <int>, <float>, <path>, ...
PYTHON_TYPE = re.compile(r"<(bool|str|int|float|path|Path|datetime)>|list\[|<list")


def _paths() -> Iterator[list[str]]:
    """Every command and sub-command, root first."""
    def walk(command: object, path: list[str]) -> Iterator[list[str]]:
        yield path
        if hasattr(command, "list_commands"):
            ctx = Context(command)  # type: ignore[arg-type]
            for name in command.list_commands(ctx):
                yield from walk(command.get_command(ctx, name), [*path, name])  # type: ignore[attr-defined]
    yield from walk(typer.main.get_command(app), [])


@pytest.fixture(scope="module")
def helps() -> dict[str, str]:
    """Every command's --help at 80 columns, rendered by typer's runner."""
    runner = CliRunner()
    shown = {}
    for path in _paths():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80", "TERM": "dumb"},
                               terminal_width=80)
        assert result.exit_code == 0, (path, result.output)
        shown[" ".join(path)] = result.output
    assert len(shown) > 20  # the walk reached the sub-commands
    return shown


def test_no_help_shows_a_python_type_name(helps: dict[str, str]) -> None:
    shown = {name: PYTHON_TYPE.findall(text) for name, text in helps.items()}
    assert {name: found for name, found in shown.items() if found} == {}
    # flags take no value; values show a plain metavar
    ingest = helps["ingest"]
    assert re.search(r"--time-from-filename\s+Receive time", ingest)
    assert re.search(r"paths\.\.\.\s+PATH\.\.\.", ingest)
    assert re.search(r"--max-part-gap\s+FLOAT", ingest)


def test_every_store_option_says_what_a_store_is_in_the_same_words(helps: dict[str, str]
                                                                   ) -> None:
    with_store = {name: " ".join(text.split()) for name, text in helps.items()
                  if re.search(r"--store\s", text)}
    assert {"ingest", "export", "detect", "events", "report"} <= set(with_store)
    # rich wraps the table cells: compare with the borders and line breaks taken out
    flat = {name: re.sub(r"\s*│\s*", " ", text) for name, text in with_store.items()}
    assert [name for name, text in flat.items() if " ".join(STORE_HELP.split()) not in
            " ".join(text.split())] == []


def test_kind_options_list_the_kinds(helps: dict[str, str]) -> None:
    for command, kinds in (("events", list(EventKind)), ("export", list(EventKind)),
                           ("evaluate", list(EventKind)), ("detect", DETECTED_KINDS)):
        flat = " ".join(re.sub(r"\s*│\s*", " ", helps[command]).split())
        assert [k for k in kinds if str(k) not in flat] == [], command
    # detect lists the kinds it accepts without importing every detector
    assert set(DETECTED_KINDS) == set(SUPPORTED)


def test_nothing_is_cut_at_80_columns(helps: dict[str, str]) -> None:
    assert [name for name, text in helps.items() if "…" in text] == []
    assert "--instant-tolerance-min" in helps["evaluate"]


def test_long_choices_listed_after_the_help_and_the_renderer_imported_only_for_help(
        helps: dict[str, str]) -> None:
    """A choice too long for its metavar is listed after the option's help (`export --kind`,
    `ingest --format`), by a patch of typer's help renderer made when help is first shown: a
    command that shows none (`ingest`) does not import the renderer (start-up, issue 16)."""
    import subprocess
    import sys

    assert "[one of:" in helps["export"] and "[one of:" in helps["ingest"]
    code = ("import sys, cargotrace.cli.main as m, cargotrace.cli.app; "
            "print('typer.rich_utils' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert shown.stdout.split() == ["False"]
