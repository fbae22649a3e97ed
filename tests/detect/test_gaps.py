"""Gap detection on simulated traffic with known truth, and on data arriving in pieces."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import cargotrace
from cargotrace.detect.gaps import gap_candidates, gap_events
from cargotrace.detect.params import GapParams
from cargotrace.detect.run import SUPPORTED, detect
from cargotrace.detect.track import track_table
from cargotrace.errors import ParamsError
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.evaluate import evaluate, read_events, read_truth
from cargotrace.sim.params import MatchParams
from cargotrace.store.engines import Engine, tables_on, to_arrow

from .factories import copy_store, store_rows
from .factories import port_position as make_position


@pytest.fixture(scope="module")
def mixed(mixed_sim: Path, mixed_ingested: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`mixed` ingested with the curated gazetteer (conftest.py), every detector run, in a copy
    (test_rerun_adds_nothing detects again)."""
    store_path = copy_store(mixed_ingested, tmp_path_factory.mktemp("mixed-gaps"))
    with cargotrace.open_store(store_path) as store:
        detect(store)
    return mixed_sim, store_path


def test_gaps_match_the_simulated_truth(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        result = evaluate(
            read_events(store), read_truth(out / "truth.parquet"), MatchParams(), kinds={"gap"}
        )
    score = result.score("gap")
    assert score.truth >= 10
    assert score.precision >= 0.95 and score.recall >= 0.95, score
    # a gap runs from the last position before to the first after: timing is exact
    assert score.start_error_max_min == 0 and score.end_error_max_min == 0


def test_rerun_adds_nothing(mixed: tuple[Path, Path]) -> None:
    _, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        before = store.con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()
        summary = detect(store)
        after = store.con.execute("SELECT event_id FROM events ORDER BY 1").fetchall()
    assert before == after and summary.replaced == len(before)


def test_each_run_is_recorded_per_kind(mixed: tuple[Path, Path]) -> None:
    """Readers (the vessel profile) must tell "nothing found" from "never looked"."""
    _, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        runs = dict(store.con.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'detected:%'"
        ).fetchall())
        gaps = store.con.execute("SELECT count(*) FROM events WHERE kind = 'gap'").fetchone()
        data_end = store.con.execute("SELECT max(ts) FROM positions").fetchone()
        stored = dict(store.con.execute("SELECT kind, count(*) FROM events GROUP BY kind")
                      .fetchall())
    assert set(runs) == {f"detected:{k}" for k in SUPPORTED}
    records = [json.loads(v) for v in runs.values()]
    assert all(r["events"] == stored.get(r["kind"], 0) for r in records)
    assert len({r["ran_at"] for r in records}) == 1  # the run's records written together
    gap_run = json.loads(runs["detected:gap"])
    assert gap_run["preset"] == "gfw" and gap_run["engine"] == "duckdb"
    assert gaps is not None and gap_run["events"] == gaps[0]
    assert data_end is not None and gap_run["data_end"] == data_end[0].isoformat()
    assert gap_run["since"] is None and gap_run["until"] is None


