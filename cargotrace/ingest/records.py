"""Staging records: what every reader (NMEA, CSV, Parquet) hands to the ingest pipeline.

Readers only *parse*: they turn their input into typed columns plus the source line number and
raw text of every record. Range checks and "not available" sentinels are handled once, for every
format, in `validate.py`. A reader yields `Chunk`s so a multi-GB file never sits in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.ingest import arrow_lists
from cargotrace.store.columns import TS_TYPE
from cargotrace.store.schema import POSITIONS, QUARANTINE, VESSEL_REPORTS

__all__ = ["TS_TYPE", "Chunk", "ChunkBuilder"]

# A staged row is a stored row before the pipeline knows its file (`source`) and ingest
# (`ingest_id`), plus where it came from in the file, for the quarantine of a bad value.
_STORED_LATER = ("source", "ingest_id")
_WHERE_IN_FILE = QUARANTINE.arrow_schema(["line_no", "raw"])

STAGED_POSITION_SCHEMA = POSITIONS.arrow_schema(without=_STORED_LATER, extra=_WHERE_IN_FILE)
STAGED_REPORT_SCHEMA = VESSEL_REPORTS.arrow_schema(without=_STORED_LATER, extra=_WHERE_IN_FILE)
STAGED_QUARANTINE_SCHEMA = QUARANTINE.arrow_schema(["line_no", "raw", "reason", "detail"])


def _columns(schema: pa.Schema) -> dict[str, list[Any]]:
    return {name: [] for name in schema.names}


@dataclass
class Chunk:
    """One batch of parsed records from a file, plus what the reader skipped and why."""

    positions: pa.Table
    reports: pa.Table
    quarantine: pa.Table
    records_read: int
    bytes_read: int
    skipped: Counter[str] = field(default_factory=Counter)


class ChunkBuilder:
    """Column lists a reader appends to; `build()` turns them into Arrow tables.

    Appending to plain lists column-wise is the cheapest way to collect rows in Python; Arrow
    then converts each column in one C call.
    """

    def __init__(self) -> None:
        self.positions = _columns(STAGED_POSITION_SCHEMA)
        self.reports = _columns(STAGED_REPORT_SCHEMA)
        self.quarantine = _columns(STAGED_QUARANTINE_SCHEMA)
        self.skipped: Counter[str] = Counter()
        self.records_read = 0
        # records a reader decoded in bulk, already in STAGED_POSITION_SCHEMA / _REPORT_SCHEMA
        self.extra_positions: list[pa.Table] = []
        self.extra_reports: list[pa.Table] = []

    def __len__(self) -> int:
        bulk: int = sum(t.num_rows for t in [*self.extra_positions, *self.extra_reports])
        return (
            len(self.positions["mmsi"]) + bulk
            + len(self.reports["mmsi"]) + len(self.quarantine["line_no"])
        )

    def add_position(
        self,
        *,
        mmsi: int | None,
        ts: datetime | None,
        lat: float | None,
        lon: float | None,
        sog: float | None = None,
        cog: float | None = None,
        heading: int | None = None,
        nav_status: int | None = None,
        msg_type: int | None = None,
        station: str | None = None,
        line_no: int,
        raw: str,
    ) -> None:
        p = self.positions
        p["mmsi"].append(mmsi)
        p["ts"].append(ts)
        p["lat"].append(lat)
        p["lon"].append(lon)
        p["sog"].append(sog)
        p["cog"].append(cog)
        p["heading"].append(heading)
        p["nav_status"].append(nav_status)
        p["msg_type"].append(msg_type)
        p["station"].append(station)
        p["line_no"].append(line_no)
        p["raw"].append(raw)

    def add_report(self, *, line_no: int, raw: str, **values: Any) -> None:
        r = self.reports
        for name in STAGED_REPORT_SCHEMA.names:
            if name == "line_no":
                r[name].append(line_no)
            elif name == "raw":
                r[name].append(raw)
            else:
                r[name].append(values.get(name))

    def add_quarantine(self, line_no: int | None, raw: str, reason: str, detail: str = "") -> None:
        q = self.quarantine
        q["line_no"].append(line_no)
        q["raw"].append(raw)
        q["reason"].append(str(reason))
        q["detail"].append(detail or None)

    def build(self, bytes_read: int) -> Chunk:
        chunk = Chunk(
            positions=pa.concat_tables(
                [_table(self.positions, STAGED_POSITION_SCHEMA), *self.extra_positions]
            ),
            reports=pa.concat_tables(
                [_table(self.reports, STAGED_REPORT_SCHEMA), *self.extra_reports]
            ),
            quarantine=_table(self.quarantine, STAGED_QUARANTINE_SCHEMA),
            records_read=self.records_read,
            bytes_read=bytes_read,
            skipped=self.skipped,
        )
        self.__init__()  # type: ignore[misc]
        return chunk


def _table(columns: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """Records added one by one as a table, built without importing pandas (`arrow_lists`)."""
    if not any(columns.values()):
        return empty_table(schema)
    return arrow_lists.table(columns, schema)


def empty_table(schema: pa.Schema) -> pa.Table:
    """`schema.empty_table()` without its import of pandas."""
    return pa.table([pa.nulls(0, f.type) for f in schema], schema=schema)
