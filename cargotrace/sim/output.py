"""Writing a simulation: Parquet positions and static reports, NMEA, truth, and provenance.

Files are written a day at a time (bounded memory at any scale). Positions use the store's
column names, so `cargotrace ingest positions.parquet` reads them back as-is; the NMEA file
carries the same records as tag-blocked sentences (byte for byte what pyais would encode),
in time order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cargotrace.sim.nmea_writer import (
    DEFAULT_STATION,
    PositionColumns,
    StaticColumns,
    encode_columns,
)
from cargotrace.store.columns import TS_TYPE as TS
from cargotrace.store.schema import POSITIONS, VESSEL_REPORTS

# The store's columns, less what ingest adds (the file, the ingest) and what the simulator
# never sends (an ETA).
POSITIONS_SCHEMA = POSITIONS.arrow_schema(without=("source", "ingest_id"))
REPORTS_SCHEMA = VESSEL_REPORTS.arrow_schema(without=("eta", "source", "ingest_id"))


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
        self._nmea = self.nmea_path.open("wb") if self.nmea_path else None
        self.positions_written = 0
        self.reports_written = 0

    def write(self, positions: pa.Table, reports: pa.Table) -> None:
        self._positions.write_table(positions)
        self._reports.write_table(reports)
        self.positions_written += positions.num_rows
        self.reports_written += reports.num_rows
        if self._nmea is not None:
            lines = nmea_lines(positions, reports)
            if lines:
                self._nmea.write(b"\n".join(lines) + b"\n")

    def close(self) -> None:
        self._positions.close()
        self._reports.close()
        if self._nmea is not None:
            self._nmea.close()


def _codes(column: pa.ChunkedArray, names: dict[str, int]) -> np.ndarray:
    """Station codes into `names` (grown as needed); no station is the writer's default."""
    encoded = pc.fill_null(column, "").combine_chunks().dictionary_encode()
    seen = encoded.dictionary.to_pylist()
    mapping = np.array([names.setdefault(s or DEFAULT_STATION, len(names)) for s in seen], np.int64)
    return mapping[encoded.indices.to_numpy(zero_copy_only=False)] if mapping.size else mapping


def _column(table: pa.Table, name: str, fill: Any, dtype: type) -> np.ndarray:
    return np.asarray(
        pc.fill_null(table.column(name), fill).to_numpy(zero_copy_only=False), dtype=dtype
    )


def _text(table: pa.Table, name: str) -> list[str]:
    return [s or "" for s in table.column(name).to_pylist()]


def nmea_lines(positions: pa.Table, reports: pa.Table) -> list[bytes]:
    """NMEA lines of one day's positions and static reports, in receive-time order."""
    names: dict[str, int] = {}
    pos = PositionColumns(
        _column(positions, "mmsi", 0, np.int64),
        positions.column("ts").cast(pa.int64()).to_numpy(),
        _column(positions, "lat", 0.0, np.float64),
        _column(positions, "lon", 0.0, np.float64),
        _column(positions, "sog", 0.0, np.float64),
        _column(positions, "cog", 0.0, np.float64),
        _column(positions, "heading", 511, np.int64),
        _column(positions, "nav_status", 0, np.int64),
        _column(positions, "msg_type", 1, np.int64),
        _codes(positions.column("station"), names),
    )
    static = StaticColumns(
        _column(reports, "mmsi", 0, np.int64),
        reports.column("ts").cast(pa.int64()).to_numpy(),
        _text(reports, "name"),
        _column(reports, "imo", 0, np.int64),
        _text(reports, "callsign"),
        _column(reports, "ship_type", 0, np.int64),
        _column(reports, "length", 0.0, np.float64).astype(np.int64),
        _column(reports, "beam", 0.0, np.float64).astype(np.int64),
        _column(reports, "draught", 0.0, np.float64),
        _text(reports, "destination"),
        _column(reports, "msg_type", 5, np.int64),
        _codes(reports.column("station"), names),
    )
    return encode_columns(pos, static, list(names))