def test_gap_attributes_and_likely_disabling(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        rows = store.con.execute(
            "SELECT mmsi, start, attrs, params FROM events WHERE kind = 'gap'"
        ).fetchall()
    truth = {
        (m, s): json.loads(a)["cause"]
        for m, s, a in duckdb.sql(
            f"SELECT mmsi, start, attrs FROM '{out}/truth.parquet' WHERE kind = 'gap'"
        ).fetchall()
    }
    flagged = []
    for mmsi, start, attrs, params in rows:
        attrs, params = json.loads(attrs), json.loads(params)
        assert params["preset"] == "gfw" and params["min_gap_h"] == 6.0
        assert attrs["duration_h"] >= 6.0
        if not attrs["open"]:
            assert 0 <= attrs["implied_speed_kn"] < 25
        if attrs["likely_disabling"]:
            assert attrs["offshore_nm"] >= 50 and attrs["well_received_before"]
            flagged.append(truth.get((mmsi, start)))
    # flagged gaps are real silences of the truth (a natural reception gap that starts far
    # offshore after good reception is flagged too, as under GFW's rule: see the next test)
    assert None not in flagged


@pytest.mark.parametrize(
    ("every_min", "silent_h", "lat", "disabling"),
    [
        pytest.param(2, 20, 40.5, True, id="well_received_offshore_long"),
        pytest.param(90, 20, 40.5, False, id="poorly_received_before"),
        pytest.param(2, 8, 40.5, False, id="too_short"),
        pytest.param(2, 20, 43.05, False, id="near_shore_vladivostok"),
    ],
)
def test_likely_disabling_rule(
    tmp_store: cargotrace.Store, every_min: int, silent_h: float, lat: float, disabling: bool
) -> None:
    """GFW's rule on hand-built tracks: long, offshore, after the vessel was well heard."""
    from datetime import timedelta

    lon = 134.5 if lat < 42 else 131.85
    t0 = datetime(2023, 9, 7, tzinfo=UTC)
    times = [t0 + timedelta(minutes=m) for m in range(0, 12 * 60, every_min)]
    last = times[-1]
    times.append(last + timedelta(hours=silent_h))
    for i, ts in enumerate(times):
        tmp_store.con.execute(
            "INSERT INTO positions VALUES (273310010, ?, ?, ?, 10.0, 90.0, 90, 0, 1, 't', 'r', 1)",
            [ts, lat, lon + i * 0.001],
        )
    detect(tmp_store, kinds=["gap"])
    rows = tmp_store.con.execute(
        "SELECT start, attrs FROM events WHERE kind = 'gap' AND \"end\" IS NOT NULL"
    ).fetchall()
    assert [r[0] for r in rows] == [last]
    assert json.loads(rows[0][1])["likely_disabling"] is disabling


def test_open_gap_closes_when_later_data_arrives(tmp_path: Path, mixed: tuple[Path, Path]) -> None:
    out, _ = mixed
    positions = pq.read_table(out / "positions.parquet")
    cut = datetime(2023, 9, 6, tzinfo=UTC)
    first, later = (tmp_path / "first.parquet"), (tmp_path / "later.parquet")
    ts = positions.column("ts")
    import pyarrow.compute as pc

    pq.write_table(positions.filter(pc.less(ts, cut)), first)
    pq.write_table(positions.filter(pc.greater_equal(ts, cut)), later)
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        ingest_file(store, first)
        detect(store, kinds=["gap"])
        # a vessel silent for the last 6 h before the cut has an open gap
        opened = store.con.execute(
            "SELECT mmsi, start FROM events WHERE kind = 'gap' AND \"end\" IS NULL"
        ).fetchall()
        ingest_file(store, later)
        detect(store, kinds=["gap"])
        rows = store.con.execute(
            "SELECT mmsi, start, \"end\" FROM events WHERE kind = 'gap'"
        ).fetchall()
    assert opened
    by_start = {(m, s): e for m, s, e in rows}
    heard_later = {m for (m,) in duckdb.sql(
        f"SELECT DISTINCT mmsi FROM '{later}'").fetchall()}
    for mmsi, start in opened:
        # heard again after the cut: the same gap, now closed; never heard again: still open
        assert (by_start[(mmsi, start)] is not None) == (mmsi in heard_later)
    assert any(by_start[key] is not None for key in opened)
    assert len(rows) == len(set((m, s) for m, s, _ in rows))  # no duplicates


def test_reference_case_dark_port_calls(sea_of_japan: tuple[Path, Path]) -> None:
    """The reference case's scenario, simulated and detected once per run (tests/conftest.py)."""
    _, store_path = sea_of_japan
    with cargotrace.open_store(store_path, read_only=True) as store:
        (mmsi,) = store.con.execute(
            "SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = 9179842"
        ).fetchall()[0]
        gap = store.con.execute(
            "SELECT start, \"end\", attrs FROM events WHERE kind = 'gap' AND mmsi = ? "
            'ORDER BY "end" - start DESC LIMIT 1',
            [mmsi],
        ).fetchall()[0]
        calls = store.con.execute(
            "SELECT place_id, attrs FROM events WHERE kind = 'possible_dark_port_call' "
            "AND mmsi = ? AND start = ?", [mmsi, gap[0]],
        ).fetchall()
        seen = {p for (p,) in store.con.execute(
            "SELECT place_id FROM events WHERE kind = 'port_visit' AND mmsi = ? AND ("
            "\"end\" BETWEEN ? - INTERVAL 6 HOUR AND ? OR start BETWEEN ? AND ? + INTERVAL 6 HOUR)",
            [mmsi, gap[0], gap[0], gap[1], gap[1]]).fetchall()}
    assert (gap[1] - gap[0]).days >= 8  # dark from 5 to 14 September
    assert len(calls) == 1  # one event for the silence, every port that fits in it listed
    place_id, attrs = calls[0]
    candidates = [c["place_id"] for c in json.loads(attrs)["candidates"]]
    assert candidates[0] == place_id and len(candidates) == len(set(candidates))
    assert "ct:najin" in candidates
    assert seen and not seen & set(candidates)  # the port it was seen at on either side
    assert "ct:tartus" not in candidates  # not reachable and back within the gap


def test_overrides_are_checked(tmp_store: cargotrace.Store) -> None:
    with pytest.raises(ParamsError, match="gap has no field 'min_gap_hours'"):
        detect(tmp_store, overrides={"gap.min_gap_hours": "4"})
    with pytest.raises(ParamsError, match="min_gap_h must be > 0"):
        detect(tmp_store, overrides={"gap.min_gap_h": "-1"})


def test_gap_events_are_reproduced_from_scratch(tmp_path: Path, mixed: tuple[Path, Path]) -> None:
    """Detecting again on a copy with no events gives the very same events (ids, times, attrs).
    Spark parity for gaps is in test_engines.py (every detector, the whole scenario)."""
    _, store_path = mixed
    kinds = ["gap", "possible_dark_port_call"]
    with cargotrace.open_store(store_path) as store:
        reference = store.con.execute(
            "SELECT event_id, kind, mmsi, start, \"end\", attrs FROM events "
            "WHERE kind IN ('gap', 'possible_dark_port_call') ORDER BY event_id"
        ).fetchall()
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store_path.read_bytes())
    with cargotrace.open_store(copy) as store:
        store.con.execute("DELETE FROM events")
        detect(store, kinds=kinds)
        found = store.con.execute(
            "SELECT event_id, kind, mmsi, start, \"end\", attrs FROM events ORDER BY event_id"
        ).fetchall()
    assert len(found) > 10 and found == reference


