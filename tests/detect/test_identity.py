"""Identity: shared MMSIs, position jumps and identity changes, on hand-built tracks, on the
simulator's `mixed` scenario (scored against its truth) and on a real MarineCadastre day."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import cargotrace
from cargotrace.detect.identity import detect_identity
from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.detect.params import IdentityParams
from cargotrace.detect.segments import identity_segments, split_segments
from cargotrace.errors import ParamsError
from cargotrace.sim.evaluate import evaluate, read_events, read_truth
from cargotrace.sim.params import MatchParams
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.events import Event, events_table, replace_events

from .factories import MIXED, T0, M, copy_store, make_position, make_report, store_rows, track

# --- running the detector (the track builders are in factories.py) ----------------------------


def detect_on(engine: Engine, store: cargotrace.Store,
              params: IdentityParams | None = None) -> list[Event]:
    tables = tables_on(engine, store, ["positions", "vessel_reports"])
    return detect_identity(tables["positions"], tables["vessel_reports"], params)


def of_kind(events: list[Event], kind: IdentityKind) -> list[Event]:
    return [e for e in events if e.attrs["identity_kind"] == kind]


# --- positions: shared MMSIs, teleports, and what is neither ---------------------------------


def test_gps_noise_is_not_a_teleport(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """A moored ship, heard every second with 50 m of GPS scatter: 'speeds' of ~100 kn over
    metres, which `min_jump_km` (5 km) keeps from being jumps."""
    rng = random.Random(1)
    rows = [make_position(ts=T0 + timedelta(seconds=s), sog=0.0,
                          lat=43.1 + rng.uniform(-50, 50) / 111_320,
                          lon=131.9 + rng.uniform(-50, 50) / 81_400)
            for s in range(1800)]
    store_rows(tmp_store, rows)
    assert detect_on(engine, tmp_store) == []
    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    segments = to_arrow(identity_segments(positions, IdentityParams()))
    assert segments.num_rows == 1800 and set(segments.column("segment").to_pylist()) == {0}


def test_two_ships_on_one_mmsi(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Ship A sails south of Vladivostok for 36 h; ship B, 300 km east, transmits A's MMSI for a
    day. One shared_mmsi event spanning B's transmissions, and two segments."""
    ship_a = track(lat=42.8, lon=131.9, speed_kn=12, course_deg=200, every_s=60, hours=36)
    here = ship_a[360]  # where A is when B starts: B sails the same course 300 km east of it
    ship_b = track(start=here["ts"], lat=here["lat"],
                   lon=here["lon"] + 300 / (111.32 * math.cos(math.radians(here["lat"]))),
                   speed_kn=12, course_deg=200, every_s=90, hours=24)
    store_rows(tmp_store, ship_a + ship_b)
    events = detect_on(engine, tmp_store)
    assert [e.attrs["identity_kind"] for e in events] == ["shared_mmsi"]
    (shared,) = events
    assert (shared.kind, shared.mmsi, shared.other_mmsi) == (EventKind.IDENTITY, M, None)
    assert (shared.start, shared.end) == (ship_b[0]["ts"], ship_b[-1]["ts"])
    assert (shared.lat, shared.lon) == (ship_b[0]["lat"], ship_b[0]["lon"])
    assert shared.attrs["n_segments"] == 2 and shared.attrs["overlap_h"] == 24.0
    assert 280 < shared.attrs["separation_km"] < 380
    assert shared.attrs["min_implied_speed_kn"] > 30
    # each jump between the two tracks is one more sighting of two transmitters far apart
    assert shared.confidence == round(1 - 0.5 ** shared.attrs["n_jumps"], 3) > 0.9

    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    segments = to_arrow(identity_segments(positions, IdentityParams()))
    by_segment: dict[int, set[datetime]] = {}
    for row in segments.to_pylist():
        by_segment.setdefault(row["segment"], set()).add(row["ts"])
    assert by_segment == {0: {r["ts"] for r in ship_a}, 1: {r["ts"] for r in ship_b}}


