"""The embedded store: one DuckDB file holding the core tables, exposed as Ibis tables.

Why DuckDB: columnar, embedded (no server for a laptop user), transactional (an ingest is all or
nothing), and Ibis compiles the same detector expressions to it and to PySpark.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from cargotrace.errors import StoreError, StoreNotFoundError
from cargotrace.store.schema import SCHEMA_VERSION, TABLES

DEFAULT_STORE = "cargotrace.duckdb"
STORE_ENV = "CARGOTRACE_STORE"
MEMORY_LIMIT_ENV = "CARGOTRACE_MEMORY_LIMIT"
"""DuckDB's `memory_limit` for every store opened (e.g. `6GB`; DuckDB's default is 80% of
RAM): past it, joins, sorts and windows spill to `CARGOTRACE_TEMP_DIR` instead of failing or
crowding the machine (docs/reference/performance.md)."""
TEMP_DIR_ENV = "CARGOTRACE_TEMP_DIR"
"""Where DuckDB spills (its `temp_directory`; default: `<store>.tmp` beside the store file)."""


_CREATE_TABLES = ";\n".join([
    "BEGIN TRANSACTION", *TABLES.values(),
    f"INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}') ON CONFLICT DO NOTHING",
    "COMMIT"])


def default_store_path() -> Path:
    """`$CARGOTRACE_STORE`, else `cargotrace.duckdb` in the working directory."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


