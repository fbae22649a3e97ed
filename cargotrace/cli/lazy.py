"""The app's top level as a group that imports a command's module only when it is used.

Why: each command module imports what its command needs (the detectors, case building, the
simulator, followthemoney...), and registering all sixteen of them cost every command ~0.1 s
of imports before it started (issue 16: `--help`, `vessels` and `places list` within 0.35 s).
Here the group knows each top-level command by name, module and summary (the first paragraph
of its help, which `cargotrace --help` lists), so:

- `cargotrace --help` lists every command from the summaries and imports no command module;
- `cargotrace vessels ...` (or `cargotrace places list --help`) imports the one module that
  registers the command, then builds the command from that registration exactly as typer
  would have built it at start.

A command module still registers itself on the Typer app when imported (`@app.command()`,
`app.add_typer`), so the app built after every module was imported (as the tests and
tools/gen_reference.py see it) is typer's own, unchanged; tests/test_cli_lazy.py compares the
help of every command and sub-command both ways, and each summary with its command's help.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer._click import Command, Context
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command (or group of sub-commands) known before its module is imported.

    `summary` is what `cargotrace --help` lists: the first paragraph of the command's help,
    line breaks kept (typer's rich help shows them as written).
    """

    name: str
    module: str
    summary: str


def summary_of(help_text: str | None) -> str:
    """The first paragraph of a command's help, as typer lists it under "Commands"."""
    return inspect.cleandoc(help_text or "").split("\n\n")[0].strip()


class LazyGroup(TyperGroup):
    """A TyperGroup whose commands are placeholders until one is asked for by name.

    Subclasses say which commands exist (`lazy_commands`, in the order `--help` lists them)
    and which Typer app their modules register on (`typer_app`). `self.commands` holds every
    name from the start (so typer's listing order and its "Did you mean ...?" suggestions are
    unchanged); a placeholder there is a bare TyperCommand with the summary as its help, replaced
    by the real command the first time `get_command` is asked for it outside of the group's
    own help listing.
    """

    lazy_commands: Sequence[LazyCommand] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        built = dict(self.commands)
        commands: dict[str, Command] = {}
        for spec in self.lazy_commands:
            # places' group is registered by app.py, its commands only by its module
            known = built.pop(spec.name, None)
            if known is None or spec.module not in sys.modules:
                known = _Placeholder(spec)
            commands[spec.name] = known
        commands.update(built)  # registered outside the list (none of ours): after it
        self.commands = commands
        self._listing = False

    def typer_app(self) -> typer.Typer:
        """The app the command modules register on."""
        raise NotImplementedError

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Placeholder) and not self._listing:
            command = self.commands[cmd_name] = self._load(command.spec)
        return command

    def format_help(self, ctx: Context, formatter: Any) -> None:
        with self._listing_only():
            super().format_help(ctx, formatter)

    @contextmanager
    def _listing_only(self) -> Iterator[None]:
        """While the group's own help is written, commands are listed from their summaries."""
        self._listing = True
        try:
            yield
        finally:
            self._listing = False

    def _load(self, spec: LazyCommand) -> Command:
        """Import the command's module (which registers it) and build it as typer does."""
        __import__(spec.module)  # not importlib's: `python -X importtime` shows this one
        app = self.typer_app()
        short, markup = app.pretty_exceptions_short, app.rich_markup_mode
        for info in app.registered_commands:
            name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
            if name == spec.name:
                return typer.main.get_command_from_info(
                    info, pretty_exceptions_short=short, rich_markup_mode=markup)
        for group in app.registered_groups:
            if group.name == spec.name:
                return typer.main.get_group_from_info(
                    group, pretty_exceptions_short=short, rich_markup_mode=markup,
                    suggest_commands=app.suggest_commands)
        raise LookupError(f"importing {spec.module} registered no command {spec.name!r}")


class _Placeholder(TyperCommand):
    """A command as `--help` lists it: name and summary, nothing imported."""

    def __init__(self, spec: LazyCommand) -> None:
        super().__init__(name=spec.name, help=spec.summary)
        self.spec = spec
