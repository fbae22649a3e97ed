"""What every command shares: the Typer app, the store options, the consoles, opening the store.

Results go to stdout (pipeable); progress, warnings and summaries to stderr. Any CargotraceError
becomes one line `Error: <message>` on stderr and exit code 1 (`cli.main`), a value cargotrace
refuses included; exit code 2 is left to what Click's parser refuses (an unknown command or
option, a missing argument, a value of the wrong type): docs/reference/cli.md, "Exit codes".
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from cargotrace.cli.coercion import install as install_plain_coercion
from cargotrace.cli.commands import COMMANDS
from cargotrace.cli.lazy import LazyGroup
from cargotrace.cli.metavars import install as install_plain_metavars
from cargotrace.errors import ParamsError, StoreError, StoreNotFoundError

if TYPE_CHECKING:
    from cargotrace.store.store import Store

T = TypeVar("T")

install_plain_coercion()  # no pydantic import for plain option values (cli/coercion.py)
install_plain_metavars()  # help shows TEXT, PATH..., no Python type names (cli/metavars.py)


class _Commands(LazyGroup):
    """The top level: every command known by name, its module imported when it is used."""

    lazy_commands = COMMANDS

    def typer_app(self) -> typer.Typer:
        return app


app = typer.Typer(
    name="cargotrace",
    help="Trace covert cargo across sea and rail from open data.",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
# Here, not in commands/places.py: registered first, it is listed first of the groups
places_app = typer.Typer(help="Load and list the places (ports, terminals, crossings) we watch.",
                         rich_markup_mode="markdown")
app.add_typer(places_app, name="places")

# Piped output is not cut to 80 columns: tables stay readable in files and logs. No markup and
# no emoji codes: what we print holds untrusted text (broadcast names, file names, case titles)
# in which "[/]" crashed rich and "[bold]" or ":ship:" were taken as styles; we use neither.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200, markup=False,
              emoji=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

# Every command's --store says what a store is in the same words (STORE_HELP) and then how the
# command uses it (store_option). Four kinds (see open_cli_store): writing commands create a
# missing store, reading commands need one, and a few commands use one only when there is one.
STORE_HELP = "Store file, or a lake folder as lake:DIR"
STORE_DEFAULT = "(default: $CARGOTRACE_STORE or ./cargotrace.duckdb)"


def store_option(use: str, default: str = STORE_DEFAULT) -> Any:
    """The --store option of a command that uses its store as `use` says (its text follows
    STORE_HELP: "; created if missing", ", to read; it must exist")."""
    return typer.Option("--store", help=f"{STORE_HELP}{use} {default}.")


StoreOption = Annotated[Path | None, store_option("; created if missing")]
ReadStoreOption = Annotated[Path | None, store_option(", to read; it must exist")]
# detect and screen write events but work on what is stored: a new, empty store would only
# answer "0 events" or "0 hits", which reads like a finding, so they need an existing one
WorkStoreOption = Annotated[Path | None, store_option(", to work on; it must exist")]
OptionalStoreOption = Annotated[Path | None, store_option(
    ", to use if there is one; it must exist when given",
    "(default: $CARGOTRACE_STORE, else ./cargotrace.duckdb if it exists, else none)")]


def kinds_help(text: str, kinds: Iterable[str] | None = None) -> str:
    """`text` followed by the event kinds an option accepts (every EventKind by default), so
    help lists them from the one definition (detect/kinds.py)."""
    from cargotrace.detect.kinds import EventKind  # an enum only: cheap

    names = [str(k) for k in (EventKind if kinds is None else kinds)]
    return f"{text}: {', '.join(names)}."


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
    # numba logs every compiler pass at DEBUG: with -v, the first compiled NMEA scan printed
    # 380,000 lines (30 MB) and took 18x longer. Its warnings still show.
    logging.getLogger("numba").setLevel(logging.WARNING)


def parse_utc(text: str, flag: str) -> datetime:
    """An ISO 8601 time from the command line; naive times are UTC."""
    from datetime import UTC

    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParamsError(f"{flag}: cannot read {text!r} as a time; use ISO 8601, "
                          "e.g. 2023-09-07T00:00:00Z") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def store_path(store: Path | None) -> tuple[Path, str]:
    """The store a command uses, and where that choice came from (said in messages)."""
    if store is not None:
        return store, "--store"
    from cargotrace.store.store import DEFAULT_STORE, STORE_ENV  # commands load the store lazily

    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]), f"${STORE_ENV}"
    return Path(DEFAULT_STORE), "the default"


def _not_found(path: Path, origin: str) -> StoreError:
    from cargotrace.store.lake.layout import lake_location
    from cargotrace.store.store import STORE_ENV

    folder = lake_location(path)
    where = f"lake:{folder.absolute()}" if folder is not None else str(path.absolute())
    return StoreError(
        f"no store at {where} (from {origin}); choose one with --store PATH or "
        f"`export {STORE_ENV}=PATH` (`cargotrace demo` prints its store's); only ingest, "
        "places load, sanctions load and demo create a store"
    )


@contextmanager
def open_cli_store(store: Path | None, *, write: bool, read_only: bool = False) -> Iterator[Store]:
    """The command's store, open for the `with` block.

    Reading commands never create one: a missing store is a one-line error naming the path
    looked at. Commands that only read pass `read_only=True` (decided once per command): on a
    lake they take no writer lock, so they answer while an ingest runs; several of them can
    share a DuckDB file; and the library refuses any write through them in one line.
    Writing commands create it and say so once, when they succeed; a command that fails on
    the store it just created removes it, so a mistyped path leaves nothing behind.
    """
    from cargotrace.store.store import open_store
    from cargotrace.store.writes import is_write_failure, write_failure_cause

    path, origin = store_path(store)
    try:
        st = open_store(path, read_only=read_only, create=write)
    except StoreNotFoundError as exc:
        raise _not_found(path, origin) from exc
    try:
        yield st
    except BaseException as exc:
        try:
            st.abort()  # a lake discards what it had not committed
        except Exception:  # an invalidated database: the cause to report is `exc`
            pass
        st.remove_created()
        if is_write_failure(exc):  # disk full and the like, outside an ingest's transaction
            cause = write_failure_cause(exc)
            raise StoreError(f"{path}: {cause} (cannot write the store)") from exc
        raise
    st.close()
    if st.created:
        made = "lake" if hasattr(st, "root") else "store"
        err.print(f"created {made} at {st.path.absolute()}", markup=False, highlight=False,
                  soft_wrap=True)


def optional_store(store: Path | None) -> Path | None:
    """For commands that also work without a store (report, case build, route): the store
    chosen with --store or $CARGOTRACE_STORE (which must exist), else ./cargotrace.duckdb when
    it exists, else None."""
    path, origin = store_path(store)
    from cargotrace.store.lake.layout import is_lake

    if path.exists() or is_lake(path):
        return path
    if origin == "the default":
        return None
    raise _not_found(path, origin)


def read_optional_store(store: Path | None, work: Callable[[Store | None], T]) -> T:
    """`work` on the store `optional_store` chooses, opened read-only for the call, or on None
    when there is none: one way for the commands that also work without a store."""
    path = optional_store(store)
    if path is None:
        return work(None)
    with open_cli_store(path, write=False, read_only=True) as st:
        return work(st)


def check_limit(limit: int | None, what: str) -> None:
    """A one-line error (exit 1, as every value cargotrace refuses) unless `limit` (a
    `--limit` value; None: not given) is 1 or more: a negative value would go on to a slice
    and silently drop rows from the end. Checked here, not with Option(min=1): typer's range
    check imports pydantic."""
    if limit is not None and limit < 1:
        raise ParamsError(f"--limit: {limit} is not a number of {what} (1 or more)")


def print_json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")


def bounded(text: str, limit: int) -> str:
    """Untrusted text on one line, cut to `limit` characters with an ellipsis: a name or a
    citation can run to a paragraph, and a newline in it would forge a table row."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
