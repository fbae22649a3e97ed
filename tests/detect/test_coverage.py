"""Feed outages and truncated exports are not vessel silences (detect/coverage.py).

Hand-built fleets with a whole-feed outage, a single ship whose silence must still count, and
the real MarineCadastre sample (an export cut after its first 99,999 rows: 99.6 % of them in the
first 21 minutes of the day, a few stragglers until midnight).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.coverage import coverage_model, data_coverage
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.run import detect
from cargotrace.store.engines import Engine, tables_on

from .factories import copy_store, regional_feed, store_rows

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def fleet(n_vessels: int, hours: float, *, silent: dict[int, tuple[float, float]] | None = None,
          outage: tuple[float, float] | None = None, every_min: int = 10) -> list[dict[str, Any]]:
    """`n_vessels` ships in the open Sea of Japan, each heard every `every_min` minutes, except
    during its own silence (`silent`: vessel index → (from_h, to_h)) or a feed `outage`."""
    rows = []
    for v in range(n_vessels):
        mmsi = 273000000 + v
        for k in range(int(hours * 60 / every_min)):
            h = k * every_min / 60
            if silent and v in silent and silent[v][0] <= h < silent[v][1]:
                continue
            if outage and outage[0] <= h < outage[1]:
                continue
            rows.append({"mmsi": mmsi, "ts": T0 + timedelta(hours=h), "lat": 40.0 + v * 0.05,
                         "lon": 134.0 + h * 0.01, "sog": 10.0, "cog": 90.0, "msg_type": 1})
    return rows


GapRow = tuple[int, datetime, datetime | None, dict[str, Any]]


def gap_rows(store: cargotrace.Store) -> list[GapRow]:
    detect(store, kinds=["gap"])
    return [(m, s, e, json.loads(a)) for m, s, e, a in store.con.execute(
        'SELECT mmsi, start, "end", attrs FROM events WHERE kind = \'gap\' ORDER BY mmsi, start'
    ).fetchall()]


def test_a_feed_outage_is_not_a_gap_but_a_ship_silent_around_it_is(
        tmp_store: cargotrace.Store) -> None:
    # 30 ships for two days; the whole feed is down from 20 h to 30 h; ship 5 is silent from
    # 10 h to 40 h: 30 h of silence, of which 20 h were observed
    store_rows(tmp_store, fleet(30, 48, outage=(20, 30), silent={5: (10, 40)}))
    gaps = gap_rows(tmp_store)
    assert [(m, s, e) for m, s, e, _ in gaps] == [
        (273000005, T0 + timedelta(hours=10) - timedelta(minutes=10), T0 + timedelta(hours=40))
    ]
    attrs = gaps[0][3]
    assert attrs["duration_h"] == pytest.approx(30 + 1 / 6, abs=1e-3)
    assert attrs["unobserved_h"] == pytest.approx(10.0)


def test_an_outage_shorter_than_the_silence_threshold_still_hides_the_gap(
        tmp_store: cargotrace.Store) -> None:
    # ship 3 is silent for 8 h, 4 of them during a feed outage: only 4 observed hours < 6 h
    store_rows(tmp_store, fleet(25, 24, outage=(10, 14), silent={3: (8, 16)}))
    assert gap_rows(tmp_store) == []


def test_a_single_ship_gives_no_coverage_signal_so_its_silence_counts(
        tmp_store: cargotrace.Store) -> None:
    """One ship's export cannot tell an outage from a silence: every hour counts as observed."""
    store_rows(tmp_store, fleet(1, 24, silent={0: (6, 14)}))
    gaps = gap_rows(tmp_store)
    assert len(gaps) == 1 and gaps[0][3]["unobserved_h"] == 0.0


def test_coverage_is_the_same_on_both_engines(engine: Engine, tmp_store: cargotrace.Store
                                              ) -> None:
    store_rows(tmp_store, fleet(30, 24, outage=(5, 8)))
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    cov = data_coverage(positions, T0 + timedelta(hours=24), 0.1, 20)
    hours = [datetime.fromtimestamp(int(s), UTC) for s in cov.unobserved_hour_starts_s]
    assert hours == [T0 + timedelta(hours=h) for h in (5, 6, 7)]
    assert cov.busy_hour_vessels == 30 and cov.threshold_vessels == pytest.approx(3.0)