@pytest.mark.parametrize("shared_track", [False, True], ids=["binned", "shared_track"])
def test_sailing_speed_around_a_gap(tmp_store: cargotrace.Store, shared_track: bool) -> None:
    """The mean reported speed while sailing (3 kn and up) in the 12 h before and after a gap:
    what the possible-dark-port-call test takes as the vessel's own speed."""
    t0 = datetime(2023, 9, 1, tzinfo=UTC)
    rows = [make_position(1, t0 + timedelta(minutes=5 * k), 42.0, 132.0 + k * 0.001,
                          sog=[10.0, 12.05, 2.9, 3.0][k % 4]) for k in range(144)]
    back = rows[-1]["ts"] + timedelta(hours=10)
    rows += [make_position(1, back + timedelta(minutes=5 * k), 42.0, 133.0 + k * 0.001,
                           sog=8.25) for k in range(144)]
    rows.append(make_position(1, back + timedelta(hours=12, minutes=1), 42.0, 133.5, sog=20.0))
    # moored (0 kn), silent, then heard without a speed, then silent to the end of the data
    rows += [make_position(2, t0 + timedelta(minutes=5 * k), 42.0, 131.0, sog=0.0)
             for k in range(50)]
    rows += [make_position(2, t0 + timedelta(hours=20, minutes=5 * k), 42.0, 131.0, sog=None)
             for k in range(50)]
    store_rows(tmp_store, rows)
    end = back + timedelta(hours=40)
    positions = tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"]
    track = track_table(positions) if shared_track else None
    found = gap_events(to_arrow(gap_candidates(positions, GapParams(), end, track),
                                order_by=["mmsi", "start"]), GapParams(), end)
    speeds = [(e.mmsi, e.end is None, e.attrs["sog_before_kn"], e.attrs["sog_after_kn"])
              for e in found]
    # vessel 1: 10.0, 12.05 and 3.0 kn count, 2.9 does not (tenths: 100 + 121 + 30 over 3),
    # after: 8.25 kn is 8.3 in tenths, the 20 kn fix 12 h 1 min after the gap is outside (it
    # counts before the open silence that follows it: 143 x 8.3 and 20 kn)
    assert speeds == [(1, False, 8.37, 8.3), (1, True, 8.38, None),
                      (2, False, None, None), (2, True, None, None)]
