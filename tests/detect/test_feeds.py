"""Coverage judged per source and per feed (detect/feeds.py, detect/coverage.py).

A store usually holds several files. The real Solent capture (one shore receiver, 91 vessels,
84 minutes in 2016) beside the real MarineCadastre snapshot (10,631 vessels, US waters, 2022)
must give the Solent vessels the events the capture gives alone; two sources hearing the same
waters make one feed whose hours are observed when either source observed them.
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

import cargotrace
from cargotrace.detect.coverage import coverage_model
from cargotrace.detect.feeds import group_sources
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.run import detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.store.engines import Engine, tables_on

from .factories import SOLENT, copy_store

# the capture lasts 84 minutes: silences of a quarter hour are what it can show
SHORT = {"gap.min_gap_h": "0.25", "gap.disabling_min_gap_h": "0.5",
         "coverage.exit_min_silence_h": "0.25"}
SILENCES = ("gap", "left_coverage", "dark_voyage")
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _silences(db: str) -> str:
    """The silence events in database `db` of the vessels heard in `ref` (the capture alone),
    before its last position: plain SQL over the events tables, not the detectors' code."""
    kinds = ", ".join(f"'{k}'" for k in SILENCES)
    return (f'SELECT kind, mmsi, start, "end", lat, lon, confidence FROM {db}.events '
            f"WHERE kind IN ({kinds}) AND mmsi IN (SELECT mmsi FROM ref.positions) "
            "AND start <= (SELECT max(ts) FROM ref.positions)")


def test_a_national_snapshot_does_not_silence_a_regional_capture(
        solent_store: Path, marinecadastre_store: Path, shared_data: Path, tmp_path: Path
) -> None:
    alone = copy_store(solent_store, tmp_path, "alone.duckdb")
    both = copy_store(marinecadastre_store, tmp_path, "both.duckdb")
    with cargotrace.open_store(both) as store:
        ingest_file(store, shared_data / SOLENT)
    for path in (alone, both):
        with cargotrace.open_store(path) as store:
            detect(store, kinds=list(SILENCES), overrides=SHORT)
    con = duckdb.connect()
    con.execute(f"ATTACH '{alone}' AS ref (READ_ONLY)")
    con.execute(f"ATTACH '{both}' AS mixed (READ_ONLY)")
    count = "SELECT kind, count(*) FROM ({}) GROUP BY kind ORDER BY kind"
    counts = dict(con.execute(count.format(_silences("ref"))).fetchall())
    assert counts.get("gap", 0) > 0 and counts.get("left_coverage", 0) > 0
    assert dict(con.execute(count.format(_silences("mixed"))).fetchall()) == counts
    # every event identical, both ways
    for a, b in (("ref", "mixed"), ("mixed", "ref")):
        assert con.execute(f"SELECT count(*) FROM ({_silences(a)} EXCEPT ALL {_silences(b)})"
                           ).fetchone() == (0,)
    con.close()


def _fleet(first_mmsi: int, n: int, hours: int, lat: float, source: str,
           down: tuple[int, int] | None = None, silent: dict[int, tuple[int, int]] | None = None,
           step_deg: float = 0.05) -> list[dict[str, Any]]:
    """`n` ships heard every 10 minutes by `source`, but not in its `down` hours nor in a
    ship's own `silent` hours, `step_deg` apart and sailing east by a fifth of it an hour."""
    rows = []
    for v in range(n):
        for k in range(hours * 6):
            h = k / 6
            if (down and down[0] <= h < down[1]) or (silent and v in silent
                                                      and silent[v][0] <= h < silent[v][1]):
                continue
            rows.append({"mmsi": first_mmsi + v, "ts": T0 + timedelta(hours=h),
                         "lat": lat + v * step_deg, "lon": 134.0 + h * step_deg / 5,
                         "sog": 10.0,
                         "cog": 90.0, "msg_type": 1, "source": source, "ingest_id": 1})
    return rows


