"""What help shows for an option's value: plain metavars, never Python type names.

Why: typer 0.29 labels each value with its annotation (`<bool>` on a flag, `<list[Path]>`,
`<list[port_visit|gap|...]>`), which means nothing to an analyst and, for a long choice,
squeezed the option names at 80 columns. Help shows instead what click shows: nothing for a
flag, TEXT / INTEGER / FLOAT / PATH for a value (with `...` when the option repeats or the
argument takes several), the choices for a short choice, the option's name for a long one (its
help or the command's docstring lists the choices). A metavar given to the option wins.

Like `coercion.py`, this replaces a method of typer's parameter class, so it is installed only
for the pinned typer version; with another, typer's own labels show (less readable, same CLI).
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer

from cargotrace.cli.coercion import TYPER_VERSION

__all__ = ["choice_names", "hidden_choices", "install", "plain_metavar"]

_PLAIN = {str: "TEXT", int: "INTEGER", float: "FLOAT", Path: "PATH", _dt.datetime: "DATETIME"}
MAX_CHOICES_WIDTH = 16
"""A choice label longer than this shows as the option's name (e.g. KIND): at 80 columns the
value column is ~25 characters wide, and a longer label wrapped mid-word."""


def choice_names(annotation: Any) -> list[str] | None:
    """The choices of an Enum value (or list of them), else None."""
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    return None


def plain_metavar(annotation: Any, name: str | None) -> str:
    """The metavar of a value of type `annotation` for the parameter `name` (without `...`)."""
    choices = choice_names(annotation)
    if choices is not None:
        label = "[" + "|".join(choices) + "]"
        if len(label) <= MAX_CHOICES_WIDTH:
            return label
        return (name or "value").upper().replace("-", "_")
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    return _PLAIN.get(annotation, "VALUE")


def hidden_choices(annotation: Any, metavar: str | None) -> list[str]:
    """The choices the metavar does not show (listed after the option's help instead)."""
    choices = choice_names(annotation)
    if choices is None or metavar is not None:
        return []
    return [] if len("[" + "|".join(choices) + "]") <= MAX_CHOICES_WIDTH else choices


def install() -> None:
    """Make help show plain metavars (module docstring); idempotent.

    Typer's help renderer (`typer.rich_utils`: rich's markdown, syntax and traceback modules,
    ~0.05 CPU-s) is patched only when a help page is first formatted: a command that shows no
    help, such as `ingest`, never imports it (start-up, issue 16)."""
    if typer.__version__ != TYPER_VERSION:
        return
    from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption, _TyperParameter

    if getattr(_TyperParameter.display_type, "cargotrace", False):
        return

    def display_type(self: Any, ctx: Any) -> str:
        desc = self.type_descriptor
        label = plain_metavar(desc.annotation, self.name)
        repeats = desc.is_list and not (isinstance(self, TyperArgument) and self.nargs != 1)
        return label + "..." if repeats else label

    def option_display_type_rich(self: Any, ctx: Any) -> str | None:
        if self.metavar is not None:
            return str(self.metavar)
        if self.is_flag or self.count:
            return None  # a flag takes no value
        return display_type(self, ctx)

    def argument_display_type_rich(self: Any, ctx: Any) -> str | None:
        return display_type(self, ctx) + ("..." if self.nargs != 1 else "")

    for command in (TyperCommand, TyperGroup):
        command.format_help = _patching_help(command.format_help)  # type: ignore[method-assign]
    display_type.cargotrace = True  # type: ignore[attr-defined]
    _TyperParameter.display_type = display_type  # type: ignore[method-assign]
    TyperOption.display_type_rich = option_display_type_rich  # type: ignore[method-assign]
    TyperArgument.display_type_rich = argument_display_type_rich  # type: ignore[method-assign]


def _patching_help(format_help: Any) -> Any:
    """`format_help` that first lists the hidden choices after an option's help (once)."""

    def patched(self: Any, ctx: Any, formatter: Any) -> Any:
        _list_hidden_choices()
        return format_help(self, ctx, formatter)

    return patched


def _list_hidden_choices() -> None:
    """Make typer's help list, after an option's help, the choices its metavar does not show
    (`hidden_choices`); idempotent."""
    from rich.columns import Columns
    from rich.text import Text
    from typer import rich_utils

    typer_help = rich_utils._get_parameter_help
    if getattr(typer_help, "cargotrace", False):
        return

    def parameter_help(*, param: Any, ctx: Any, markup_mode: Any) -> Columns:
        help_columns = typer_help(param=param, ctx=ctx, markup_mode=markup_mode)
        desc = getattr(param, "type_descriptor", None)
        hidden = hidden_choices(desc.annotation, param.metavar) if desc is not None else []
        if hidden:
            help_columns.renderables.append(
                Text(f"[one of: {', '.join(hidden)}]", style=rich_utils.STYLE_OPTION_DEFAULT))
        return help_columns

    parameter_help.cargotrace = True  # type: ignore[attr-defined]
    rich_utils._get_parameter_help = parameter_help
