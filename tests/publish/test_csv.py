"""CSV exports read back with pandas; the WKT column gives the same geometry as lon/lat."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely  # type: ignore[import-untyped]

import cargotrace
from cargotrace.publish.export import ExportFormat, events_export, export_vessel, write_features

from .factories import ANGARA_IMO


def test_events_round_trip(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    write_features(events_export(store), "csv", out)
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    rows = store.con.execute("SELECT event_id, kind, mmsi, lat, lon FROM events").fetchall()
    assert len(frame) == len(rows)
    assert list(frame.columns[:4]) == ["layer", "name", "event_id", "kind"]
    assert list(frame.columns[-3:]) == ["lon", "lat", "wkt"]
    by_id = {r[0]: r for r in rows}
    for _, row in frame.iterrows():
        _, kind, mmsi, lat, lon = by_id[row["event_id"]]
        assert (row["kind"], int(row["mmsi"])) == (kind, mmsi)
        if lat is None:
            assert row["wkt"] == row["lat"] == ""
            continue
        shape = shapely.from_wkt(row["wkt"])
        # a point, or for a gap or dark voyage a line from where it went silent to where it
        # reappeared (cut in two at the antimeridian)
        part = shape.geoms[0] if shape.geom_type == "MultiLineString" else shape
        assert shape.geom_type == "Point" or kind in ("gap", "dark_voyage"), kind
        x, y = part.coords[0]
        assert abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6
        assert abs(float(row["lon"]) - lon) < 1e-6


def test_vessel_positions(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "angara.csv"
    result = export_vessel(store, ANGARA_IMO, ExportFormat.CSV, out)
    frame = pd.read_csv(out)
    assert len(frame) == result.records > 0
    assert {"mmsi", "ts", "sog", "cog", "lon", "lat", "wkt"} <= set(frame.columns)
    times = pd.to_datetime(frame["ts"], format="ISO8601")
    assert str(times.dt.tz) == "UTC" and times.is_monotonic_increasing
