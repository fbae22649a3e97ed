"""The parameters of lake housekeeping (`housekeeping.py`), with their defaults.

Why a module of its own: the CLI shows these defaults in `cargotrace lake … --help`, and start-up
must not import DuckDB or Arrow (tests/test_cli.py), which `housekeeping.py` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cargotrace.errors import ParamsError

DEFAULT_KEEP_VERSIONS = 10
"""Snapshots `vacuum` keeps: a reader that opened the lake up to this many commits ago can
still finish (a reader on a deleted version fails)."""

DEFAULT_MIN_FILES = 2
"""`compact` rewrites the day partitions holding at least this many files (any day with more
than one file, by default)."""


@dataclass(frozen=True)
class CompactParams:
    """Which day partitions `compact` rewrites."""

    min_files: int = DEFAULT_MIN_FILES
    """Rewrite a day only when it holds at least this many files (at least 2)."""
    day: str | None = None
    """Only this UTC day (`YYYY-MM-DD`); every day when None."""

    def __post_init__(self) -> None:
        if self.min_files < 2:
            raise ParamsError(f"--min-files {self.min_files}: must be at least 2 (a day of one "
                              "file is compact already)")
        if self.day is not None:
            try:
                day = date.fromisoformat(self.day)
            except ValueError as exc:
                raise ParamsError(f"--day {self.day!r}: not a date; use YYYY-MM-DD") from exc
            object.__setattr__(self, "day", day.isoformat())  # the partition's own spelling


