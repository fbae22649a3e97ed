"""Builders of MarineCadastre-style AIS files for the screening tests, and the real files they
read from ../shared/data (see each folder's PROVENANCE.md). Test modules import these, never
each other or conftest.py; the fixtures are in conftest.py."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

OFAC = "sanctions/ofac_sdn_2024-05-03.csv"
UN = "sanctions/un_sc_consolidated_2018-10-29.xml"
MARINECADASTRE = "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
MC_HEADER = ["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
             "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo",
             "TransceiverClass"]


def track(mmsi: int, name: str, imo: str, start: datetime, minutes: int, lat: float, lon: float,
          north_kn: float, step_min: int = 5, ship_type: int = 70) -> list[list[object]]:
    """MarineCadastre rows of a vessel sailing north at `north_kn` from (lat, lon)."""
    rows: list[list[object]] = []
    for k in range(0, minutes // step_min + 1):
        t = start + timedelta(minutes=k * step_min)
        moved = north_kn * k * step_min / 60 / 60  # nautical miles → degrees of latitude
        rows.append([mmsi, t.strftime("%Y-%m-%dT%H:%M:%S"), round(lat + moved, 6), lon,
                     north_kn, 0.0, 0, name, imo, "UBXX1", ship_type, 0, 120, 18, 6.5, "", "A"])
    return rows


def write_marinecadastre(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MC_HEADER)
        ordered = sorted(rows, key=lambda row: (str(row[1]), int(str(row[0]))))
        writer.writerows(ordered)
    return path


T0 = datetime(2023, 9, 1, tzinfo=UTC)
