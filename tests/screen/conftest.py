"""Screening fixtures: the real OFAC and UN lists loaded once per run, and small AIS builders."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import cargotrace
from cargotrace.screen.lists import load_list
from cargotrace.screen.match import ListVessel
from cargotrace.screen.screen import list_vessels

OFAC = "sanctions/ofac_sdn_2024-05-03.csv"
UN = "sanctions/un_sc_consolidated_2018-10-29.xml"
MARINECADASTRE = "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
MC_HEADER = ["MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO",
             "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo",
             "TransceiverClass"]


@pytest.fixture(scope="session")
def lists_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A store holding the real OFAC (as of 2024-05-03) and UN lists; copy it before writing."""
    path = tmp_path_factory.mktemp("lists") / "lists.duckdb"
    with cargotrace.open_store(path) as store:
        load_list(store, shared_data / OFAC, "ofac", as_of=datetime(2024, 5, 3).date())
        load_list(store, shared_data / UN, "un")
    return path


@pytest.fixture(scope="session")
def ofac_vessels(lists_store: Path) -> list[ListVessel]:
    with cargotrace.open_store(lists_store, read_only=True) as store:
        return list_vessels(store)


@pytest.fixture
def screen_store(lists_store: Path, tmp_path: Path) -> Iterator[cargotrace.Store]:
    """A writable copy of the lists store."""
    path = tmp_path / "screen.duckdb"
    shutil.copy(lists_store, path)
    with cargotrace.open_store(path) as store:
        yield store


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
