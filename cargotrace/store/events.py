"""Event rows: their schema, their stable ids, replacing them in the store and reading them back.

`event_id` recipe (documented in docs/reference/store.md): the first 32 hex digits of the
SHA-256 of `kind|mmsi|other_mmsi|start|end|place_id`, then, for the kinds in `ID_FIELDS`, one
`|name=value` per field that tells apart two events of that kind with the same vessel and times
(identity: its subkind and the position(s) involved; a port visit: the identity segment).
other_mmsi, place_id and absent fields are empty when NULL, times are ISO 8601 UTC with
microseconds, an open end is the word `open`, numbers are Python's shortest round-trip form.
So the same event found twice has the same id, an open gap that later closes gets a new id (its
old row is replaced), and two different events never share one: the insert refuses a
collision between rows that differ (`EventIdCollision`) instead of keeping one of them.

Writing is "replace what this run covers": the events of the detected kinds whose start falls in
the run's time range are deleted and the new ones that start there inserted, in one
transaction (the window rule lives here only: `store_events`). Re-running on
the same data therefore adds nothing, and a re-run after new data updates changed windows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.errors import CargotraceError
from cargotrace.store.columns import TS_TYPE
from cargotrace.store.schema import EVENTS
from cargotrace.store.store import Store
from cargotrace.store.windows import window_sql
from cargotrace.version import __version__

TS = TS_TYPE
EVENT_SCHEMA = EVENTS.arrow_schema()
PIPELINE_VERSION = f"cargotrace {__version__}"


ID_FIELDS: dict[str, tuple[str, ...]] = {
    # two teleports of one MMSI in the same second (MarineCadastre stamps several positions
    # with the file's first second) differ only by where they were; a name change and a
    # call-sign change at one report, only by subkind; a shared MMSI by its segments
    "identity": ("identity_kind", "lat", "lon", "segments", "value_after", "imo"),
    # two ships on one MMSI (identity segments) can call at one place at once
    "port_visit": ("segment",),
    # one vessel can shuttle between two pairs of places at once; a group has several vessels
    "shuttle": ("places", "vessels"),
}
"""Per kind: the attrs (or, for lat/lon, the event's own fields) that go into its id."""


class EventIdCollision(CargotraceError):
    """Two different events got one `event_id`: a bug in the id recipe, never data to drop."""


def spark_event_schema() -> Any:
    """`EVENT_SCHEMA` as Spark's type (timestamps with a zone are Spark's TimestampType): the
    frame of event rows Spark's executors make (`detect/on_executors.py`) and a lake's events
    written by Spark (`lake/spark_events.py`)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(EVENT_SCHEMA)


def _id_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(_id_value(v) for v in value)
    return repr(float(value)) if isinstance(value, float) else str(value)


def event_id(
    kind: str, mmsi: int, other_mmsi: int | None, start: datetime, end: datetime | None,
    place_id: str | None = None, distinguishing: dict[str, object] | None = None,
) -> str:
    """The stable id of an event (recipe above); `distinguishing`: the `ID_FIELDS` values of
    its kind, by name (`Event.event_id` passes its own)."""
    parts = [kind, str(mmsi), "" if other_mmsi is None else str(other_mmsi),
             start.isoformat(timespec="microseconds"),
             "open" if end is None else end.isoformat(timespec="microseconds"),
             place_id or ""]
    values = distinguishing or {}
    parts += [f"{name}={_id_value(values.get(name))}" for name in ID_FIELDS.get(str(kind), ())]
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

    @property
    def event_id(self) -> str:
        values = {**self.attrs, "lat": self.lat, "lon": self.lon}
        return event_id(self.kind, self.mmsi, self.other_mmsi, self.start, self.end,
                        self.place_id, {n: values.get(n) for n in ID_FIELDS.get(self.kind, ())})


def events_table(
    events: list[Event], preset: str, params: object, inputs: dict[str, Any] | None = None,
    shared: dict[str, Any] | None = None,
) -> pa.Table:
    """Arrow rows in the `events` layout, with ids and the parameters that produced them;
    `shared`: parameters the detector read beyond its own (e.g. the feed coverage's);
    `inputs` (e.g. which gazetteer and how many places) is recorded beside them as `inputs`."""
    doc = {"preset": preset, **asdict(params), **(shared or {})}  # type: ignore[call-overload]
    if inputs is not None:
        doc["inputs"] = inputs
    params_json = json.dumps(doc, sort_keys=True, default=str)
    return pa.table({
        "event_id": [e.event_id for e in events],
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


class Replaced(NamedTuple):
    removed: int  # stored events of the kinds and window deleted first
    written: int  # rows now stored, counted in the store after the insert
    folded: int  # identical duplicate rows given once (same id, every column equal)
    written_by_kind: dict[str, int] | None = None  # `written`, per kind asked for
    outside: int = 0  # rows given that start outside [since, until): not stored


BeforeCommit = Callable[["Replaced"], None]
"""Called inside the events' commit with its counts, to write what must be committed with the
events or not at all (`detect`'s `detected:` notes in `meta`, written through `store.con`):
raising there commits nothing."""


def store_events(
    store: Store, events: pa.Table, kinds: list[str], since: datetime | None = None,
    until: datetime | None = None, before_commit: BeforeCommit | None = None,
) -> Replaced:
    """Replace the stored events of `kinds` starting in [since, until) by those of `events`
    that start there, in one transaction.

    The window rule is enforced here, once, for every caller: an event given that starts
    outside the window (found in a windowed run's margin) belongs to another run's window
    and is not stored (`outside` counts it); so a windowed re-detect replaces exactly the
    events it deletes. Identical rows are stored once and counted in `folded`; two different
    rows with one id raise `EventIdCollision` naming both, and nothing is written (an event
    silently dropped misleads more than a failed run). `written` is counted from the store,
    not from the input. All kinds of a run go in one call: one delete, one insert.
    `before_commit` runs in the same transaction, after the insert (`BeforeCommit`).
    """
    store.require_writable("store events")
    strays = set(pc.unique(events.column("kind")).to_pylist()) - {str(k) for k in kinds}
    if strays:  # they would be added on every re-run, never replaced
        raise ValueError(f"store_events: events of {sorted(strays)} given with kinds={kinds}")
    con = store.con
    where, params = window_sql("start", since, until, "kind IN (SELECT unnest($kinds))",
                               {"kinds": [str(k) for k in kinds]})
    con.begin()
    con.register("events_in", events)
    try:
        removed = int(con.execute(f"SELECT count(*) FROM events WHERE {where}", params)
                      .fetchall()[0][0])
        con.execute(f"DELETE FROM events WHERE {where}", params)
        con.execute("CREATE OR REPLACE TEMP TABLE events_new AS SELECT DISTINCT * "
                    f"FROM events_in WHERE {where}", params)
        inside = int(con.execute(f"SELECT count(*) FROM events_in WHERE {where}", params)
                     .fetchall()[0][0])
        _refuse_collisions(con)
        con.execute("INSERT INTO events BY NAME SELECT * FROM events_new")
        by_kind = {str(k): int(n) for k, n in con.execute(
            "SELECT kind, count(*) FROM events WHERE event_id IN "
            "(SELECT event_id FROM events_new) GROUP BY kind").fetchall()}
        con.execute("DROP TABLE events_new")
        written = sum(by_kind.values())
        replaced = Replaced(removed, written, inside - written,
                            {str(k): by_kind.get(str(k), 0) for k in kinds},
                            events.num_rows - inside)
        if before_commit is not None:
            before_commit(replaced)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("events_in")
    return replaced


def _refuse_collisions(con: Any) -> None:
    cur = con.execute("""
        SELECT event_id, kind, mmsi, other_mmsi, start, "end", lat, lon, place_id, attrs
        FROM events_new WHERE event_id IN (
            SELECT event_id FROM events_new GROUP BY event_id HAVING count(*) > 1
            ORDER BY event_id LIMIT 1)
        ORDER BY ALL LIMIT 2""")
    rows = cur.fetchall()
    if rows:
        names = [d[0] for d in cur.description]
        shown = [", ".join(f"{n}={v}" for n, v in zip(names[1:], row[1:], strict=True))[:400]
                 for row in rows]
        raise EventIdCollision(
            f"two different events share event_id {rows[0][0]}: ({shown[0]}) and ({shown[1]})")


def replace_events(
    store: Store, events: pa.Table, kinds: list[str], since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[int, int]:
    """`store_events`, as (removed, written)."""
    replaced = store_events(store, events, kinds, since, until)
    return replaced.removed, replaced.written


def list_events(
    store: Store, kind: str | None = None, mmsi: int | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Stored events as dicts, `attrs` and `params` parsed from JSON, by start then kind and
    MMSI; `mmsi` matches either vessel of a two-vessel event. Maps and tables of events:
    `cargotrace.publish.features`."""
    where: list[str] = ["true"]
    params: list[object] = []
    for clause, value in (("kind = ?", kind), ("(mmsi = ? OR other_mmsi = ?)", mmsi),
                          ("start >= ?", since), ("start < ?", until)):
        if value is not None:
            where.append(clause)
            params.extend([value] * clause.count("?"))
    cur = store.con.execute(
        f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY start, kind, mmsi", params
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        for key in ("attrs", "params"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows
