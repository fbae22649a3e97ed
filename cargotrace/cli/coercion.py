"""Command-line values of plain types converted without pydantic (typer 0.29's coercion).

Why: typer 0.29 builds a pydantic `TypeAdapter` for every parameter that is not a bool flag,
the first time a command parses its arguments, so every command paid pydantic's import, ~80 ms
of the 0.35 s an instant command may take (issue 16). Our commands take str, Path, int, float,
Enum choices and lists of them, which need no pydantic: a well-formed value is converted here
exactly as typer's adapter converts it (the same typer functions for choices and paths, so the
same `exists`/`dir_okay` checks). Anything else (a value that does not parse, a bounded number,
a custom parser, another type) goes to typer's own coercion, so its results and its error
messages stay typer's. tests/test_cli.py compares both ways on every option of every command.

This replaces one method of a private typer class, so it is installed only for the pinned
typer version; with any other, typer's own coercion runs unchanged (slower start, same values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

import typer

TYPER_VERSION = "0.29.1"  # the version whose private coercion API this module relies on
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class _NotPlain(Exception):
    """The value or its parameter is not one this module converts: typer's coercion does."""


def plain_value(annotation: Any, info: Any, value: Any, param: Any = None,
                ctx: Any = None) -> Any:
    """`value` (text from the command line, a tuple of them, or a default) converted to
    `annotation`, as typer's pydantic adapter would; `_NotPlain` when it must go to typer's
    coercion."""
    if info.parser is not None or info.min is not None or info.max is not None:
        raise _NotPlain
    if get_origin(annotation) is list:
        if not isinstance(value, (list, tuple)):
            raise _NotPlain
        (item,) = get_args(annotation)
        return [plain_value(item, info, v, param, ctx) for v in value]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(annotation, info, value, ctx)
    if annotation is Path and info.path_type is None and (isinstance(value, Path) or value):
        from typer._param_types import coerce_cli_path

        path = value if isinstance(value, Path) else Path(_text(value))
        return coerce_cli_path(path, info, path_type=Path, param=param, ctx=ctx)
    if annotation in (str, int, float) and type(value) is annotation:
        return value  # a default, or any text for str
    if annotation is int and _INT.fullmatch(_text(value)):
        return int(value)
    if annotation is float and _FLOAT.fullmatch(_text(value)):
        return float(value)
    raise _NotPlain


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _NotPlain
    return value


def _choice(annotation: type[Enum], info: Any, value: Any, ctx: Any) -> Any:
    """The member named by `value` (typer's own matching: case, token normalisation)."""
    from typer._param_types import coerce_cli_choice

    try:
        return coerce_cli_choice(value, choices=list(annotation),
                                 case_sensitive=info.case_sensitive, ctx=ctx)
    except ValueError as exc:
        raise _NotPlain from exc


def install() -> None:
    """Make typer convert plain values here (module docstring); idempotent."""
    if typer.__version__ != TYPER_VERSION:
        return
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer.core import _TyperParameter

    if getattr(_TyperParameter.get_runtime_param, "cargotrace", False):
        return

    @dataclass(frozen=True)
    class PlainParam(RuntimeParam):
        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return plain_value(self.annotation, self.parameter_info, value, param, ctx)
            except _NotPlain:
                typer_own = build_runtime_param(self.descriptor)
                return typer_own._coerce_value(value, param=param, ctx=ctx)

    typer_get = _TyperParameter.get_runtime_param

    def get_runtime_param(self: Any) -> Any:
        descriptor = self.type_descriptor
        if self._runtime_param is None and descriptor.file_annotation is None:
            self._runtime_param = PlainParam(annotation=descriptor.annotation,
                                             parameter_info=descriptor.parameter_info,
                                             descriptor=descriptor)
        return typer_get(self)

    get_runtime_param.cargotrace = True  # type: ignore[attr-defined]
    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


__all__ = ["TYPER_VERSION", "install", "plain_value"]
