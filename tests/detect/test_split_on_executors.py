"""The identity split and the outlier scan on Spark's executors (`split_on_executors.py`): per
MMSI they give the driver's runs, events and flags, and on Spark no position comes back.

The data: the simulator's `mixed` scenario (12 vessels, 3 days: shared MMSIs planted), with two
real faults added to its positions: one position of a ship moved 4 degrees north (a lone
glitch, flagged) and two consecutive positions of another moved 4 degrees (a sustained jump:
a teleport)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect import split_on_executors
from cargotrace.detect.coverage import ALL_OBSERVED
from cargotrace.detect.outliers import flag_rows
from cargotrace.detect.params import IdentityParams, OutlierParams
from cargotrace.detect.run import detect
from cargotrace.detect.segments import split_tracks
from cargotrace.detect.split_on_executors import SPLIT_SCHEMA, segmentation_of, split_rows
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.params import ScenarioParams
from cargotrace.sim.run import simulate
from cargotrace.store.engines import Engine

KM_PER_NM = 1.852


@pytest.fixture(scope="module")
def faulty_mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed-12x3")
    simulate(ScenarioParams.for_scenario("mixed", vessels=12, days=3, seed=3), out)
    path = out / "s.duckdb"
    with cargotrace.open_store(path) as store:
        ingest_file(store, out / "positions.parquet")
        ingest_file(store, out / "vessel_reports.parquet")
        con = store.con
        # two ships with one transmitter each (no impossible step yet), the most heard
        clean = _jumping_mmsis(con.sql("SELECT mmsi, ts, lat, lon FROM positions WHERE lat "
                                       "IS NOT NULL AND lon IS NOT NULL").to_arrow_table(),
                               IdentityParams())
        counts = con.execute("SELECT mmsi FROM positions GROUP BY mmsi ORDER BY count(*) DESC, "
                             "mmsi").fetchall()
        glitch, teleport = [m for (m,) in counts if m not in clean][:2]
        for mmsi, first, last in ((glitch, 500, 500), (teleport, 800, 801)):
            con.execute(
                "UPDATE positions SET lat = lat + 4 WHERE (mmsi, ts) IN ("
                " SELECT (mmsi, ts) FROM (SELECT mmsi, ts, row_number() OVER"
                " (ORDER BY ts, lat, lon) AS rn FROM positions WHERE mmsi = ?)"
                " WHERE rn BETWEEN ? AND ?)", [mmsi, first, last])
    return path


def _located(path: Path) -> pa.Table:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql("SELECT mmsi, ts, lat, lon FROM positions "
                       "WHERE lat IS NOT NULL AND lon IS NOT NULL").to_arrow_table()


def _jumping_mmsis(located: pa.Table, params: IdentityParams) -> set[int]:
    """Independently (pandas and numpy): the MMSIs with a step longer than min_jump_km and
    faster than max_speed_kn, in (ts, lat, lon) order."""
    f = located.to_pandas().sort_values(["mmsi", "ts", "lat", "lon"])
    same = f.mmsi.to_numpy()[1:] == f.mmsi.to_numpy()[:-1]
    lat, lon = np.radians(f.lat.to_numpy()), np.radians(f.lon.to_numpy())
    a = (np.sin(np.diff(lat) / 2) ** 2
         + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    hours = np.diff(f.ts.astype("int64").to_numpy()) / 3.6e9
    jump = same & (km > params.min_jump_km) & (km / KM_PER_NM > params.max_speed_kn * hours)
    return set(f.mmsi.to_numpy()[:-1][jump].tolist())


def _groups(data: pa.Table, seed: int) -> list[pa.Table]:
    """One table per MMSI, its rows shuffled: as `applyInArrow` hands a group over."""
    rng = random.Random(seed)
    groups = []
    for mmsi in sorted(set(data.column("mmsi").to_pylist())):
        mine = data.filter(pa.compute.equal(data.column("mmsi"), mmsi))
        order = list(range(mine.num_rows))
        rng.shuffle(order)
        groups.append(mine.take(pa.array(order, pa.int64())))
    return groups


def test_per_mmsi_passes_give_the_drivers_split_and_flags(faulty_mixed: Path) -> None:
    """Without a JVM: each MMSI's group through the executors' functions, put together on the
    driver, gives what the driver's pass over all the jumping MMSIs gives."""
    located, params = _located(faulty_mixed), IdentityParams()
    jumping = _jumping_mmsis(located, params)
    data = located.filter(pa.array([m in jumping for m in located.column("mmsi").to_pylist()]))
    on_driver = split_tracks(data, params)
    rows = pa.concat_tables([split_rows(g, params, ALL_OBSERVED) for g in _groups(data, seed=7)])
    assert rows.schema.equals(SPLIT_SCHEMA)
    on_executors = segmentation_of(rows)
    assert on_executors.runs.equals(on_driver.runs)
    assert on_executors.events == on_driver.events
    assert on_executors.mmsis_checked == on_driver.mmsis_checked == len(jumping) >= 3
    kinds = sorted(e.attrs["identity_kind"] for e in on_driver.events)
    assert "teleport" in kinds and "shared_mmsi" in kinds
    outliers = OutlierParams()
    flags = pa.concat_tables([flag_rows(g, outliers) for g in _groups(data, seed=8)])
    flags = flags.sort_by([(c, "ascending") for c in ("mmsi", "ts", "lat", "lon")])
    expected = flag_rows(data, outliers)
    assert flags.equals(expected) and expected.num_rows >= 1


