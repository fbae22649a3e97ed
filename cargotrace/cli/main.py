"""The `cargotrace` entry point: the app, and library errors as one line.

The app lists every command without importing the command modules (cli/lazy.py): running or
asking for the help of one command imports its module only, so `cargotrace vessels` does not
pay for the detectors, the simulator or followthemoney. Imports go one way, app <- commands,
and this module imports neither the commands nor anything that imports it back.
"""

from __future__ import annotations

import sys

import typer

from cargotrace.cli.app import app, err
from cargotrace.errors import CargotraceError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: map library errors to one line and exit code 1."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except CargotraceError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Aborted.")
        sys.exit(130)
    except Exception as exc:  # Click usage errors (vendored by Typer) carry exit_code 2
        exit_code = getattr(exc, "exit_code", None)
        show = getattr(exc, "show", None)
        if exit_code is not None and callable(show):
            show()
            sys.exit(exit_code)
        raise
