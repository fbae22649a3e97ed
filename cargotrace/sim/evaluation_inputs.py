"""Where `evaluate`'s inputs come from: a simulator truth file and a store's events.

Kept apart from the matching rules (sim/evaluate.py) because they are about files and tables:
a truth file a user points at can be missing, a folder, not Parquet, or the wrong table, and
each case gets its own one-line error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cargotrace.errors import UnreadableInputError
from cargotrace.sim.truth import TRUTH_SCHEMA
from cargotrace.store.store import Store


def read_truth(path: Path) -> pa.Table:
    """Read a truth.parquet written by `cargotrace simulate`, checked against TRUTH_SCHEMA."""
    if path.is_dir():
        raise UnreadableInputError(f"{path}: is a folder; pass its file, e.g. {path}/truth.parquet")
    if not path.is_file():
        raise UnreadableInputError(
            f"{path}: no such truth file; write one with `cargotrace simulate --out DIR`"
        )
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UnreadableInputError(f"{path}: not a Parquet file ({detail})") from exc
    missing = [n for n in TRUTH_SCHEMA.names if n not in table.column_names]
    if missing:
        raise UnreadableInputError(
            f"{path}: not a truth table: no column(s) {', '.join(missing)} "
            f"(found: {', '.join(table.column_names) or 'none'})"
        )
    columns = []
    for f in TRUTH_SCHEMA:
        try:
            columns.append(pc.cast(table[f.name], f.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            found = table.schema.field(f.name).type
            raise UnreadableInputError(
                f"{path}: column '{f.name}' is {found}, expected {f.type}"
            ) from exc
    return pa.table(columns, schema=TRUTH_SCHEMA)


def read_events(store: Store) -> pa.Table:
    """The store's `events` table, with the columns `evaluate` uses."""
    sql = ('SELECT event_id, kind, mmsi, other_mmsi, start, "end", CAST(attrs AS VARCHAR) AS '
           "attrs, place_id")
    table: pa.Table = store.con.sql(f"{sql} FROM events").to_arrow_table()
    return table


def store_data_end(store: Store) -> datetime | None:
    """The time of the store's last position: where the data, and so an open event, ends."""
    value = store.con.sql("SELECT max(ts) FROM positions").fetchall()[0][0]
    return None if value is None else value.astimezone(UTC)