def test_truncated_real_export_makes_no_gaps(marinecadastre_store: Path, tmp_path: Path) -> None:
    """Before coverage, this file gave 10,617 gaps (10,290 'open'): one per vessel heard in the
    first 21 minutes and not in the stragglers. Nothing in it shows a ship going silent.
    (The file is ingested once per run, conftest.py; gaps are detected in a copy.)"""
    with cargotrace.open_store(copy_store(marinecadastre_store, tmp_path)) as tmp_store:
        positions = tmp_store.positions
        cov = data_coverage(positions, datetime(2022, 1, 4, tzinfo=UTC), 0.1, 20)
        unobserved = {datetime.fromtimestamp(int(s), UTC).hour
                      for s in cov.unobserved_hour_starts_s}
        assert unobserved == set(range(1, 24))  # only the first hour was really received
        assert cov.busy_hour_vessels > 5000
        assert gap_rows(tmp_store) == []


def test_the_coverage_model_is_the_same_on_both_engines(engine: Engine,
                                                       tmp_store: cargotrace.Store) -> None:
    """Receiver hours, footprint and sparse share from the same Ibis group-bys on either
    engine: a regional feed of two receivers, B down from 5 h to 8 h."""
    rows = [{**r, "station": "A"} for r in regional_feed(12)]
    rows += [{**r, "mmsi": r["mmsi"] + 1000, "lat": round(r["lat"] - 3.0, 6), "station": "B"}
             for r in regional_feed(12) if not 5 <= (r["ts"] - T0).total_seconds() / 3600 < 8]
    store_rows(tmp_store, rows)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    model = coverage_model(positions, T0 + timedelta(hours=12),
                           CoverageParams(min_busy_hour_vessels=5))
    hours = {s: [datetime.fromtimestamp(int(h), UTC).hour for h in c.unobserved_hour_starts_s]
             for s, c in model.stations.items()}
    assert hours == {"A": [], "B": [5, 6, 7]}
    assert model.feed.unobserved_hour_starts_s.size == 0
    cells = {(int(k // 1_000_000), int(k % 1_000_000)) for k in model.footprint.cells}
    expected = pd.DataFrame(rows).assign(r=lambda d: (d["lat"] / 0.1).apply(math.floor),
                                         c=lambda d: (d["lon"] / 0.1).apply(math.floor))
    dense = expected.groupby(["r", "c"]).size()
    assert {k for k, n in dense.items() if n >= 10} <= cells  # filled holes add cells
    per_vessel_hour = expected.groupby(["mmsi", expected["ts"].dt.floor("h")]).size()
    assert model.footprint.kind == "regional"
    assert model.footprint.sparse_share == pytest.approx((per_vessel_hour <= 2).mean())


def test_the_class_b_footprint_is_drawn_from_the_class_b_positions_alone(
        engine: Engine, tmp_store: cargotrace.Store) -> None:
    """The footprint's one cell group-by counts class B positions too: the class B cells are
    every cell where class B positions alone reach the minimum (counted here with pandas),
    plus holes filled within `footprint_fill_cells` of them, and no cell only class A ships
    were heard in."""
    rows = [{**r, "msg_type": 18} if r["mmsi"] % 3 == 0 else r for r in regional_feed(12)]
    store_rows(tmp_store, rows)
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    params = CoverageParams(min_busy_hour_vessels=5)
    model = coverage_model(positions, T0 + timedelta(hours=12), params)
    assert model.footprint.kind == "regional" and model.footprint.class_b is not None
    deg = params.footprint_cell_deg
    frame = pd.DataFrame(rows).assign(r=lambda d: (d["lat"] / deg).apply(math.floor),
                                      c=lambda d: (d["lon"] / deg).apply(math.floor))
    per_cell = frame[frame["msg_type"] == 18].groupby(["r", "c"]).size()
    dense = {k for k, n in per_cell.items() if n >= params.footprint_min_positions}
    got = {(int(k // 1_000_000), int(k % 1_000_000)) for k in model.footprint.class_b.cells}
    assert dense and dense <= got
    k = params.footprint_fill_cells
    assert all(any(abs(r - a) <= 2 * k and abs(c - b) <= 2 * k for a, b in dense)
               for r, c in got)
    class_a_only = set(zip(frame["r"], frame["c"], strict=True)) - set(per_cell.index)
    assert class_a_only - got, "class A cells away from every class B cell are left out"
