"""The packaged world gazetteer (issue 14): built from the real WPI and searoute files, written to
every store at its first detect, overridden by what the user loads; broken gazetteer rows are
reported line by line. Independent checks read the real source files with pandas/json."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import SkipReason, load_places
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.world_gazetteer import (
    SEED_KEY,
    ensure_default_places,
    gazetteer_version,
    packaged_places,
)
from cargotrace.store.places import list_places

SOLENT = "ais_positions/stonesoup_SolentAIS_20160112_130211.csv"


def _world_csv() -> pd.DataFrame:
    raw = resources.files("cargotrace").joinpath("data", "world_gazetteer.csv.gz").read_bytes()
    return pd.read_csv(io.BytesIO(gzip.decompress(raw)), dtype=str, keep_default_na=False)


def test_world_file_covers_both_sources(shared_data: Path) -> None:
    data = resources.files("cargotrace").joinpath("data")
    raw = data.joinpath("world_gazetteer.csv.gz").read_bytes()
    meta = json.loads(data.joinpath("world_gazetteer.json").read_text("utf-8"))
    assert len(raw) < 400_000  # compact: a few hundred KB at most
    assert meta["csv_sha256"] == hashlib.sha256(gzip.decompress(raw)).hexdigest()
    assert meta["version"].endswith(meta["csv_sha256"][:8])
    world = _world_csv()
    assert world.place_id.is_unique
    wpi = pd.read_csv(shared_data / "ports/UpdatedPub150.csv", encoding="utf-8-sig", dtype=str,
                      keep_default_na=False)
    numbers = {"wpi:" + f"{float(n):.3f}".rstrip("0").rstrip(".")
               for n in wpi["World Port Index Number"]}
    assert numbers == {p for p in world.place_id if p.startswith("wpi:")}
    codes = {f["properties"]["port"] for f in json.loads(
        (shared_data / "ports/searoute_ports.geojson").read_text("utf-8"))["features"]}
    carried = set(world.locode) | {
        a.replace(" ", "") for aliases in world.aliases for a in aliases.split("; ") if a}
    assert {c for c in codes if len(c) == 5} <= carried  # each port a row, or merged into one
    assert len(world) == meta["rows"] < len(wpi) + len(codes)  # merged, not stacked
    places, _ = packaged_places()
    assert len(places) == len(world)  # every packaged row loads: nothing skipped


def test_seeded_rows_are_the_places_the_reader_makes(tmp_path: Path) -> None:
    """The store is seeded by DuckDB reading the packaged file (fast); the places it writes are
    exactly those the gazetteer reader (`read_places`, every row validated in Python) makes
    of the same file, field by field, for every world row the store keeps."""
    world, curated = packaged_places()
    with cargotrace.open_store(tmp_path / "s.duckdb") as st:
        seeded = ensure_default_places(st)
        assert seeded is not None and seeded.kept_for_user == 0
        stored = {m.place.place_id: m.place for m in list_places(st, limit=None)}
    expected = {p.place_id: p for p in world if p.place_id in stored}
    assert len(expected) == seeded.world == len(stored) - len(curated)
    for pid, place in expected.items():
        assert stored[pid] == place, pid


def test_fresh_store_detects_against_world_gazetteer(shared_data: Path, tmp_path: Path) -> None:
    with cargotrace.open_store(tmp_path / "s.duckdb") as st:
        ingest_file(st, shared_data / SOLENT)
        assert st.count("places") == 0  # nothing before detect
        detect(st, kinds=["port_visit"])
        world = _world_csv()
        counts = dict(st.con.execute(
            "SELECT starts_with(place_id, 'ct:'), count(*) FROM places GROUP BY 1").fetchall())
        # independent: world rows sharing a UN/LOCODE with a curated row give way to it
        curated = pd.read_csv(io.StringIO(resources.files("cargotrace").joinpath(
            "data", "gazetteer.csv").read_text("utf-8")), dtype=str, keep_default_na=False)
        assert counts[True] == len(curated)
        curated_codes = {a.strip().replace(" ", "") for v in curated.aliases
                         for a in v.split(";") if re.fullmatch(r"[A-Z]{2} [A-Z0-9]{3}", a.strip())}
        world_codes = [
            {world.locode[i], *(a.replace(" ", "") for a in world.aliases[i].split("; "))}
            for i in range(len(world))]
        assert counts[False] == sum(1 for c in world_codes if not c & curated_codes)
        visits = st.con.execute(
            "SELECT e.mmsi, p.lat, p.lon, p.radius_m, e.params FROM events e "
            "JOIN places p USING (place_id) WHERE e.kind = 'port_visit'").fetchall()
        positions = st.con.execute(
            "SELECT mmsi, lat, lon, sog FROM positions WHERE lat IS NOT NULL").df()
    assert visits, "Solent ships moored in Southampton/Portsmouth must have port visits"
    # independent: each visiting ship has a stopped position inside its place's radius
    for mmsi, lat, lon, radius_m, params in visits:
        own = positions[positions.mmsi == mmsi]
        dlat = (own.lat - lat) * 111.2
        dlon = (own.lon - lon) * 111.2 * 0.62  # cos(51 N)
        near = (dlat**2 + dlon**2) ** 0.5 <= radius_m / 1000 + 0.5
        assert (near & (own.sog.fillna(0) < 0.5)).any()
        used = json.loads(params)["inputs"]["places"]
        assert used["gazetteer"] == gazetteer_version()
        assert used["user_places"] == 0


def test_user_rows_override_packaged_ones(tmp_store: cargotrace.Store, tmp_path: Path) -> None:
    assert ensure_default_places(tmp_store) is not None
    assert ensure_default_places(tmp_store) is None  # one meta look-up once written
    before = tmp_store.count("places")
    mine = tmp_path / "mine.csv"
    mine.write_text("name,lat,lon,locode,radius_m\nMy Vladivostok,43.10,131.90,RU VVO,6000\n"
                    "Somewhere new,10.0,10.0,,\n", encoding="utf-8")
    summary = load_places(tmp_store, mine)
    # WPI's Vladivostok and the curated one carry RU VVO: both give way to the user's row
    vvo = [m for m in list_places(tmp_store, name="vladivostok")]
    assert [m.origin for m in vvo] == ["user"]
    assert summary.overridden == 1  # the curated row had already replaced the WPI one
    assert tmp_store.count("places") == before + 2 - 1
    # a newer packaged version (simulated by forgetting the seed) keeps the user's row
    tmp_store.con.execute("DELETE FROM meta WHERE key = ?", [SEED_KEY])
    seeded = ensure_default_places(tmp_store)
    assert seeded is not None and seeded.kept_for_user >= 1
    assert [m.origin for m in list_places(tmp_store, name="vladivostok")] == ["user"]
    origins = {m.origin for m in list_places(tmp_store)}
    assert origins == {"world", "curated", "user"}


def _corrupt_csv(source: Path, out: Path, broken: dict[int, dict[str, str]]) -> None:
    """Copy `source` with the given data rows (0-based) changed."""
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for i, changes in broken.items():
        rows[i].update(changes)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("fmt", ["wpi", "csv", "geojson"])
def test_broken_rows_are_reported_and_the_rest_loaded(
    fmt: str, shared_data: Path, tmp_path: Path, tmp_store: cargotrace.Store
) -> None:
    ports = shared_data / "ports"
    if fmt == "wpi":
        path = tmp_path / "wpi.csv"
        _corrupt_csv(ports / "UpdatedPub150.csv", path, {
            4: {"Latitude": "north"}, 9: {"Longitude": "200"}, 20: {"Main Port Name": ""}})
        total = len(pd.read_csv(ports / "UpdatedPub150.csv", encoding="utf-8-sig"))
        expected = {6: SkipReason.UNPARSEABLE_COORDINATES, 11: SkipReason.LON_OUT_OF_RANGE,
                    22: SkipReason.MISSING_NAME}
    elif fmt == "csv":
        path = tmp_path / "overrides.csv"
        _corrupt_csv(ports / "gfw_anchorage_overrides.csv", path, {
            0: {"latitude": ""}, 2: {"latitude": "95"}})
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        # the real file has its own bad rows (a longitude beyond 180): counted independently
        lon = pd.to_numeric(rows.longitude, errors="coerce")
        expected = {int(i) + 2: SkipReason.LON_OUT_OF_RANGE for i in rows.index[lon.abs() > 180]}
        expected |= {2: SkipReason.MISSING_COORDINATES, 4: SkipReason.LAT_OUT_OF_RANGE}
        total = len(rows)
        path.write_text(rows.rename(columns={"label": "name"}).to_csv(index=False), "utf-8")
    else:
        doc = json.loads((ports / "searoute_ports.geojson").read_text("utf-8"))
        doc["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
        doc["features"][5]["geometry"]["coordinates"] = ["x", "y"]
        doc["features"][7]["properties"]["name"] = ""
        doc["features"][7]["properties"]["port"] = ""
        path = tmp_path / "ports.geojson"
        path.write_text(json.dumps(doc), "utf-8")
        total = len(doc["features"])
        expected = {1: SkipReason.UNSUPPORTED_GEOMETRY, 6: SkipReason.UNPARSEABLE_COORDINATES,
                    8: SkipReason.MISSING_NAME}
    summary = load_places(tmp_store, path)
    reported = {s.row: s.reason for s in summary.skipped if s.reason != "duplicate_place_id"}
    assert reported == expected
    assert summary.rows_read == total
    assert summary.loaded + len(summary.skipped) == total
