"""The `cargotrace` entry point: the app with every command registered, and one-line errors.

Why a module of its own: the commands import the app and shared options from `cli.app`; this
module imports the commands (which registers them on the app) and runs it. So imports go one way,
app <- commands <- main, with no module importing one that imports it back.
"""

from __future__ import annotations

import sys

import typer

from cargotrace.cli.app import app, err
from cargotrace.cli.commands import (
    campaign,
    case,
    demo,
    detect,
    evaluate,
    export,
    ingest,
    lake,
    places,
    report,
    route,
    sanctions,
    screen,
    simulate,
    vessel,
    vessels,
)
from cargotrace.errors import CargotraceError

__all__ = ["COMMAND_MODULES", "main"]

# Importing a command module registers its commands on `app` (one module per job).
COMMAND_MODULES = (campaign, case, demo, detect, evaluate, export, ingest, lake, places, report,
                   route, sanctions, screen, simulate, vessel, vessels)


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