def _store(store: cargotrace.Store, rows: list[dict[str, Any]]) -> None:
    store.con.register("rows_in", pa.Table.from_pylist(rows))
    store.con.execute("INSERT INTO positions BY NAME SELECT * FROM rows_in")
    store.con.unregister("rows_in")


def _unobserved_hours(rows: list[dict[str, Any]], end_h: int) -> list[int]:
    """Independently (pandas): the hours in which no source heard 10 % of its busiest hour."""
    frame = pd.DataFrame(rows)
    frame["h"] = (frame["ts"] - T0).dt.total_seconds() // 3600
    per = frame.groupby(["source", "h"])["mmsi"].nunique().unstack(0).fillna(0)
    per = per.reindex(range(end_h), fill_value=0)
    observed = (per >= 0.1 * per.max()).any(axis=1)
    return [int(h) for h, ok in observed.items() if not ok]


def test_two_sources_hearing_the_same_waters_are_judged_on_their_union(
        tmp_store: cargotrace.Store) -> None:
    """Receiver log A is down from 20 h to 30 h, B (30 other ships in the same waters) heard
    through it, except 24-26 h: only 24-26 h were unobserved, and ship 5 of A, silent from 10 h
    to 40 h, has a gap of which 2 h were unobserved (as one merged feed, A's outage no longer
    shows; judged on A alone, 10 h would be)."""
    rows = (_fleet(273000000, 30, 48, 40.0, "a.nmea", down=(20, 30), silent={5: (10, 40)})
            + _fleet(273100000, 30, 48, 40.02, "b.nmea", down=(24, 26)))
    _store(tmp_store, rows)
    model = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                           T0 + timedelta(hours=48), CoverageParams())
    assert not model.feeds and model.sources == ("a.nmea", "b.nmea")
    hours = [int((s - T0.timestamp()) // 3600) for s in model.feed.unobserved_hour_starts_s]
    assert hours == _unobserved_hours(rows, 48) == [24, 25]
    notes = detect(tmp_store, kinds=["gap"]).notes
    assert [n for n in notes[EventKind.GAP] if "judged per source" in n]
    gaps = tmp_store.con.execute(
        "SELECT mmsi, (attrs->>'unobserved_h')::DOUBLE, (attrs->>'coverage_sources')::INT "
        "FROM events WHERE kind = 'gap'").fetchall()
    assert gaps == [(273000005, pytest.approx(2.0), 2)]


def test_a_far_source_is_a_feed_of_its_own(tmp_store: cargotrace.Store) -> None:
    """A busy source far away (30 ships at 10 degrees north, hours 0-2 only) does not make the
    regional log's hours unobserved: ship 3 of the log is judged on the log alone. (The log's
    ships sail within one footprint cell: too few cells to judge, so no silence leaves it.)"""
    log = _fleet(273000000, 25, 24, 40.0, "log.nmea", silent={3: (8, 16)}, step_deg=0.002)
    far = _fleet(366000000, 300, 2, 10.0, "snapshot.csv")
    _store(tmp_store, log + far)
    model = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                           T0 + timedelta(hours=24), CoverageParams())
    assert [m.sources for m in model.feeds] == [("log.nmea",), ("snapshot.csv",)]
    assert model.for_vessel(273000003, T0).feed.unobserved_hour_starts_s.size == 0
    notes = detect(tmp_store, kinds=["gap"]).notes
    assert [n for n in notes[EventKind.GAP]
            if "2 feeds (log.nmea; snapshot.csv)" in n]
    gaps = tmp_store.con.execute(
        "SELECT mmsi, (attrs->>'unobserved_h')::DOUBLE FROM events WHERE kind = 'gap'"
    ).fetchall()
    assert gaps == [(273000003, 0.0)]
    # drawn again, the model is the same, byte for byte: a bucketed run compares models
    # (`buckets._same_model`) to skip a second pass over every bucket
    again = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                           T0 + timedelta(hours=24), CoverageParams())
    assert pickle.dumps(again) == pickle.dumps(model)
    assert list(model.feed_of) == sorted(model.feed_of)


