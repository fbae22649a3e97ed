"""Where `evaluate`'s inputs come from: a simulator truth file and a store's events.

Kept apart from the matching rules (sim/evaluate.py) because they are about files and tables:
a truth file a user points at can be missing, a folder, not Parquet, or the wrong table, and
each case gets its own one-line error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cargotrace.detect.kinds import EventKind
from cargotrace.errors import UnreadableInputError
from cargotrace.sim.truth import TRUTH_SCHEMA
from cargotrace.store.store import Store

EVENT_COLUMNS = ("event_id", "kind", "mmsi", "other_mmsi", "start", "end", "attrs")
TRUTH_COLUMNS = ("truth_id", "kind", "subkind", "mmsi", "other_mmsi", "start", "end")
# kinds whose truth says where: matched on place_id too (an optional column of both tables)
PLACE_KINDS = frozenset({EventKind.POSSIBLE_DARK_PORT_CALL})


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


@dataclass(frozen=True)
class MatchRow:
    """A truth row or an event reduced to what matching needs (times in µs since the epoch)."""

    id: str
    kind: str
    subkind: str | None
    vessels: frozenset[int]
    start_us: int
    end_us: int | None
    places: frozenset[str] = frozenset()  # only for PLACE_KINDS: where it happened / may have

    def key(self) -> tuple[str, str | None, frozenset[int]]:
        return (self.kind, self.subkind, self.vessels)


def match_rows(
    table: pa.Table, what: str, columns: tuple[str, ...], by_place: bool
) -> list[MatchRow]:
    """The rows of a truth or events table reduced to what matching needs (one-line error for
    a table without the columns)."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise UnreadableInputError(
            f"{what}: no column(s) {', '.join(missing)} (found: {', '.join(table.column_names)})"
        )
    stamp = pa.timestamp("us", tz="UTC")
    us = {c: pc.cast(pc.cast(table[c], stamp), pa.int64()).to_pylist() for c in ("start", "end")}
    rows = []
    extra = ["place_id"] if by_place else []
    for i, r in enumerate(table.select([c for c in columns if c not in us] + extra).to_pylist()):
        kind = str(r["kind"])
        sub = r["subkind"] if "subkind" in r else _identity_kind(r["attrs"])
        vessels = frozenset(v for v in (r["mmsi"], r["other_mmsi"]) if v is not None)
        places = _places(r) if by_place and kind in PLACE_KINDS else frozenset()
        rows.append(
            MatchRow(str(r[columns[0]]), kind, sub if kind == EventKind.IDENTITY else None,
                     vessels, us["start"][i], us["end"][i], places)
        )
    return rows


def _places(row: dict[str, Any]) -> frozenset[str]:
    """A truth row's place; an event's `place_id` and every place in its `attrs.candidates`."""
    places = {row["place_id"]} if row.get("place_id") else set()
    attrs = json.loads(row["attrs"]) if row.get("attrs") else {}
    for candidate in attrs.get("candidates", []) if isinstance(attrs, dict) else []:
        places.add(str(candidate["place_id"]))
    return frozenset(places)


def _identity_kind(attrs: str | None) -> str | None:
    if not attrs:
        return None
    value = json.loads(attrs)
    found = value.get("identity_kind") if isinstance(value, dict) else None
    return None if found is None else str(found)