def test_sustained_jumps_are_teleports_lone_ones_no_event(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """One position 333 km off the track (a lone outlier: flagged by outliers.py, no identity
    event), and later two in a row 250 km off that agree with each other (a sustained jump):
    one teleport, no shared MMSI, and the track itself stays one segment."""
    rows = track(every_s=10, hours=2)
    rows[300] = {**rows[300], "lat": rows[300]["lat"] + 3.0}
    for k in (500, 501):
        rows[k] = {**rows[k], "lon": rows[k]["lon"] + 3.1}
    store_rows(tmp_store, rows)
    events = detect_on(engine, tmp_store)
    assert [e.attrs["identity_kind"] for e in events] == ["teleport"]
    (double,) = events
    assert (double.start, double.end) == (rows[500]["ts"], rows[501]["ts"])
    assert (double.lat, double.lon) == (rows[500]["lat"], rows[500]["lon"])
    assert double.attrs["n_positions"] == 2 and 240 < double.attrs["return_km"] < 260
    assert double.attrs["implied_speed_kn"] > 10_000  # 250 km in 10 s
    assert double.confidence == 0.75  # two far positions

    positions = tables_on(engine, tmp_store, ["positions"])["positions"]
    segments = {r["ts"]: r["segment"]
                for r in to_arrow(identity_segments(positions, IdentityParams())).to_pylist()}
    jumped = {rows[k]["ts"] for k in (300, 500, 501)}
    assert {s for t, s in segments.items() if t not in jumped} == {0}
    assert {segments[t] for t in jumped} == {1, 2}


def test_a_fast_ship_after_a_silence_is_one_segment(tmp_store: cargotrace.Store) -> None:
    """A 25 kn ship unheard for 3 h reappears 140 km on: fast, but possible."""
    before = track(speed_kn=25, every_s=30, hours=1)
    after = track(start=T0 + timedelta(hours=4), lat=before[-1]["lat"] - 25 * 3 / 60,
                  speed_kn=25, every_s=30, hours=1)
    store_rows(tmp_store, before + after)
    assert detect_on(Engine.DUCKDB, tmp_store) == []
    assert split_segments(tmp_store.positions, IdentityParams()).runs.num_rows == 0


def test_shuffled_input_gives_the_same_events(tmp_path: Path) -> None:
    ship_a = track(lat=42.8, speed_kn=12, course_deg=200, every_s=60, hours=30)
    ship_b = track(start=T0 + timedelta(hours=3), lat=42.8, lon=135.6, every_s=90, hours=20)
    for k in (100, 101):  # a sustained jump (one position alone would be no event)
        ship_a[k] = {**ship_a[k], "lat": ship_a[k]["lat"] + 3.0}
    rows = ship_a + ship_b
    found = []
    for seed in (1, 2):
        random.Random(seed).shuffle(rows)
        with cargotrace.open_store(tmp_path / f"{seed}.duckdb") as store:
            store_rows(store, rows)
            found.append(events_table(detect_on(Engine.DUCKDB, store), "gfw", IdentityParams()))
    assert found[0].equals(found[1])
    assert Counter(json.loads(a)["identity_kind"] for a in found[0].column("attrs").to_pylist()) \
        == {"shared_mmsi": 1, "teleport": 1}


# --- static reports: names, IMO numbers, call signs, flags -----------------------------------


def test_type_24_parts_are_not_changes(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Class B sends its name (part A) and call sign (part B) in separate messages; padding and
    spacing differ between decoders. None of that is a change."""
    names = ["SEA STAR", "SEA STAR@@@@@@@@@@@@", "Sea  Star", " SEA STAR "]
    reports = []
    for k in range(40):
        ts = T0 + timedelta(minutes=6 * k)
        reports.append(make_report(ts=ts, name=names[k % 4], msg_type=24))
        reports.append(make_report(ts=ts + timedelta(seconds=1), callsign="UBC1234@@",
                                   msg_type=24))
    store_rows(tmp_store, reports=reports)
    assert detect_on(engine, tmp_store) == []


def test_a_rename_is_one_event(engine: Engine, tmp_store: cargotrace.Store) -> None:
    reports = [make_report(ts=T0 + timedelta(minutes=6 * k),
                           name="SEA STAR" if k < 20 else "POLAR C88",
                           imo=9179842, callsign="UBC1234") for k in range(40)]
    reports += [make_report(ts=T0 + timedelta(minutes=6 * k, seconds=3), callsign="UBC1234",
                            msg_type=24) for k in range(40)]
    store_rows(tmp_store, reports=reports)
    events = detect_on(engine, tmp_store)
    assert [(e.mmsi, e.start, e.end, e.attrs) for e in events] == [(
        M, T0 + timedelta(minutes=120), T0 + timedelta(minutes=120),
        {"identity_kind": "name_change", "value_before": "SEA STAR", "value_after": "POLAR C88",
         "reports_after": 20},
    )]
    assert events[0].confidence == 1.0  # 20 reports of the new name


def test_a_name_heard_once_is_a_change_of_low_confidence(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """One garbled report ('SEA 5TAR') is a new value like any other, but it rests on one
    report: confidence 1 - 0.5^1; a new call sign sent three times gets 1 - 0.5^3."""
    reports = [make_report(ts=T0 + timedelta(minutes=6 * k),
                           name="SEA 5TAR" if k == 10 else "SEA STAR",
                           callsign="UBC1234" if k < 27 else "UBD5678") for k in range(30)]
    store_rows(tmp_store, reports=reports)
    events = detect_on(engine, tmp_store)
    assert [(e.attrs["identity_kind"], e.attrs["reports_after"], e.confidence)
            for e in events] == [("name_change", 1, 0.5), ("callsign_change", 3, 0.875)]


def test_a_spelling_screening_calls_equal_is_no_rename(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Names are compared as screening compares them (store.names.name_key): spacing,
    punctuation, a vessel-class prefix or a roman numeral is no rename; a new number is."""
    names = ["RJ PFEIFFER", "R J PFEIFFER", "R.J. PFEIFFER", "M/V RJ PFEIFFER", "RJ PFEIFFER II",
             "RJ PFEIFFER 2", "RJ PFEIFFER 3"]
    reports = [make_report(ts=T0 + timedelta(minutes=6 * k), name=names[k // 4], imo=9002037)
               for k in range(4 * len(names))]
    store_rows(tmp_store, reports=reports)
    events = detect_on(engine, tmp_store)
    assert [(e.attrs["value_before"], e.attrs["value_after"]) for e in events] == [
        ("M/V RJ PFEIFFER", "RJ PFEIFFER II"), ("RJ PFEIFFER 2", "RJ PFEIFFER 3")]


def test_flapping_and_filler_values_report_only_new_values(
    engine: Engine, tmp_store: cargotrace.Store
) -> None:
    """Names flapping A, B, A, B: one change (to B). IMO 0 and 123 are fillers, not numbers;
    the real IMO change and the call-sign change are one event each."""
    reports = []
    for k in range(30):
        ts = T0 + timedelta(minutes=6 * k)
        reports.append(make_report(
            ts=ts, name="OCEAN STAR" if k % 2 == 0 else "OCEAN STAR 2",
            imo=[9179842, 0, 123][k % 3] if k < 15 else 9700049,
            callsign="UBC1234" if k < 25 else "UBD5678",
        ))
    store_rows(tmp_store, reports=reports)
    events = detect_on(engine, tmp_store)
    assert [(e.attrs["identity_kind"], e.start, e.attrs["value_before"], e.attrs["value_after"])
            for e in events] == [
        ("name_change", T0 + timedelta(minutes=6), "OCEAN STAR", "OCEAN STAR 2"),
        ("imo_change", T0 + timedelta(minutes=90), 9179842, 9700049),
        ("callsign_change", T0 + timedelta(minutes=150), "UBC1234", "UBD5678"),
    ]


def test_reflagging(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """IMO 9179842 leaves a Russian MMSI and reappears 2 h later under a North Korean one: a
    flag change at the new MMSI's first position. A move between two Russian MMSIs, and an IMO
    on two MMSIs at once, are not."""
    old, new = 273111111, 445222222
    positions = track(old, hours=10) + track(new, start=T0 + timedelta(hours=12), hours=5)
    reports = [make_report(old, T0 + timedelta(hours=h), "ANGARA", 9179842) for h in range(11)]
    reports += [make_report(new, T0 + timedelta(hours=12, minutes=3 + 60 * h), "ANGARA",
                            9179842) for h in range(5)]
    # the same flag under two MMSIs; and one IMO on two MMSIs at the same time
    reports += [make_report(273000001, T0, "A", 9700049), make_report(273000002, T0 +
                timedelta(hours=9), "A", 9700049)]
    reports += [make_report(m, T0 + timedelta(hours=h), "B", 9822346) for h in range(6)
                for m in (273000003, 636000004)]
    store_rows(tmp_store, positions, reports)
    events = detect_on(engine, tmp_store)
    assert [(e.mmsi, e.other_mmsi, e.start, e.lat) for e in events] == [
        (new, old, T0 + timedelta(hours=12), 43.0)]
    assert events[0].attrs == {"identity_kind": "flag_change", "flag_before": "RU",
                               "flag_after": "KP", "imo": 9179842, "hours_since_old_mmsi": 2.0,
                               "reports_after": 5}
    assert events[0].confidence == 0.969  # the IMO heard 5 times on the new MMSI


def test_empty_store_has_no_identity_events(engine: Engine, tmp_store: cargotrace.Store) -> None:
    assert detect_on(engine, tmp_store) == []


@pytest.mark.parametrize(("values", "message"), [
    pytest.param({"max_speed_kn": 0}, "max_speed_kn must be > 0, got 0", id="speed"),
    pytest.param({"min_jump_km": -1}, "min_jump_km must be > 0, got -1", id="jump"),
    pytest.param({"max_teleport_positions": 1}, "max_teleport_positions must be >= 2, got 1",
                 id="teleport"),
])
def test_params_reject_nonsense(values: dict[str, float], message: str) -> None:
    with pytest.raises(ParamsError) as info:
        IdentityParams(**values)  # type: ignore[arg-type]
    assert str(info.value) == message


# --- the simulator's mixed scenario, scored against its truth --------------------------------


# how many of each subkind `mixed` asks for: all of them are planted, even with 50 vessels
# (identity behaviours share ships with silences and drifts, away from them in time)
ASKED = {
    IdentityKind.SHARED_MMSI: MIXED.behaviours.shared_mmsis,
    IdentityKind.NAME_CHANGE: MIXED.behaviours.name_changes,
    IdentityKind.IMO_CHANGE: MIXED.behaviours.imo_changes,
    IdentityKind.FLAG_CHANGE: MIXED.behaviours.flag_changes,
    IdentityKind.TELEPORT: MIXED.behaviours.teleports,
}


@pytest.fixture(scope="module")
def mixed(mixed_sim: Path, mixed_ingested: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`MIXED`, simulated and ingested once per run (conftest.py; the curated gazetteer it also
    holds is not read by identity), with identity events stored in a copy."""
    out = mixed_sim
    store_path = copy_store(mixed_ingested, tmp_path_factory.mktemp("mixed-identity"))
    with cargotrace.open_store(store_path) as store:
        events = detect_identity(store.positions, store.vessel_reports)
        replace_events(store, events_table(events, "gfw", IdentityParams()), ["identity"])
    return out, store_path


@pytest.mark.parametrize("subkind", list(ASKED))
def test_identity_matches_the_simulated_truth(
    mixed: tuple[Path, Path], subkind: IdentityKind
) -> None:
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        result = evaluate(read_events(store), read_truth(out / "truth.parquet"), MatchParams(),
                          kinds={"identity"})
    score = result.score("identity", subkind)
    assert score.truth == ASKED[subkind] >= 4
    assert score.precision >= 0.95 and score.recall >= 0.95, score
    # every truth time is a position or report time, and so is every event's
    assert score.start_error_max_min == 0 and score.end_error_max_min == 0, score


def test_no_call_sign_changes_are_invented(mixed: tuple[Path, Path]) -> None:
    """The simulator plants no call-sign change on one MMSI (reflagging changes it with the
    MMSI), so any detected one would be a false positive."""
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        result = evaluate(read_events(store), read_truth(out / "truth.parquet"), MatchParams(),
                          kinds={"identity"})
    score = result.score("identity")
    assert score.fp == 0 and score.fn == 0, score


def test_shared_mmsis_are_split_into_segments(mixed: tuple[Path, Path]) -> None:
    out, store_path = mixed
    truth = read_truth(out / "truth.parquet").to_pylist()
    shared = [t for t in truth if t["subkind"] == "shared_mmsi"]
    with cargotrace.open_store(store_path) as store:
        seg = identity_segments(store.positions, IdentityParams())
        spans = seg.group_by(["mmsi", "segment"]).aggregate(
            n=seg.count(), first=seg.ts.min(), last=seg.ts.max()).to_pyarrow().to_pylist()
        assert seg.count().to_pyarrow().as_py() == store.positions.count().to_pyarrow().as_py()
    for row in shared:
        ships = [s for s in spans if s["mmsi"] == row["mmsi"] and s["n"] > 2]
        assert len(ships) == 2
        # the second ship's segment is exactly its transmissions
        assert any((s["first"], s["last"]) == (row["start"], row["end"]) for s in ships)
    shared_mmsis = {row["mmsi"] for row in shared}
    assert {s["segment"] for s in spans if s["mmsi"] not in shared_mmsis and s["n"] > 2} == {0}


# --- a real day of AIS: what is found, checked by hand --------------------------------------


@pytest.fixture(scope="module")
def marinecadastre(marinecadastre_store: Path) -> tuple[list[Event], dict[int, float]]:
    """Identity events on the first 99,999 rows of MarineCadastre's 2022-01-03 file (ingested
    once per run, conftest.py), and each MMSI's longest step between consecutive positions
    (computed independently, in SQL)."""
    with cargotrace.open_store(marinecadastre_store, read_only=True) as store:
        events = detect_identity(store.positions, store.vessel_reports)
        steps = store.con.sql("""
            WITH p AS (SELECT mmsi, lat, lon,
                              lag(lat) OVER w AS plat, lag(lon) OVER w AS plon
                       FROM positions WHERE lat IS NOT NULL
                       WINDOW w AS (PARTITION BY mmsi ORDER BY ts, lat, lon))
            SELECT mmsi, max(coalesce(6371.0088 * 2 * asin(sqrt(
                       sin(radians(lat - plat) / 2) ^ 2 + cos(radians(lat)) * cos(radians(plat))
                       * sin(radians(lon - plon) / 2) ^ 2)), 0))
            FROM p GROUP BY mmsi""").fetchall()
    return events, {int(m): float(km) for m, km in steps}


def test_real_day_identity_events(marinecadastre: tuple[list[Event], dict[int, float]]) -> None:
    """Hand-checked: on 10,623 MMSIs, one sustained jump (367654150 reports two consistent
    positions 48 km off its mooring, 89 s apart, then is back), no shared MMSI, no identity
    changes (each MarineCadastre row repeats the vessel's static data). The 16 single positions
    that used to be teleports (ALASKA ENDEAVOR's dropped digit, 7.63452 N for 47.63452 N, and
    fixes stamped 00:00:00 far off their tracks) are lone outliers: flagged, no event
    (tests/detect/test_detect_real.py counts them)."""
    events, longest_step_km = marinecadastre
    assert [(e.mmsi, e.attrs["identity_kind"], e.attrs["n_positions"]) for e in events] == [
        (367654150, "teleport", 2)]
    (jump,) = events
    assert (jump.start, jump.end) == (datetime(2022, 1, 3, 0, 16, 29, tzinfo=UTC),
                                      datetime(2022, 1, 3, 0, 17, 58, tzinfo=UTC))
    assert jump.attrs["jump_km"] > 5 and jump.attrs["return_km"] > 5
    assert jump.attrs["implied_speed_kn"] > 30 and jump.attrs["return_speed_kn"] > 30
    assert longest_step_km[367654150] > 40
    # no event on a vessel whose consecutive positions are never more than 1 km apart
    still = {m for m, km in longest_step_km.items() if km < 1.0}
    assert len(still) > 9000 and not {e.mmsi for e in events} & still


def test_one_ship_spelt_with_and_without_a_space_in_two_real_feeds_is_no_rename(
    marinecadastre_store: Path, shared_data: Path, tmp_path: Path,
) -> None:
    """Found by a new-user test: MMSI 366576000 is 'RJ PFEIFFER' in the real aisdb NMEA file
    (2021-11-01) and 'R J PFEIFFER' in MarineCadastre (2022-01-03): a name change at 0.996.
    Screening treats the two as one name; identity must too. The renames left are those an
    independent key (letters and digits only, in SQL) also sees."""
    from cargotrace.ingest.pipeline import ingest_file

    path = tmp_path / "s.duckdb"
    path.write_bytes(marinecadastre_store.read_bytes())
    with cargotrace.open_store(path) as store:
        ingest_file(store, shared_data / "ais_nmea/aisdb/test_data_20211101.nm4")
        events = detect_identity(store.positions, store.vessel_reports)
        names = dict(store.con.execute(
            "SELECT mmsi, list(DISTINCT name ORDER BY name) FROM vessel_reports "
            "WHERE mmsi = 366576000 GROUP BY mmsi").fetchall())
        renamed = {m for (m,) in store.con.execute(
            "SELECT mmsi FROM vessel_reports WHERE name IS NOT NULL GROUP BY mmsi HAVING "
            "count(DISTINCT regexp_replace(upper(name), '[^A-Z0-9]', '', 'g')) > 1").fetchall()}
    assert names[366576000] == ["R J PFEIFFER", "RJ PFEIFFER"]
    changes = {e.mmsi for e in of_kind(events, IdentityKind.NAME_CHANGE)}
    assert 366576000 not in changes
    assert changes == renamed and renamed  # e.g. 538003993, ONE MARVEL then MOL MARVEL