def test_sources_sharing_a_cell_are_one_feed() -> None:
    cells = [("a", 1), ("a", 2), ("b", 2), ("c", 9), ("d", 9), ("e", 5)]
    assert group_sources(cells) == [("a", "b"), ("c", "d"), ("e",)]


def test_the_per_feed_model_is_the_same_on_both_engines(engine: Engine,
                                                       tmp_store: cargotrace.Store) -> None:
    """Two sources in the same waters (B down 5-7 h) and a far busy snapshot: the same feeds,
    hours, spans and footprints from the same Ibis group-bys on either engine."""
    rows = (_fleet(273000000, 25, 12, 40.0, "a.nmea")
            + _fleet(273100000, 25, 12, 40.02, "b.nmea", down=(5, 7))
            + _fleet(366000000, 300, 2, 10.0, "snapshot.csv"))
    _store(tmp_store, rows)
    end = T0 + timedelta(hours=12)
    model = coverage_model(tables_on(engine, tmp_store, ["positions"])["positions"], end,
                           CoverageParams())
    assert [m.sources for m in model.feeds] == [("a.nmea", "b.nmea"), ("snapshot.csv",)]
    regional, snapshot = model.feeds
    # a.nmea heard every hour: the union of the two has no unobserved hour
    assert regional.feed.unobserved_hour_starts_s.size == 0
    assert regional.data_end == max(r["ts"] for r in rows if r["source"] != "snapshot.csv")
    assert snapshot.data_end == max(r["ts"] for r in rows if r["source"] == "snapshot.csv")
    assert model.for_vessel(366000001, T0) is snapshot
    assert model.for_vessel(273100001, T0) is regional
    reference = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                               end, CoverageParams())
    for mine, theirs in zip(model.feeds, reference.feeds, strict=True):
        assert mine.footprint.kind == theirs.footprint.kind
        assert list(mine.footprint.cells) == list(theirs.footprint.cells)
        assert (list(mine.feed.unobserved_hour_starts_s)
                == list(theirs.feed.unobserved_hour_starts_s))
        assert (mine.feed.observed_end_s, mine.feed.busy_hour_vessels) == (
            theirs.feed.observed_end_s, theirs.feed.busy_hour_vessels)


