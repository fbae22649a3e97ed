"""Writing a simulation: Parquet positions and static reports, NMEA, truth, and provenance.

Files are written a day at a time (bounded memory at any scale). Positions use the store's
column names, so `cargotrace ingest positions.parquet` reads them back as-is; the NMEA file
carries the same records as tag-blocked sentences encoded with pyais, in time order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cargotrace.sim.nmea_writer import PositionReport, StaticReport, encode_reports

TS = pa.timestamp("us", tz="UTC")
POSITIONS_SCHEMA = pa.schema(
    [
        ("mmsi", pa.int64()),
        ("ts", TS),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("sog", pa.float64()),
        ("cog", pa.float64()),
        ("heading", pa.int16()),
        ("nav_status", pa.int8()),
        ("msg_type", pa.int8()),
        ("station", pa.string()),
    ]
)
REPORTS_SCHEMA = pa.schema(
    [
        ("mmsi", pa.int64()),
        ("ts", TS),
        ("imo", pa.int64()),
        ("name", pa.string()),
        ("callsign", pa.string()),
        ("ship_type", pa.int16()),
        ("length", pa.float64()),
        ("beam", pa.float64()),
        ("draught", pa.float64()),
        ("destination", pa.string()),
        ("msg_type", pa.int8()),
        ("station", pa.string()),
    ]
)


def _ts(seconds: np.ndarray) -> pa.Array:
    """Microseconds, rounded like `truth.utc` rounds truth times."""
    return pa.array(np.round(seconds * 1e6).astype(np.int64), pa.int64()).cast(TS)


def positions_table(cols: dict[str, np.ndarray], stations: list[str]) -> pa.Table:
    station_names = np.asarray([*stations, "sat"], dtype=object)
    class_b = cols["msg_type"] == 18
    return pa.table(
        {
            "mmsi": pa.array(cols["mmsi"], pa.int64()),
            "ts": _ts(cols["ts"]),
            "lat": pa.array(cols["lat"], pa.float64()),
            "lon": pa.array(cols["lon"], pa.float64()),
            "sog": pa.array(cols["sog"], pa.float64()),
            "cog": pa.array(cols["cog"], pa.float64()),
            "heading": pa.array(
                cols["heading"].astype(np.int16), pa.int16(), mask=cols["heading"] == 511
            ),
            "nav_status": pa.array(cols["nav_status"].astype(np.int8), pa.int8(), mask=class_b),
            "msg_type": pa.array(cols["msg_type"].astype(np.int8), pa.int8()),
            "station": pa.array(station_names[cols["station"]], pa.string()),
        },
        schema=POSITIONS_SCHEMA,
    )


class SimWriter:
    """Streams day tables to positions.parquet, vessel_reports.parquet and, optionally, NMEA."""

    def __init__(self, out_dir: Path, nmea: bool) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.positions_path = out_dir / "positions.parquet"
        self.reports_path = out_dir / "vessel_reports.parquet"
        self.nmea_path = out_dir / "positions.nmea" if nmea else None
        self._positions = pq.ParquetWriter(self.positions_path, POSITIONS_SCHEMA)
        self._reports = pq.ParquetWriter(self.reports_path, REPORTS_SCHEMA)
        self._nmea = self.nmea_path.open("w", encoding="ascii") if self.nmea_path else None
        self.positions_written = 0
        self.reports_written = 0

    def write(self, positions: pa.Table, reports: pa.Table) -> None:
        self._positions.write_table(positions)
        self._reports.write_table(reports)
        self.positions_written += positions.num_rows
        self.reports_written += reports.num_rows
        if self._nmea is not None:
            for line in encode_reports(_nmea_records(positions, reports)):
                self._nmea.write(line + "\n")

    def close(self) -> None:
        self._positions.close()
        self._reports.close()
        if self._nmea is not None:
            self._nmea.close()


def _nmea_records(positions: pa.Table, reports: pa.Table) -> list[Any]:
    """Positions and static reports of one day as writer records, in receive-time order."""
    records: list[tuple[Any, int, Any]] = []
    for i, r in enumerate(positions.to_pylist()):
        records.append(
            (
                r["ts"],
                i,
                PositionReport(
                    r["mmsi"],
                    r["ts"],
                    r["lat"],
                    r["lon"],
                    r["sog"],
                    r["cog"],
                    511 if r["heading"] is None else r["heading"],
                    r["nav_status"] or 0,
                    r["msg_type"],
                    r["station"],
                ),
            )
        )
    for i, r in enumerate(reports.to_pylist()):
        records.append(
            (
                r["ts"],
                len(records) + i,
                StaticReport(
                    r["mmsi"],
                    r["ts"],
                    r["name"] or "",
                    r["imo"] or 0,
                    r["callsign"] or "",
                    r["ship_type"] or 0,
                    int(r["length"] or 0),
                    int(r["beam"] or 0),
                    r["draught"] or 0.0,
                    r["destination"] or "",
                    r["msg_type"],
                    r["station"],
                ),
            )
        )
    records.sort(key=lambda x: (x[0], x[1]))
    return [r for _, _, r in records]
