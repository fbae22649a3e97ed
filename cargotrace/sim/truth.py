"""Ground truth written by the simulator: one row per behaviour it really put in the traffic.

Rows use the same kind names as detected events (`detect/kinds.py`), so `cargotrace evaluate`
can match one against the other. For identity behaviours `subkind` is the `IdentityKind`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa

from cargotrace.store.schema import EVENTS

# The columns a truth row shares with an event have the event's types (`evaluate` joins them):
# kind (an EventKind value), mmsi, other_mmsi (the second vessel of an encounter / shared
# MMSI), start, end (equal to start for instantaneous behaviours), lat, lon, place_id (the
# place involved: port of a dark call, visit, ...), attrs (JSON: what was simulated, e.g. gap
# length, old/new name). Its own: truth_id (e.g. "gap-0007") and subkind (the IdentityKind
# value for identity rows, else null).
TRUTH_SCHEMA = pa.schema([
    pa.field("truth_id", pa.string()),
    *EVENTS.arrow_schema(["kind"]),
    pa.field("subkind", pa.string()),
    *EVENTS.arrow_schema(["mmsi", "other_mmsi", "start", "end", "lat", "lon", "place_id",
                          "attrs"]),
])


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Kinds only the simulator's truth has so far. `left_coverage`: a ship that sailed beyond every
# receiver of a regional feed (one row per silence: start = last position heard before it, end
# = first heard after it, NULL = not heard again); detected under the same name.
# `outage`: the whole feed heard nothing (mmsi NULL, attrs.station); never a detection, so
# `evaluate` does not score it but checks that no silence was reported because of it.
LEFT_COVERAGE = "left_coverage"
OUTAGE = "outage"
# `campaign_trip`: one delivery of the campaign scenario (start = departure, end = arrival,
# attrs: capacity, load factor, load, dark); scored by `cargotrace campaign evaluate`.
CAMPAIGN_TRIP = "campaign_trip"
TRUTH_ONLY_KINDS = frozenset({OUTAGE, CAMPAIGN_TRIP})


def utc(seconds: float) -> datetime:
    """Simulator seconds as a UTC time, rounded to the microsecond exactly as the position
    files are, so truth boundaries and emitted timestamps compare equal."""
    return EPOCH + timedelta(microseconds=round(seconds * 1e6))


@dataclass(frozen=True)
class TruthRow:
    truth_id: str
    kind: str
    mmsi: int | None  # None: not one vessel's (an `outage` of the whole feed)
    start: datetime
    end: datetime | None  # None: still going on when the data ends
    subkind: str | None = None
    other_mmsi: int | None = None
    lat: float | None = None
    lon: float | None = None
    place_id: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def truth_table(rows: list[TruthRow]) -> pa.Table:
    import json

    return pa.table(
        {
            "truth_id": [r.truth_id for r in rows],
            "kind": [str(r.kind) for r in rows],
            "subkind": [str(r.subkind) if r.subkind else None for r in rows],
            "mmsi": [r.mmsi for r in rows],
            "other_mmsi": [r.other_mmsi for r in rows],
            "start": [r.start for r in rows],
            "end": [r.end for r in rows],
            "lat": [r.lat for r in rows],
            "lon": [r.lon for r in rows],
            "place_id": [r.place_id for r in rows],
            "attrs": [json.dumps(r.attrs, sort_keys=True, default=str) for r in rows],
        },
        schema=TRUTH_SCHEMA,
    )
