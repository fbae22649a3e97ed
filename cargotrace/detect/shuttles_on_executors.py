"""Shuttles on Spark's executors: the calls are grouped by vessel, then the runs by place pair.

Why (issue 23, item 3): on DuckDB shuttles read the run's port visits and possible dark port
calls in Python. On Spark those are rows kept on the executors (`Context.engine_events`), and
shuttles compare vessels, so one partition by vessel is not enough. Two steps, each the code
the driver runs:

1. per vessel (`repartition("mmsi")`, `mapInArrow`): its calls resolved to one place each,
   cut into runs of trips per place pair (`shuttles.runs_by_vessel`); each run one row, keyed
   by its pair and its place in the driver's order (vessel, then pair, then run), the run
   itself as JSON (its calls, to be shown in the event);
2. per place pair (`on_executors.event_frame`, partitioned by the pair): the pair's runs in
   that order, the single-vessel shuttles and the group shuttles (`shuttles.shuttle_events`:
   a group never spans two pairs).

What passes between the steps is a few rows per vessel that shuttles, never positions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.detect.params import ShuttleParams
from cargotrace.detect.shuttles import Call, _Run, calls_from_table, runs_by_vessel, shuttle_events
from cargotrace.store.events import EVENT_SCHEMA, Event

RUN_SCHEMA = pa.schema([
    ("place_a", pa.string()), ("place_b", pa.string()), ("mmsi", pa.int64()),
    ("segment", pa.int64()), ("ordinal", pa.int64()), ("run", pa.string()),
])
"""One vessel's run of trips between two places: the pair, the vessel (segment -1: none), its
place among the vessel's runs, and the run as JSON (`run_json`)."""


def _call_json(call: Call) -> dict[str, Any]:
    return {"mmsi": call.mmsi, "start": call.start.isoformat(),
            "end": None if call.end is None else call.end.isoformat(),
            "places": list(call.places), "how": call.how, "event_id": call.event_id,
            "lat": call.lat, "lon": call.lon, "candidates": list(call.candidates),
            "segment": call.segment}


def _call_of(doc: dict[str, Any]) -> Call:
    return Call(doc["mmsi"], datetime.fromisoformat(doc["start"]),
                None if doc["end"] is None else datetime.fromisoformat(doc["end"]),
                tuple(doc["places"]), doc["how"], doc["event_id"], doc["lat"], doc["lon"],
                tuple(doc["candidates"]), doc["segment"])


def run_json(run: _Run) -> str:
    """A run as JSON: times ISO 8601 with their offset, floats round-trip exactly."""
    return json.dumps({"mmsi": run.mmsi, "pair": list(run.pair),
                       "stays": [[_call_json(c) for c in stay] for stay in run.stays]})


def run_of(text: str) -> _Run:
    doc = json.loads(text)
    return _Run(doc["mmsi"], (doc["pair"][0], doc["pair"][1]),
                [[_call_of(c) for c in stay] for stay in doc["stays"]])


def run_rows(calls: pa.Table, params: ShuttleParams) -> pa.Table:
    """Whole vessels' call rows (port visits, possible dark port calls: event rows) to their
    runs as `RUN_SCHEMA` rows."""
    rows = []
    for (mmsi, segment), runs in runs_by_vessel(calls_from_table(calls, params), params):
        rows += [{"place_a": r.pair[0], "place_b": r.pair[1], "mmsi": mmsi,
                  "segment": segment, "ordinal": i, "run": run_json(r)}
                 for i, r in enumerate(runs)]
    return pa.Table.from_pylist(rows, schema=RUN_SCHEMA)


def pair_shuttles(rows: pa.Table, params: ShuttleParams) -> list[Event]:
    """One or more place pairs' `RUN_SCHEMA` rows to their shuttle events, the runs in the
    driver's order (vessel, then its runs)."""
    ordered = rows.sort_by([("mmsi", "ascending"), ("segment", "ascending"),
                            ("ordinal", "ascending")])
    return shuttle_events([run_of(t) for t in ordered.column("run").to_pylist()], params)


def runs_on_executors(calls: Any, params: ShuttleParams) -> Any:
    """Step 1 on Spark: `calls` (event rows of port visits and possible dark port calls, a
    Spark DataFrame) to a DataFrame of `RUN_SCHEMA` rows, per vessel on the executors."""
    from pyspark.sql.pandas.types import from_arrow_schema

    def on_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        received = list(batches)
        if not received:
            return
        table = pa.Table.from_batches(received).select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
        if table.num_rows:
            yield from run_rows(table, params).to_batches()

    return calls.repartition("mmsi").mapInArrow(on_partition, from_arrow_schema(RUN_SCHEMA))
