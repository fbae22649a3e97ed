"""Dark voyages and draught changes: hand-built crossings between two ports, and the
simulator's `mixed` scenario scored against its truth."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.dark_voyages import (
    detect_dark_voyages,
    detect_draught_changes,
    silence_candidates,
)
from cargotrace.detect.gaps import gap_candidates, gap_events
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import (
    DarkVoyageParams,
    DraughtChangeParams,
    GapParams,
    IdentityParams,
    PortVisitParams,
)
from cargotrace.detect.port_visits import detect_port_visits
from cargotrace.detect.segments import identity_segments
from cargotrace.errors import ParamsError
from cargotrace.sim.evaluate import evaluate, read_events, read_truth, store_data_end
from cargotrace.sim.params import MatchParams
from cargotrace.store.engines import Engine, tables_on
from cargotrace.store.events import Event, events_table, replace_events

from .factories import PORT, T0, M, add_port, after, copy_store, moored, sail, store_rows
from .factories import offset_km as offset

FAR_PORT = offset(PORT, 330)  # a crossing of about 15 h at 12 kn


def make_report(ts: datetime, draught: float | None, mmsi: int = M) -> dict[str, Any]:
    return {"mmsi": mmsi, "ts": ts, "name": "NEVA STAR", "imo": 9179842, "draught": draught,
            "msg_type": 5}


def crossing(dark_from_h: float, dark_until_h: float, mmsi: int = M, every_s: float = 30.0,
             start: datetime = T0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Six hours at PORT, a 12-kn crossing to FAR_PORT, six hours there; the transponder off
    from `dark_from_h` after leaving until `dark_until_h` before arriving. Returns what was
    heard, and the whole track."""
    here = moored(start, 6, offset(PORT, 0.5), mmsi)
    voyage = sail(after(here), offset(PORT, 0.5), offset(FAR_PORT, 0.5), 12, mmsi, every_s)
    there = moored(after(voyage), 6, offset(FAR_PORT, 0.5), mmsi)
    off = voyage[0]["ts"] + timedelta(hours=dark_from_h)
    on = voyage[-1]["ts"] - timedelta(hours=dark_until_h)
    whole = here + voyage + there
    return [r for r in whole if not off < r["ts"] < on], whole