def test_a_receiver_name_heard_in_two_feeds_is_judged_on_both_feeds_hours(
        tmp_store: cargotrace.Store) -> None:
    """Receiver `rx` tags a regional log (hours 0-24, down 5-8 h) and a far snapshot (hours
    24-48): the store-wide model judged `rx` on the last feed's hours only, so its outage
    vanished; it must show, as an independent count of `rx`'s hours says."""
    log = _fleet(273000000, 25, 24, 40.0, "log.nmea", down=(5, 8))
    far = [{**r, "ts": r["ts"] + timedelta(hours=24)}
           for r in _fleet(366000000, 30, 24, 10.0, "snapshot.csv")]
    rows = [{**r, "station": "rx"} for r in log + far]
    _store(tmp_store, rows)
    model = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                           T0 + timedelta(hours=48), CoverageParams())
    assert [m.sources for m in model.feeds] == [("log.nmea",), ("snapshot.csv",)]
    hours = [int((s - T0.timestamp()) // 3600)
             for s in model.stations["rx"].unobserved_hour_starts_s]
    frame = pd.DataFrame(rows)  # independently: rx's hours under 10 % of its busiest hour
    per = frame.assign(h=(frame["ts"] - T0).dt.total_seconds() // 3600) \
               .groupby("h")["mmsi"].nunique().reindex(range(48), fill_value=0)
    assert hours == [int(h) for h, n in per.items() if n < 0.1 * per.max()] == [5, 6, 7]


def _observed_h_per_source(db: str) -> dict[str, float]:
    """Per source, the hours between its first and last position that heard at least 10% of
    its own busiest hour's vessels (coverage's default `min_hour_fraction`), each hour clipped
    to the source's span: plain SQL, not the coverage code."""
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("""
        WITH h AS (SELECT source, date_trunc('hour', ts) AS hour, count(DISTINCT mmsi) AS n
                   FROM positions GROUP BY ALL),
             s AS (SELECT source, min(ts) AS a, max(ts) AS b FROM positions GROUP BY ALL)
        SELECT h.source, sum(epoch(least(h.hour + INTERVAL 1 HOUR, s.b))
                             - epoch(greatest(h.hour, s.a))) / 3600
        FROM h JOIN s USING (source)
        WHERE h.n >= 0.1 * (SELECT max(n) FROM h AS x WHERE x.source = h.source)
        GROUP BY h.source""").fetchall()
    con.close()
    return {str(source): float(hours) for source, hours in rows}


def test_capture_too_short_names_the_longest_observed_feed_not_a_sum_over_feeds(
        solent_store: Path, marinecadastre_store: Path, shared_data: Path, tmp_path: Path
) -> None:
    """Found by a new-user test: a store of the Solent capture (84 minutes, 2016) and the
    MarineCadastre snapshot (one busy hour, 2022) said "the feed was observed for 3.0 h", the
    hours of both feeds added up (and the hours between them). A silence is judged on one
    feed: the note gives the feed observed longest, named, and its own hours."""
    both = copy_store(marinecadastre_store, tmp_path, "both.duckdb")
    with cargotrace.open_store(both) as store:
        ingest_file(store, shared_data / SOLENT)
        notes = detect(store, kinds=["gap", "dark_voyage"]).blocked
    per_source = _observed_h_per_source(str(both))
    longest = max(per_source, key=lambda s: per_source[s])
    assert len(per_source) == 2 and Path(longest).name == Path(SOLENT).name
    assert sum(per_source.values()) > 2 * 1.2  # a sum would read as ~2.4 h or more
    expected = (f"capture too short: the longest-observed of 2 feeds ({Path(longest).name}) "
                f"was observed for {per_source[longest]:.1f} h")
    assert notes["gap"][0].startswith(expected), notes["gap"]
    assert notes["dark_voyage"][0].startswith(expected), notes["dark_voyage"]


def test_a_vessel_heard_by_two_feeds_is_segmented_on_the_feed_that_heard_it_then(
        tmp_store: cargotrace.Store) -> None:
    """Identity's split closes a segment silent for more than `max_segment_gap_h` of heard
    hours; a jump may rejoin a segment still open. MMSI 273000000 is heard in log B's waters
    (40 N) until 30 h, falls silent with all of B's ships in B's outage (30-60 h), is heard in
    log A's waters (10 N, 40-50 h: another ship on the MMSI) and again near where B last heard
    it at 65 h. Its 35-hour silence in B held 5 heard hours: the first ship's segment was still
    open, and takes it back (two segments). Judged on A, the vessel's first feed (as before),
    whose hours before it began read as heard, the segment had closed: a third segment."""
    from cargotrace.detect.params import IdentityParams
    from cargotrace.detect.segments import split_tracks

    mmsi = 273000000
    b = [r for r in _fleet(mmsi, 30, 80, 40.0, "b.nmea", down=(30, 60))
         if r["mmsi"] != mmsi or r["ts"] < T0 + timedelta(hours=30)
         or T0 + timedelta(hours=65) <= r["ts"] < T0 + timedelta(hours=67)]
    a = [r | {"ts": r["ts"] + timedelta(hours=40)}
         for r in _fleet(366000000, 30, 40, 10.0, "a.nmea")]
    other = [r | {"mmsi": mmsi, "ts": r["ts"] + timedelta(hours=40)}
             for r in _fleet(366000000, 1, 10, 10.0, "a.nmea")]
    rows = b + a + other
    _store(tmp_store, rows)
    model = coverage_model(tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"],
                           T0 + timedelta(hours=80), CoverageParams())
    assert [m.sources for m in model.feeds] == [("a.nmea",), ("b.nmea",)]
    # independently (pandas): the hours of the MMSI's silence in B that B heard (10% of its
    # busiest hour's vessels)
    frame = pd.DataFrame(b)
    per_hour = frame.groupby((frame["ts"] - T0).dt.total_seconds() // 3600)["mmsi"].nunique()
    mine = sorted(frame[frame["mmsi"] == mmsi]["ts"])
    longest = max(range(1, len(mine)), key=lambda i: mine[i] - mine[i - 1])
    first_h, last_h = ((t - T0).total_seconds() // 3600 for t in mine[longest - 1:longest + 1])
    heard = [h for h in range(int(first_h) + 1, int(last_h))
             if per_hour.get(h, 0) >= 0.1 * per_hour.max()]
    params = IdentityParams()
    silence_h = (mine[longest] - mine[longest - 1]).total_seconds() / 3600
    assert silence_h > params.max_segment_gap_h >= len(heard)  # open only on B's own hours
    located = pa.Table.from_pylist([{k: r[k] for k in ("mmsi", "ts", "lat", "lon")}
                                    for r in rows if r["mmsi"] == mmsi])
    runs = split_tracks(located, params, model).runs
    assert len(set(runs.column("segment").to_pylist())) == 2
    in_order = runs.sort_by("first_rn").column("segment").to_pylist()
    assert len(in_order) == 3 and in_order[0] == in_order[2] != in_order[1]  # B, A, B again


def _hourly(first_mmsi: int, n: int, hours: int, lat: float, source: str,
            silent: dict[int, tuple[int, int]]) -> list[dict[str, Any]]:
    """`n` ships heard once an hour (at 5 past) by `source`, but not in a ship's `silent`
    hours: a sparse regional log, whose last position read stops short of a range's end."""
    return [{"mmsi": first_mmsi + v, "ts": T0 + timedelta(hours=h, minutes=5),
             "lat": lat + v * 0.05, "lon": 134.0 + h * 0.01, "sog": 10.0, "cog": 90.0,
             "msg_type": 1, "source": source, "ingest_id": 1}
            for v in range(n) for h in range(hours)
            if not (v in silent and silent[v][0] <= h < silent[v][1])]


def test_a_windowed_run_measures_a_feed_going_on_to_the_range_read_not_its_last_fix(
        tmp_path: Path) -> None:
    """A windowed detect reads up to `read_until`; the store has positions after it. A feed
    that goes on after the range read ends there, as the run's data does: ship 3 of an hourly
    log, silent from 9:05, has an open gap measured to `read_until`, alone or beside a far
    snapshot (a second feed). It was measured to the log's last position read (55 minutes
    short), because a feed's end was its last position read."""
    log = _hourly(273000000, 20, 60, 40.0, "a.nmea", silent={3: (10, 50)})
    far = _fleet(366000000, 30, 60, 10.0, "b.nmea")
    found = {}
    for name, rows in (("alone", log), ("beside", log + far)):
        with cargotrace.open_store(tmp_path / f"{name}.duckdb") as store:
            _store(store, rows)
            summary = detect(store, kinds=["gap"], since=T0, until=T0 + timedelta(hours=20),
                             overrides={"window.gap_h": "4"})
            read_until = datetime.fromisoformat(summary.window["read_until"])
            found[name] = store.con.execute(
                "SELECT mmsi, start, \"end\", (attrs->>'duration_h')::DOUBLE FROM events "
                "WHERE kind = 'gap'").fetchall()
    frame = pd.DataFrame(log)  # independently: the ship's last fix before its silence
    last_fix = frame[(frame["mmsi"] == 273000003) & (frame["ts"] < T0 + timedelta(hours=10))
                     ]["ts"].max()
    assert read_until < max(r["ts"] for r in log)  # the log goes on after the range read
    expected = (read_until - last_fix).total_seconds() / 3600
    assert found["alone"] == [(273000003, last_fix, None, pytest.approx(expected, abs=1e-3))]
    assert found["beside"] == found["alone"]
