"""The `cargotrace` command: each command parses options, calls the library and renders.

Results go to stdout (pipeable); progress, warnings and summaries to stderr. Any CargotraceError
becomes one line `Error: <message>` on stderr and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from cargotrace.errors import CargotraceError, ParamsError

app = typer.Typer(
    name="cargotrace",
    help="Trace covert cargo across sea and rail from open data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
places_app = typer.Typer(help="Load and list the places (ports, terminals, crossings) we watch.")
app.add_typer(places_app, name="places")

# Piped output is not cut to 80 columns: tables stay readable in files and logs.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Store file (default: $CARGOTRACE_STORE or ./cargotrace.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@app.callback()
def _configure(
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        handlers=[RichHandler(console=err, show_path=False)],
        format="%(message)s",
    )
    for noisy in ("py4j", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def parse_utc(text: str, flag: str) -> datetime:
    """An ISO 8601 time from the command line; naive times are UTC."""
    from datetime import UTC

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParamsError(f"{flag}: cannot read {text!r} as a time; use ISO 8601, "
                          "e.g. 2023-09-07T00:00:00Z") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def print_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


# --- commands are registered by importing their modules (one per job) ---
from cargotrace.cli_commands import case as _case  # noqa: E402,F401
from cargotrace.cli_commands import demo as _demo  # noqa: E402,F401
from cargotrace.cli_commands import detect as _detect  # noqa: E402,F401
from cargotrace.cli_commands import evaluate as _evaluate  # noqa: E402,F401
from cargotrace.cli_commands import export as _export  # noqa: E402,F401
from cargotrace.cli_commands import ingest as _ingest  # noqa: E402,F401
from cargotrace.cli_commands import places as _places  # noqa: E402,F401
from cargotrace.cli_commands import report as _report  # noqa: E402,F401
from cargotrace.cli_commands import route as _route  # noqa: E402,F401
from cargotrace.cli_commands import sanctions as _sanctions  # noqa: E402,F401
from cargotrace.cli_commands import screen as _screen  # noqa: E402,F401
from cargotrace.cli_commands import simulate as _simulate  # noqa: E402,F401
from cargotrace.cli_commands import vessel as _vessel  # noqa: E402,F401
from cargotrace.cli_commands import vessels as _vessels  # noqa: E402,F401


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
