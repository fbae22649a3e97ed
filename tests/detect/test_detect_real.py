"""`cargotrace detect` on the real MarineCadastre sample (issue 21): every reported event is
stored under its own id, glitches are flagged positions and not identity events, and every
zero says why. Checked against independent pandas / SQL, not the code under test.

The sample: the first 99,999 rows of MarineCadastre's 2022-01-03 file (../shared/data, see its
PROVENANCE.md): 21 minutes of traffic, then a few stragglers until 23:59."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.detect.coverage import data_coverage
from cargotrace.detect.notes import longest_track_h
from cargotrace.detect.run import SUPPORTED, detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.store.engines import Engine, tables_on

from .factories import MARINECADASTRE, copy_store

DETECTED = "as-detected.duckdb"  # the sample's store right after `detect` (fixture `sample`)
MAX_KN, MIN_KM = 30.0, 5.0  # OutlierParams' defaults, restated: the check is independent


def run_cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sample(marinecadastre_store: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, dict]:
    """A store of the sample (ingested once per run, conftest.py) after `cargotrace detect
    --json` in a copy (no places loaded), and the JSON it printed."""
    path = copy_store(marinecadastre_store, tmp_path_factory.mktemp("mc"))
    result = run_cli("detect", "--store", str(path), "--json")
    # as detected, for tests comparing with it: some tests detect again in this store
    shutil.copyfile(path, path.with_name(DETECTED))
    return path, json.loads(result.stdout)


def frame(store: cargotrace.Store, sql: str) -> pd.DataFrame:
    return store.con.sql(sql).to_arrow_table().to_pandas()


def query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with cargotrace.open_store(path) as store:
        return store.con.execute(sql).fetchall()


def test_every_reported_event_is_stored_under_its_own_id(sample: tuple[Path, dict]) -> None:
    """The issue: `--json` said 17 identity events, the store held 15 (two teleports of one
    MMSI in one second shared an id). Now the count reported is the count stored."""
    path, summary = sample
    assert set(summary["written"]) == set(SUPPORTED)
    rows, ids = query(path, "SELECT count(*), count(DISTINCT event_id) FROM events")[0]
    assert rows == ids == sum(summary["written"].values())
    by_kind = dict(query(path, "SELECT kind, count(*) FROM events GROUP BY kind"))
    assert {k: n for k, n in summary["written"].items() if n} == by_kind
    assert summary["folded_duplicates"] == 0


def _alone_and_sustained(positions: pd.DataFrame) -> tuple[set[tuple], set[tuple]]:
    """Independent of the code under test: per MMSI in (ts, lat, lon) order, a step is
    impossible when longer than 5 km and faster than 30 kn (time floored at 1 s).

    Lone outliers: in each run of consecutive positions that have an impossible step on both
    sides (a track's first and last position count as having one outside) and that no other
    such position of the MMSI within 24 h agrees with, the positions
    that neither the position just before the run nor the one just after can reach; both must
    exist and reach each other, or, at a track end, the one that exists must start 3
    consecutive positions with possible steps. Sustained jumps: two consecutive positions
    that agree, with impossible steps into and out of the pair, between two positions that
    can reach each other."""
    p = positions.dropna(subset=["lat", "lon"]).sort_values(["mmsi", "ts", "lat", "lon"])
    p = p.reset_index(drop=True)
    t = (p.ts - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    lat, lon, mmsi = p.lat.to_numpy(), p.lon.to_numpy(), p.mmsi.to_numpy()

    def impossible(i: Any, j: Any) -> Any:
        la1, lo1, la2, lo2 = (np.radians(a) for a in (lat[i], lon[i], lat[j], lon[j]))
        h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
        km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
        return (km > MIN_KM) & (km / 1.852 > MAX_KN * np.maximum(t[j] - t[i], 1) / 3600)

    n = len(p)
    k = np.arange(n - 1)
    same_next = np.append(mmsi[1:] == mmsi[:-1], False)
    out_bad = np.append(impossible(k, k + 1), False) & same_next
    first, last = ~np.insert(same_next[:-1], 0, False), ~same_next
    in_bad = np.insert(out_bad[:-1], 0, False)
    pair = np.flatnonzero(in_bad[:-1] & ~out_bad[:-1] & same_next[:-1] & out_bad[1:]
                          & ~first[:-1])
    pair = pair[(pair + 2 < n) & ~last[pair + 1]]
    sustained = {(int(mmsi[x]), p.ts[x]) for x in pair[~impossible(pair - 1, pair + 2)]}

    def track_from(x: int, step: int) -> bool:  # 3 positions of x's MMSI, steps possible
        idx = [x, x + step, x + 2 * step]
        if min(idx) < 0 or max(idx) >= n or len(set(mmsi[idx])) > 1:
            return False
        return not any(impossible(min(u, v), max(u, v)) for u, v in zip(idx, idx[1:], strict=False))

    alone = (in_bad | first) & (out_bad | last) & ~(first & last)
    # ... unless another such position of the MMSI within 24 h can be reached from it (or
    # reach it): a second transmitter, not a glitch
    off = p[alone].reset_index()
    both = off.merge(off, on="mmsi", suffixes=("", "_y"))
    both = both[(both["index"] < both.index_y) & ((both.ts_y - both.ts).dt.total_seconds()
                                                  <= 24 * 3600)]
    agree = both[~impossible(both["index"].to_numpy(), both.index_y.to_numpy())]
    alone[agree["index"].to_numpy()] = alone[agree.index_y.to_numpy()] = False
    lone: set[tuple] = set()
    p["run"] = (pd.Series(alone) != pd.Series(alone).shift()).cumsum() + np.cumsum(first)
    for _, run in p[alone].groupby("run"):
        i, j = run.index[0], run.index[-1]
        before = None if first[i] else i - 1
        after = None if last[j] else j + 1
        if before is not None and after is not None:
            if impossible(before, after):
                continue
        elif before is None and (after is None or not track_from(after, +1)):
            continue
        elif after is None and not track_from(before, -1):
            continue
        lone |= {(int(mmsi[x]), p.ts[x], lat[x], lon[x]) for x in range(i, j + 1)
                 if (before is None or impossible(before, x))
                 and (after is None or impossible(x, after))}
    return lone, sustained


def test_glitches_are_flagged_positions_not_identity_events(
    sample: tuple[Path, dict]
) -> None:
    """The 17 'teleports' of the issue: 16 single positions off their tracks (most stamped
    00:00:00, one a dropped digit 4,448 km off) are lone outliers; one two-position jump
    stays a teleport. Plus the lone outliers at the start or end of a track. The counts
    match an independent pandas computation, and every flagged position is still stored."""
    path, summary = sample
    with cargotrace.open_store(path) as store:
        positions = frame(store, "SELECT mmsi, ts, lat, lon FROM positions")
        flags = frame(store, "SELECT * FROM position_flags")
        teleports = store.con.execute(
            "SELECT mmsi, start, attrs FROM events WHERE kind = 'identity'").fetchall()
        kept = store.con.execute("""SELECT count(*) FROM position_flags f SEMI JOIN positions p
            ON (p.mmsi, p.ts, p.lat, p.lon) = (f.mmsi, f.ts, f.lat, f.lon)""").fetchall()[0][0]
    lone, sustained = _alone_and_sustained(positions)
    assert {(int(r.mmsi), r.ts, r.lat, r.lon) for r in flags.itertuples()} == lone
    assert summary["flagged_positions"] == len(flags) == len(lone) == kept == 34
    interior = flags.dropna(subset=["jump_km", "return_km"])
    assert len(interior) == 14  # of the 16 single-position "teleports"
    assert (interior.implied_speed_kn > MAX_KN).all() and (interior.return_speed_kn > MAX_KN).all()
    digit = flags[flags.mmsi == 367650000]  # ALASKA ENDEAVOR, moored in Seattle: 7.63 N
    assert digit.lat.tolist() == [7.63452] and 4440 < digit.jump_km.iloc[0] < 4455
    assert {(m, s) for m, s, _ in teleports} == sustained and len(sustained) == 1
    assert all(json.loads(a)["identity_kind"] == "teleport" for _, _, a in teleports)


def test_every_zero_is_explained(sample: tuple[Path, dict]) -> None:
    """No places loaded, a 25-minute capture: each kind that found nothing says why; the
    capture lengths quoted are checked against SQL, and the reason follows the parameters.
    Since issue 14 the store has the packaged world gazetteer, so port visits are found
    (ships moored in US ports; `test_port_visits_at_world_ports`) and no kind lacks places.
    The ships that leave port in the capture's last minutes make no dark voyage: the feed's
    coverage ends there (issue 14's coverage model)."""
    path, summary = sample
    notes = summary["notes"]
    zero = {k for k, n in summary["written"].items() if n == 0}
    assert zero == set(SUPPORTED) - {"identity", "port_visit"}
    assert zero <= set(notes)
    assert not any("no places loaded" in n for kind_notes in notes.values() for n in kind_notes)
    # encounters and loitering ran with the port exclusion, and could not reach 2 h
    (longest_min,) = query(path, """
        WITH p AS (SELECT mmsi, epoch(ts) AS t, epoch(ts) - lag(epoch(ts)) OVER w AS dt
                   FROM positions WHERE lat IS NOT NULL
                   WINDOW w AS (PARTITION BY mmsi ORDER BY ts)),
        s AS (SELECT mmsi, t, sum(CASE WHEN dt > 3600 THEN 1 ELSE 0 END)
                   OVER (PARTITION BY mmsi ORDER BY t) AS piece FROM p)
        SELECT round((max(t) - min(t)) / 60) FROM s GROUP BY mmsi, piece ORDER BY 1 DESC
        LIMIT 1""")[0]
    assert longest_min == 25
    for kind in ("encounter", "loitering"):
        assert not any("without the port exclusion" in n for n in notes[kind]), kind
        assert any("capture too short" in n and f"lasts {longest_min:.0f} min" in n
                   for n in notes[kind]), notes[kind]
    # one observed hour (00:00; 23:00 heard 3 % of its vessels) cannot hold a 6 h gap
    assert any("observed for 1.0 h" in n and "min_gap_h 6.0 h" in n for n in notes["gap"])
    assert any("observed for 1.0 h" in n and "exit_min_silence_h 6.0 h" in n
               for n in notes["left_coverage"])
    assert notes["draught_change"] == ["no gaps or dark voyages to compare draughts across"]
    assert notes["dark_voyage"] == ["capture too short: the feed was observed for 1.0 h, less "
                                    "than min_silence_h 6.0 h: a dark voyage's silence cannot "
                                    "be that long"]
    # the most place changes in one vessel's stored calls, counted in SQL
    ((most,),) = query(path, """
        WITH c AS (SELECT mmsi, place_id, lag(place_id) OVER (PARTITION BY mmsi ORDER BY start)
                          AS prev FROM events
                   WHERE kind IN ('port_visit', 'possible_dark_port_call'))
        SELECT max(n) FROM (SELECT mmsi, count(*) FILTER (WHERE prev <> place_id) AS n
                            FROM c GROUP BY mmsi)""")
    assert notes["shuttle"] == [f"no vessel's calls change place 4 times (min_trips; the most: "
                                f"{most}, a possible dark port call counted at whichever of its "
                                "candidate places gives the most): no repeated trips to find"]
    assert "identity" not in notes  # static reports are there, and it found something
    # a 15-minute encounter fits in a 25-minute capture: that reason goes away
    shorter = json.loads(run_cli("detect", "--store", str(path), "--json", "--kind",
                                 "encounter", "--set", "encounter.min_duration_h=0.25").stdout)
    assert not any("capture too short" in n for n in shorter["notes"].get("encounter", []))


def test_the_screen_shows_the_notes(sample: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = sample
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(path, copy)
    result = run_cli("detect", "--store", str(copy), "--kind", "loitering")
    assert "loitering: 0 events" in result.output
    assert "note: capture too short" in result.output
    assert "34 lone outlier positions flagged" in result.output


def test_an_empty_store_explains_every_zero(tmp_path: Path) -> None:
    cargotrace.open_store(tmp_path / "e.duckdb").close()  # detect needs an existing store
    summary = json.loads(run_cli("detect", "--store", str(tmp_path / "e.duckdb"),
                                 "--json").stdout)
    assert summary["written"] == {k: 0 for k in SUPPORTED}
    assert summary["notes"] == {k: ["no positions in the window: nothing to detect on"]
                                for k in SUPPORTED}
    assert summary["flagged_positions"] == 0


def test_spark_flags_and_finds_what_duckdb_does(
    sample: tuple[Path, dict], spark: Any, tmp_path: Path
) -> None:
    """Engine parity on the real sample: the same flags, the same identity events (ids
    included), the same capture length behind the notes."""
    path, _ = sample
    found = {}
    for engine in Engine:
        copy = tmp_path / f"{engine}.duckdb"
        shutil.copyfile(path, copy)
        with cargotrace.open_store(copy) as store:
            summary = detect(store, kinds=["identity", "gap", "port_visit"], engine=engine)
            positions = tables_on(engine, store, ["positions"])["positions"]
            found[engine] = (
                summary.flagged, summary.written,
                store.con.execute("SELECT * EXCLUDE (params, pipeline_version) FROM "
                                  "position_flags ORDER BY ALL").fetchall(),
                store.con.execute("SELECT * EXCLUDE (params) FROM events ORDER BY ALL")
                .fetchall(),
                round(longest_track_h(positions, 1.0), 6),
            )
    assert found[Engine.SPARK] == found[Engine.DUCKDB]
    assert found[Engine.DUCKDB][0] == 34 and found[Engine.DUCKDB][4] == pytest.approx(25 / 60,
                                                                                     abs=0.01)


def test_port_visits_at_world_ports(sample: tuple[Path, dict]) -> None:
    """With no `places load`, ships moored in US ports get port visits at the packaged world
    gazetteer's places. Independent check (pandas, haversine written here): every visiting
    ship was heard inside its place's exit radius (entry radius + 1 km)."""
    path, summary = sample
    with cargotrace.open_store(path, read_only=True) as store:
        visits = frame(store, """
            SELECT e.mmsi, p.lat AS plat, p.lon AS plon,
                   greatest(p.radius_m / 1000, 3.0) + 1.0 AS reach_km, p.source
            FROM events e JOIN places p USING (place_id) WHERE e.kind = 'port_visit'""")
        positions = frame(store, "SELECT mmsi, lat, lon, sog FROM positions "
                                 "WHERE lat IS NOT NULL")
    assert len(visits) == summary["written"]["port_visit"] > 1000
    assert visits.source.str.startswith("world gazetteer ").mean() > 0.99  # not hand-loaded
    joined = positions.merge(visits, on="mmsi")
    lat1, lat2 = np.radians(joined.lat), np.radians(joined.plat)
    dlat, dlon = lat2 - lat1, np.radians(joined.plon - joined.lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    joined["km"] = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    inside = joined[joined.km <= joined.reach_km]
    assert set(inside.mmsi) == set(visits.mmsi)


AISDB_2012 = "ais_nmea/aisdb/test_data_201201.nmea"  # 26 lines, 3 positions of 2012-01-01


@pytest.fixture(scope="module")
def with_2012(marinecadastre_store: Path, shared_data: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus three positions from ten years earlier (aisdb's 2012 test file), after
    `cargotrace detect`: a store whose time span is ~88,000 hours, of which ~2 hold data."""
    path = copy_store(marinecadastre_store, tmp_path_factory.mktemp("mc2012"))
    with cargotrace.open_store(path) as store:
        ingest_file(store, shared_data / AISDB_2012)
    run_cli("detect", "--store", str(path), "--json")
    return path


def test_old_positions_elsewhere_change_no_event(sample: tuple[Path, dict], with_2012: Path,
                                                 shared_data: Path) -> None:
    """Three positions from 2012 change nothing about the 2022 vessels: the same events,
    every column (EXCEPT ALL both ways). The vessels are the CSV's MMSIs, read with pandas."""
    csv_mmsis = set(pd.read_csv(shared_data / MARINECADASTRE, usecols=["MMSI"]).MMSI)
    alone = sample[0].with_name(DETECTED)  # the sample detected alone, as it was
    with cargotrace.open_store(with_2012, read_only=True) as store:
        old = {m for (m,) in store.con.execute(
            "SELECT DISTINCT mmsi FROM positions WHERE ts < '2013-01-01'").fetchall()}
        assert len(old) == 3 and not old & csv_mmsis  # other vessels, ten years earlier
        store.con.execute(f"ATTACH '{alone}' AS alone (READ_ONLY)")
        mine = "SELECT * EXCLUDE (attrs, params), attrs::VARCHAR, params::VARCHAR FROM {} " \
               "WHERE mmsi IN (SELECT unnest($m))"
        both = mine.format("events")
        only = mine.format("alone.events")
        counts = [store.con.execute(f"SELECT count(*) FROM ({q})", {"m": sorted(csv_mmsis)}
                                    ).fetchall()[0][0] for q in (both, only)]
        diffs = [store.con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})",
                                   {"m": sorted(csv_mmsis)}).fetchall()[0][0]
                 for a, b in ((both, only), (only, both))]
        store.con.execute("DETACH alone")
    assert counts[0] == counts[1] > 4000 and diffs == [0, 0]


def test_coverage_hours_follow_the_data_not_its_span(with_2012: Path) -> None:
    """The quiet hours are kept as runs (coverage.py, hour_spans.py): a decade between the 2012
    positions and the 2022 sample is one run, not ~88,000 hours; no more runs than the hours
    holding data (counted here in SQL) plus one."""
    with cargotrace.open_store(with_2012, read_only=True) as store:
        (data_hours, last), = store.con.execute(
            "SELECT count(DISTINCT epoch(ts)::BIGINT // 3600), max(ts) FROM positions"
        ).fetchall()
        cov = data_coverage(store.positions, last, 0.1, 20)
    spans = cov.unobserved_spans_s
    assert 0 < len(spans) <= data_hours + 1
    longest_h = int((spans[:, 1] - spans[:, 0]).max()) // 3600
    assert longest_h > 87_000  # 2012-01-01 05:00 to 2022-01-03 00:00, one run