def silence_of(heard: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    pairs = zip(heard, heard[1:], strict=False)
    a, b = max(pairs, key=lambda p: p[1]["ts"] - p[0]["ts"])
    return a["ts"], b["ts"]


def two_ports(store: cargotrace.Store) -> None:
    add_port(store, "test:port", PORT)
    add_port(store, "test:far", FAR_PORT)


def detect_on(engine: Engine, store: cargotrace.Store,
              params: DarkVoyageParams | None = None) -> list[Event]:
    tables = tables_on(engine, store, ["positions", "places"])
    visits = detect_port_visits(tables["positions"], tables["places"], PortVisitParams())
    return detect_dark_voyages(visits, tables["positions"], params or DarkVoyageParams())


def test_dark_crossing_between_two_ports(engine: Engine, tmp_store: cargotrace.Store) -> None:
    """Off 30 min after leaving, on again 1 h before arriving: a dark voyage spanning exactly
    the silence, to the port it arrived at, with the draught (from type 5 reports) up 3.5 m."""
    two_ports(tmp_store)
    heard, _ = crossing(0.5, 1.0)
    start, end = silence_of(heard)
    reports = [make_report(T0 + timedelta(hours=h), 5.0) for h in range(6)]
    reports += [make_report(end + timedelta(hours=h), 8.5) for h in range(1, 6)]
    store_rows(tmp_store, heard, reports)

    (voyage,) = detect_on(engine, tmp_store)
    assert (voyage.kind, voyage.mmsi, voyage.start, voyage.end) == (
        EventKind.DARK_VOYAGE, M, start, end)
    assert voyage.place_id == "test:far"
    attrs = voyage.attrs
    assert (attrs["from_place_id"], attrs["to_place_id"]) == ("test:port", "test:far")
    assert attrs["silence_h"] == pytest.approx((end - start).total_seconds() / 3600, abs=1e-3)
    assert attrs["silence_h"] > 13 and attrs["baseline_h"] == pytest.approx(30 / 3600, abs=1e-3)
    assert 0.5 <= attrs["visible_after_departure_h"] < 0.6
    # back on 1 h before the berth, 3.5 km (10 min) before entering the port's 3 km circle
    assert 0.8 < attrs["visible_before_arrival_h"] < 0.9
    assert attrs["implied_speed_kn"] == pytest.approx(12, abs=0.3) and not attrs["open"]

    reports_table = tables_on(engine, tmp_store, ["vessel_reports"])["vessel_reports"]
    (change,) = detect_draught_changes(reports_table, [voyage], DraughtChangeParams())
    assert (change.kind, change.start, change.end) == (EventKind.DRAUGHT_CHANGE, start, end)
    assert change.attrs["draught_before_m"] == 5.0 and change.attrs["draught_after_m"] == 8.5
    assert change.attrs["change_m"] == 3.5 and change.attrs["silence_kind"] == "dark_voyage"


def test_silence_in_mid_crossing_is_a_gap_not_a_dark_voyage(tmp_store: cargotrace.Store) -> None:
    """Heard for 4 h after leaving and for 4 h before arriving: the voyage was seen to start and
    end, so the 6.7 h silence between is a gap (gaps.py), not a dark voyage."""
    two_ports(tmp_store)
    heard, _ = crossing(4.0, 4.0)
    store_rows(tmp_store, heard)
    start, end = silence_of(heard)
    assert (end - start) > timedelta(hours=6.5)
    assert detect_on(Engine.DUCKDB, tmp_store) == []


def test_silence_the_vessels_own_reception_explains(tmp_store: cargotrace.Store) -> None:
    """A vessel heard only every 3 h while under way (far from any receiver, say) for 12 days
    has a baseline of 3 h. Then it crosses to a port 155 km away, heard leaving and arriving
    only: a 6.9 h silence, within three times its baseline, so no dark voyage; with the factor
    at 2, it is one."""
    near_port = offset(PORT, 155)
    two_ports(tmp_store)
    add_port(tmp_store, "test:near", near_port)
    history = sail(T0, offset(PORT, 0, -1100), offset(PORT, 0.5), 2, every_s=3 * 3600)
    here = moored(after(history, 600), 6, offset(PORT, 0.5))
    voyage = sail(after(here), offset(PORT, 0.5), offset(near_port, -0.5), 12, every_s=7 * 3600)
    there = moored(after(voyage), 6, offset(near_port, -0.5))
    store_rows(tmp_store, history + here + voyage + there)
    assert len(voyage) == 2 and len(history) == 100

    assert detect_on(Engine.DUCKDB, tmp_store) == []
    (found,) = detect_on(Engine.DUCKDB, tmp_store, DarkVoyageParams(baseline_factor=2.0))
    assert found.attrs["baseline_h"] == pytest.approx(3.0, abs=0.05)
    assert (found.start, found.end) == (voyage[0]["ts"], voyage[1]["ts"])
    assert 6 < found.attrs["silence_h"] < 3 * found.attrs["baseline_h"]
    assert (found.place_id, found.attrs["from_place_id"]) == ("test:near", "test:port")


def test_open_dark_voyage_to_the_end_of_the_data(engine: Engine,
                                                 tmp_store: cargotrace.Store) -> None:
    """Left port, went dark 30 min later and was never heard again, while the data goes on for
    two days (another vessel): an open dark voyage with no destination. A vessel last heard at
    its berth is not one: it may still be there with its AIS off."""
    two_ports(tmp_store)
    here = moored(T0, 6, offset(PORT, 0.5))
    leaving = sail(after(here), offset(PORT, 0.5), offset(FAR_PORT, 0.5), 12)
    leaving = [r for r in leaving if r["ts"] <= leaving[0]["ts"] + timedelta(hours=0.5)]
    berth = moored(T0, 6, offset(PORT, -0.7), mmsi=M + 1)
    others = moored(T0, 54, offset(FAR_PORT, 0.5), mmsi=M + 2)
    store_rows(tmp_store, here + leaving + berth + others)

    (voyage,) = detect_on(engine, tmp_store)
    assert (voyage.mmsi, voyage.start, voyage.end) == (M, leaving[-1]["ts"], None)
    assert voyage.place_id is None and voyage.attrs["open"]
    assert voyage.attrs["from_place_id"] == "test:port" and voyage.attrs["to_place_id"] is None
    assert voyage.attrs["silence_h"] > 40


def test_silence_in_port_is_not_a_voyage(tmp_store: cargotrace.Store) -> None:
    two_ports(tmp_store)
    berth = offset(PORT, 0.5)
    first = moored(T0, 5, berth)
    store_rows(tmp_store, first + moored(after(first, 20 * 3600), 5, berth))
    assert detect_on(Engine.DUCKDB, tmp_store) == []


def test_draught_changes_need_a_real_change_and_count_a_silence_once(
    tmp_store: cargotrace.Store,
) -> None:
    two_ports(tmp_store)
    heard, _ = crossing(0.5, 1.0)
    start, end = silence_of(heard)
    other_start = T0 + timedelta(days=3)
    reports = [make_report(start - timedelta(hours=1), 5.0), make_report(start, None),
               make_report(end + timedelta(minutes=10), 5.0),  # unchanged across the voyage
               make_report(other_start - timedelta(hours=2), 5.0),
               make_report(other_start + timedelta(hours=8), 5.4)]  # 0.4 m: below 0.5 m
    store_rows(tmp_store, heard, reports)
    voyage = Event(EventKind.DARK_VOYAGE, M, start, end)
    same_as_gap = Event(EventKind.GAP, M, start, end)
    small = Event(EventKind.GAP, M, other_start, other_start + timedelta(hours=7))
    silences = [voyage, same_as_gap, small, Event(EventKind.GAP, M, end, None)]
    reports_table = tmp_store.vessel_reports
    assert detect_draught_changes(reports_table, silences, DraughtChangeParams()) == []
    (found,) = detect_draught_changes(reports_table, silences,
                                      DraughtChangeParams(min_change_m=0.4))
    assert (found.start, found.attrs["change_m"]) == (other_start, 0.4)


def test_params_are_checked() -> None:
    with pytest.raises(ParamsError, match="baseline_quantile must be in"):
        DarkVoyageParams(baseline_quantile=1.5)
    with pytest.raises(ParamsError, match="max_visible_arrival_h must be > 0"):
        DarkVoyageParams(max_visible_arrival_h=0)
    with pytest.raises(ParamsError, match="min_change_m must be > 0"):
        DraughtChangeParams(min_change_m=-1)


# --- the simulator's mixed scenario ---------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(mixed_sim: Path, mixed_with_ports: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`mixed` with every port of its region (conftest.py), dark voyages and draught changes
    stored in a copy."""
    out = mixed_sim
    store_path = copy_store(mixed_with_ports, tmp_path_factory.mktemp("mixed-dark-voyages"))
    with cargotrace.open_store(store_path) as store:
        end = store_data_end(store)
        assert end is not None
        visits = detect_port_visits(identity_segments(store.positions, IdentityParams()),
                                    store.places, PortVisitParams())
        voyages = detect_dark_voyages(visits, store.positions, DarkVoyageParams())
        gaps = gap_events(gap_candidates(store.positions, GapParams(), end).to_pyarrow(),
                          GapParams(), end)
        changes = detect_draught_changes(store.vessel_reports, voyages + gaps,
                                         DraughtChangeParams())
        for kind, events, params in (
            (EventKind.DARK_VOYAGE, voyages, DarkVoyageParams()),
            (EventKind.DRAUGHT_CHANGE, changes, DraughtChangeParams()),
        ):
            replace_events(store, events_table(events, "gfw", params), [kind])
    return out, store_path


@pytest.mark.parametrize("kind", ["dark_voyage", "draught_change"])
def test_match_the_simulated_truth(mixed: tuple[Path, Path], kind: str) -> None:
    """Every planted dark voyage (and draught change across one) is found, nothing else:
    neither the 8-30 h transponder-off gaps planted mid-crossing nor reception silences. The
    times are exact: both the truth and the event run from the last position before the
    silence to the first after it."""
    out, store_path = mixed
    with cargotrace.open_store(store_path) as store:
        result = evaluate(read_events(store), read_truth(out / "truth.parquet"), MatchParams(),
                          kinds={kind}, data_end=store_data_end(store))
    score = result.score(kind)
    assert score.truth >= 5
    assert score.precision >= 0.95 and score.recall >= 0.95, score
    assert score.start_error_max_min == 0 and score.end_error_max_min == 0


def test_silences_and_their_history_match_a_count_by_hand(tmp_store: cargotrace.Store) -> None:
    """The silences (fetched first) and, per silence, the vessel's last slow time before it and
    its interval count (one query over the silences fetched) are what pandas finds in the rows:
    a closed silence, an open one to the end of the data, none for a vessel always heard."""
    two_ports(tmp_store)
    heard, _ = crossing(0.5, 1.0)
    here = moored(T0, 6, offset(PORT, 0.5), mmsi=M + 1)
    leaving = sail(after(here), offset(PORT, 0.5), offset(FAR_PORT, 0.5), 12, mmsi=M + 1)
    leaving = [r for r in leaving if r["ts"] <= leaving[0]["ts"] + timedelta(hours=0.5)]
    steady = moored(T0, 54, offset(FAR_PORT, 0.5), mmsi=M + 2)
    rows = heard + here + leaving + steady
    store_rows(tmp_store, rows)
    params = DarkVoyageParams()
    data_end = max(r["ts"] for r in rows)
    positions = tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"]
    found = silence_candidates(positions, params, data_end).to_pylist()

    df = pd.DataFrame(rows).sort_values(["mmsi", "ts", "lat", "lon"])
    df["next_ts"] = df.groupby("mmsi")["ts"].shift(-1)
    silent = df[(df["next_ts"].fillna(data_end) - df["ts"])
                >= pd.Timedelta(hours=params.min_silence_h)]
    expected = []
    for row in silent.itertuples():
        mine = df[df["mmsi"] == row.mmsi]
        slow = mine[(mine["sog"] < params.slow_max_sog_kn) & (mine["ts"] <= row.ts)]
        underway = mine[(mine["sog"] >= params.underway_min_sog_kn)
                        & (mine["sog"].shift(-1) >= params.underway_min_sog_kn)]
        expected.append((row.mmsi, row.ts, None if pd.isna(row.next_ts) else row.next_ts,
                         int(slow["ts"].max().timestamp()), len(underway)))
    assert sorted(expected) == sorted(
        (r["mmsi"], r["start"], r["end"], r["last_slow_t_s"], r["n_intervals"]) for r in found)
    assert {r["mmsi"] for r in found} == {M, M + 1} and any(r["end"] is None for r in found)

    steady_only = tables_on(Engine.DUCKDB, tmp_store, ["positions"])["positions"]
    steady_only = steady_only.filter(steady_only.mmsi == M + 2)
    none = silence_candidates(steady_only, params, data_end)
    assert none.num_rows == 0
    assert {"last_slow_t_s", "baseline_s", "n_intervals"} <= set(none.column_names)