def apply_settings(con: duckdb.DuckDBPyConnection, spill: Path | None = None) -> None:
    """The settings every store's connection runs with: UTC, no DuckDB progress bar (only the
    CLI draws on stderr), and the user's `CARGOTRACE_MEMORY_LIMIT` / `CARGOTRACE_TEMP_DIR`
    (else `spill`, when given, as the temporary folder). A bad value is a one-line error."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if spill is not None and not os.environ.get(TEMP_DIR_ENV):
        con.execute("SET temp_directory = ?", [str(spill)])
    for env, setting in ((MEMORY_LIMIT_ENV, "memory_limit"), (TEMP_DIR_ENV, "temp_directory")):
        value = os.environ.get(env)
        if value:
            try:
                con.execute(f"SET {setting} = ?", [value])
            except duckdb.Error as exc:
                con.close()
                raise StoreError(f"${env}={value!r}: {str(exc).splitlines()[0]}") from exc


class Store:
    """An open store. `store.positions` etc. are Ibis tables; `store.con` is the DuckDB connection.

    Use it as a context manager, or call `close()`: DuckDB allows one writing process per file.
    `created` says whether this open made a new store file (a writing command tells the user).
    """

    def __init__(self, path: Path, read_only: bool = False, create: bool = True) -> None:
        self.path = path
        in_memory = str(path) == ":memory:"
        exists = in_memory or path.exists()
        if not exists and (read_only or not create):
            raise StoreNotFoundError(str(path))
        self.created = not exists
        self.read_only = read_only
        self.con = self._connect()
        if not read_only:
            self._create_tables()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=self.read_only)
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            raise StoreError(f"{self.path}: cannot open store ({exc})") from exc
        apply_settings(con)
        return con

    def reconnect(self) -> None:
        """Open the file again, after DuckDB invalidated the connection (a failed write to disk
        is fatal to a DuckDB database instance: every later query on it fails)."""
        try:
            self.con.close()
        except duckdb.Error:
            pass  # closing an invalidated database may complain; it is being replaced
        self.__dict__.pop("ibis", None)  # the cached Ibis backend wraps the old connection
        self.con = self._connect()

    @cached_property
    def ibis(self) -> Any:
        """The Ibis backend over this store (imported on first use: it adds ~0.25 s start-up)."""
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def _create_tables(self) -> None:
        """Every table (if missing) and the schema version, in one transaction: run one by
        one, each statement commits on its own, ~3x the time (every writing command pays it)."""
        self.con.execute(_CREATE_TABLES)

    def table(self, name: str) -> Any:
        """An Ibis table over a core table."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r} in the store (tables: {', '.join(TABLES)})")
        return self.ibis.table(name)

    @property
    def positions(self) -> Any:
        return self.table("positions")

    @property
    def vessel_reports(self) -> Any:
        return self.table("vessel_reports")

    @property
    def quarantine(self) -> Any:
        return self.table("quarantine")

    @property
    def places(self) -> Any:
        return self.table("places")

    @property
    def ingests(self) -> Any:
        return self.table("ingests")

    @property
    def spills(self) -> bool:
        """Whether DuckDB has somewhere besides memory for data past its memory limit, so that
        capping it (store/memory.py) bounds memory instead of failing: a store file has its
        file and `<store>.tmp`; an in-memory store has not, unless made with a temporary folder
        (the lake ingest's batch: ingest/lake_writer.py)."""
        return str(self.path) != ":memory:"

    def require_writable(self, what: str) -> None:
        """Refuse `what` (e.g. "store events") on a store opened read-only, in one line.

        Why a check of its own: a read-only DuckDB file refuses a write with DuckDB's own
        message, but a read-only lake keeps no lock, so a write through it could race the lake's
        writer; every writing entry point of the library asks first, on both kinds of store."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only, so it cannot {what}; open it "
                             "for writing (a writing command, or open_store(read_only=False))")

    @contextmanager
    def reading_window(self, since: datetime | None, until: datetime | None) -> Iterator[None]:
        """Within the block, a reader needs only rows with `since <= ts < until`. The DuckDB
        file has nothing to prune (readers filter on `ts` themselves); a lake narrows its
        day-partitioned views to the days of the window (`LakeStore.reading_window`)."""
        yield

    def has_positions_from(self, moment: datetime, sources: Iterable[str] | None = None
                           ) -> bool:
        """Whether any position (of `sources`, when given) has `ts >= moment`: a windowed
        detect asks where its data ends (`detect.run`), and where each of its feeds ends (a
        feed that goes on after the range read ends there, not at its last position read)."""
        return bool(self.con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM positions WHERE ts >= ? "
            "AND (? IS NULL OR list_contains(?, source)) LIMIT 1)",
            [moment, None if sources is None else True,
             None if sources is None else list(sources)]).fetchall()[0][0])

    def count(self, name: str) -> int:
        """Row count of a core table (cheap: used in summaries and tests)."""
        if name not in TABLES:
            raise StoreError(f"no table {name!r} in the store")
        # fetchall, not fetchone: a half-read result blocks the connection's next register()
        return int(self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])

    def close(self) -> None:
        self.con.close()

    def abort(self) -> None:
        """Close after a failure. Each write to the DuckDB file committed as it went, so this
        is `close()`; a lake (`store/lake/`) discards what it had not committed."""
        self.close()

    def remove_created(self) -> None:
        """Remove the store file this open created (and its write-ahead log): a command that
        failed on a store it just made leaves nothing behind."""
        if self.created and str(self.path) != ":memory:":
            for made in (self.path, Path(f"{self.path}.wal")):
                made.unlink(missing_ok=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(
    path: str | os.PathLike[str] | None = None, read_only: bool = False, create: bool = True
) -> Store:
    """Open the store at `path`, `$CARGOTRACE_STORE` or ./cargotrace.duckdb.

    A lake (`lake:DIR`, `file:///DIR` or an existing folder: docs/reference/lake.md) opens as a
    `LakeStore`, which offers the same interface over Parquet files. A missing file is created
    only when `create` is true and `read_only` false; otherwise `StoreNotFoundError` is raised
    and nothing is written, so that reading from a mistyped path fails instead of answering
    from an empty store.
    """
    chosen = path if path is not None else default_store_path()
    from cargotrace.store.lake.layout import lake_location

    root = lake_location(chosen)
    if root is not None:
        from cargotrace.store.lake.store import LakeStore

        return LakeStore(root, read_only=read_only, create=create)
    return Store(Path(chosen), read_only=read_only, create=create)