def _except_all(a: Path, b: Path, table: str) -> tuple[int, int, int]:
    """Rows of `table` in a and not in b, in b and not in a (EXCEPT ALL, every column), and
    rows in a."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
        one, two, n = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM a.{table} EXCEPT ALL "
            f"SELECT * FROM b.{table})), (SELECT count(*) FROM (SELECT * FROM b.{table} "
            f"EXCEPT ALL SELECT * FROM a.{table})), (SELECT count(*) FROM a.{table})"
        ).fetchall()[0]
    return int(one), int(two), int(n)


def test_spark_splits_and_flags_on_the_executors_as_duckdb_does(
        spark: Any, faulty_mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`detect --kind identity` on Spark stores DuckDB's identity events and position flags,
    every column (EXCEPT ALL both ways), and the driver receives only what the per-MMSI
    passes found: never the jumping MMSIs' positions (`to_arrow` of the split and the scan
    refuses; what `applyInArrow` returns is counted)."""
    stores = {engine: tmp_path / f"{engine}.duckdb" for engine in Engine}
    for path in stores.values():
        shutil.copyfile(faulty_mixed, path)
    with cargotrace.open_store(stores[Engine.DUCKDB]) as store:
        duck = detect(store, kinds=["identity"], engine=Engine.DUCKDB)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("positions collected to the driver")

    monkeypatch.setattr("cargotrace.detect.segments.to_arrow", refuse)
    monkeypatch.setattr("cargotrace.detect.outliers.to_arrow", refuse)
    returned: list[int] = []
    per_mmsi = split_on_executors._per_mmsi

    def counted(*args: Any) -> pa.Table:
        rows = per_mmsi(*args)
        returned.append(rows.num_rows)
        return rows

    monkeypatch.setattr(split_on_executors, "_per_mmsi", counted)
    with cargotrace.open_store(stores[Engine.SPARK]) as store:
        on_spark = detect(store, kinds=["identity"], engine=Engine.SPARK)
    assert (on_spark.written, on_spark.flagged) == (duck.written, duck.flagged)
    assert duck.flagged >= 1
    events = _except_all(stores[Engine.DUCKDB], stores[Engine.SPARK], "events")
    flags = _except_all(stores[Engine.DUCKDB], stores[Engine.SPARK], "position_flags")
    assert events[:2] == (0, 0) and events[2] >= 4
    assert flags == (0, 0, duck.flagged)
    # the scan returned the flags, the split its runs and events: far fewer rows than the
    # positions of the jumping MMSIs (counted independently)
    located = _located(faulty_mixed)
    jumping = _jumping_mmsis(located, IdentityParams())
    positions = sum(1 for m in located.column("mmsi").to_pylist() if m in jumping)
    assert len(returned) == 2 and returned[0] == duck.flagged
    assert 0 < returned[1] < positions / 10
