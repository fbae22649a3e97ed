"""Event rows: their schema, their stable ids, and replacing them in the store.

`event_id` recipe (documented in docs/reference/store.md): the first 32 hex digits of the
SHA-256 of `kind|mmsi|other_mmsi|start|end|place_id`, where other_mmsi and place_id are empty
when NULL, times are ISO 8601 UTC with microseconds, and an open end is the word `open` (the
place tells apart the possible dark port calls of one gap). So the same event found twice
has the same id, and an open gap that later closes gets a new id (its old row is replaced).

Writing is "replace what this run covers": the events of the detected kinds whose start falls in
the run's time range are deleted and the new ones inserted, in one transaction. Re-running on
the same data therefore adds nothing, and a re-run after new data updates changed windows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.store.store import Store
from cargotrace.version import __version__

TS = pa.timestamp("us", tz="UTC")
EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("kind", pa.string()), ("mmsi", pa.int64()),
    ("other_mmsi", pa.int64()), ("start", TS), ("end", TS), ("lat", pa.float64()),
    ("lon", pa.float64()), ("place_id", pa.string()), ("confidence", pa.float64()),
    ("attrs", pa.string()), ("params", pa.string()), ("pipeline_version", pa.string()),
])
PIPELINE_VERSION = f"cargotrace {__version__}"


def event_id(
    kind: str, mmsi: int, other_mmsi: int | None, start: datetime, end: datetime | None,
    place_id: str | None = None,
) -> str:
    parts = [kind, str(mmsi), "" if other_mmsi is None else str(other_mmsi),
             start.isoformat(timespec="microseconds"),
             "open" if end is None else end.isoformat(timespec="microseconds"),
             place_id or ""]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class Event:
    kind: str
    mmsi: int
    start: datetime
    end: datetime | None
    other_mmsi: int | None = None
    lat: float | None = None
    lon: float | None = None
    place_id: str | None = None
    confidence: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def events_table(events: list[Event], preset: str, params: object) -> pa.Table:
    """Arrow rows in the `events` layout, with ids and the parameters that produced them."""
    params_json = json.dumps({"preset": preset, **asdict(params)},  # type: ignore[call-overload]
                             sort_keys=True, default=str)
    return pa.table({
        "event_id": [event_id(e.kind, e.mmsi, e.other_mmsi, e.start, e.end, e.place_id)
                     for e in events],
        "kind": [str(e.kind) for e in events],
        "mmsi": [e.mmsi for e in events],
        "other_mmsi": [e.other_mmsi for e in events],
        "start": [e.start for e in events],
        "end": [e.end for e in events],
        "lat": [e.lat for e in events],
        "lon": [e.lon for e in events],
        "place_id": [e.place_id for e in events],
        "confidence": [e.confidence for e in events],
        "attrs": [json.dumps(e.attrs, sort_keys=True, default=str) for e in events],
        "params": [params_json] * len(events),
        "pipeline_version": [PIPELINE_VERSION] * len(events),
    }, schema=EVENT_SCHEMA)


def replace_events(
    store: Store, events: pa.Table, kinds: list[str], since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[int, int]:
    """Replace the stored events of `kinds` starting in [since, until); (removed, written)."""
    con = store.con
    where = "kind IN (SELECT unnest($kinds))"
    params: dict[str, object] = {"kinds": kinds}
    if since is not None:
        where += " AND start >= $since"
        params["since"] = since
    if until is not None:
        where += " AND start < $until"
        params["until"] = until
    con.begin()
    try:
        removed = int(con.execute(f"SELECT count(*) FROM events WHERE {where}", params)
                      .fetchall()[0][0])
        con.execute(f"DELETE FROM events WHERE {where}", params)
        con.register("events_in", events)
        con.execute("INSERT INTO events BY NAME SELECT DISTINCT ON (event_id) * FROM events_in")
        con.unregister("events_in")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return removed, events.num_rows
