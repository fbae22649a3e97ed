"""Shuttles (issue 15): repeated trips of a vessel, or of two vessels alternating, between the
same two places, built from port visits and possible dark port calls. Trip counts are checked
against independent pandas counts of the calls, on hand-built events, on the simulator's
`sea-of-japan-2023` store, and on the real Solent capture (84 minutes: no shuttle there)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import ShuttleParams
from cargotrace.detect.run import detect
from cargotrace.detect.shuttles import calls_from_events, calls_from_table, detect_shuttles
from cargotrace.errors import ParamsError
from cargotrace.ingest.gazetteers import load_places
from cargotrace.store.events import Event, events_table

from .factories import copy_store

T0 = datetime(2023, 8, 15, tzinfo=UTC)
ANGARA, MARIA = 273110000, 273220000
NAJIN, DUNAY, VLAD = "ct:najin", "ct:dunay", "ct:vladivostok"


def visit(mmsi: int, place: str, day: float, hours: float = 30.0) -> Event:
    start = T0 + timedelta(days=day)
    return Event(EventKind.PORT_VISIT, mmsi, start, start + timedelta(hours=hours),
                 place_id=place, confidence=1.0, attrs={"segment": 0})


def dark_call(mmsi: int, candidates: list[str], day: float) -> Event:
    start = T0 + timedelta(days=day)
    return Event(EventKind.POSSIBLE_DARK_PORT_CALL, mmsi, start, start + timedelta(days=2),
                 place_id=candidates[0], confidence=0.5,
                 attrs={"candidates": [{"place_id": c} for c in candidates]})


def alternations(frame: pd.DataFrame, a: str, b: str) -> int:
    """Independent count: consecutive calls (same place merged) that change between a and b."""
    places = frame.sort_values("start")["place"].tolist()
    places = [p for i, p in enumerate(places) if i == 0 or p != places[i - 1]]
    return sum(1 for x, y in zip(places, places[1:], strict=False) if {x, y} == {a, b})


def frame_of(events: list[Event]) -> pd.DataFrame:
    return pd.DataFrame({"mmsi": [e.mmsi for e in events], "start": [e.start for e in events],
                         "place": [e.place_id for e in events]})


def test_one_ship_shuttling_with_a_dark_call() -> None:
    """Najin, Dunay, Najin, (dark: Dunay or Nakhodka), Najin, Dunay: five trips, one call
    inferred; confidence is the share of calls seen."""
    events = [visit(ANGARA, NAJIN, 0), visit(ANGARA, DUNAY, 3), visit(ANGARA, NAJIN, 8),
              dark_call(ANGARA, ["ct:nakhodka", DUNAY], 12), visit(ANGARA, NAJIN, 17),
              visit(ANGARA, DUNAY, 21)]
    found = detect_shuttles(calls_from_events(events, ShuttleParams()), ShuttleParams())
    assert len(found) == 1
    shuttle = found[0]
    assert shuttle.kind == EventKind.SHUTTLE and shuttle.mmsi == ANGARA
    assert shuttle.attrs["places"] == [DUNAY, NAJIN]
    assert shuttle.attrs["trips"] == 5 and shuttle.attrs["round_trips"] == 2
    assert [c["event_id"] for c in shuttle.attrs["calls"]] == [e.event_id for e in events]
    assert [c["how"] for c in shuttle.attrs["calls"]].count("possible_dark_port_call") == 1
    assert shuttle.confidence == pytest.approx(5 / 6, abs=1e-3)
    assert shuttle.start == events[0].start and shuttle.end == events[-1].end
    # without dark calls the inferred call is gone: Najin, Dunay, Najin, Najin, Dunay -> 3 trips
    no_dark = ShuttleParams(include_dark_calls=False, min_trips=2)
    only_seen = detect_shuttles(calls_from_events(events, no_dark), no_dark)
    seen = frame_of([e for e in events if e.kind == EventKind.PORT_VISIT])
    assert [s.attrs["trips"] for s in only_seen] == [alternations(seen, NAJIN, DUNAY)]


VOSTOCHNY = "ct:vostochny"


def test_a_dark_call_counts_at_one_place_only() -> None:
    """A Najin-Dunay shuttler whose dark calls also fit Vostochny (60 km from Dunay, sometimes
    ranked first) makes no Najin-Vostochny shuttle: each dark call goes to Dunay, where the ship
    was seen calling, and appears in one event only. Checked against a pandas resolution (the
    candidate among the places of the vessel's port visits) and an alternation count."""
    events = [visit(ANGARA, NAJIN, 0), visit(ANGARA, DUNAY, 4), visit(ANGARA, NAJIN, 8),
              dark_call(ANGARA, [VOSTOCHNY, DUNAY], 12), visit(ANGARA, NAJIN, 16),
              dark_call(ANGARA, [DUNAY, VOSTOCHNY], 20), visit(ANGARA, NAJIN, 24),
              dark_call(ANGARA, [VOSTOCHNY, DUNAY], 28), visit(ANGARA, NAJIN, 32),
              visit(ANGARA, DUNAY, 36)]
    frame = frame_of(events)
    frame["candidates"] = [[c["place_id"] for c in e.attrs.get("candidates", [])]
                           or [e.place_id] for e in events]
    seen = set(frame.loc[[e.kind == EventKind.PORT_VISIT for e in events], "place"])
    # counted at every candidate (the old rule), Vostochny alone would make a shuttle
    at_vostochny = frame.assign(place=[VOSTOCHNY if VOSTOCHNY in c else p
                                       for c, p in zip(frame.candidates, frame.place,
                                                       strict=True)])
    assert alternations(at_vostochny, NAJIN, VOSTOCHNY) >= ShuttleParams().min_trips
    resolved = frame.assign(place=[next(p for p in c if p in seen) for c in frame.candidates])
    found = detect_shuttles(calls_from_events(events, ShuttleParams()), ShuttleParams())
    assert [s.attrs["places"] for s in found] == [[DUNAY, NAJIN]]
    assert found[0].attrs["trips"] == alternations(resolved, NAJIN, DUNAY) == 9
    dark = [c for c in found[0].attrs["calls"] if not c["observed"]]
    assert [c["place_ids"] for c in dark] == [[DUNAY]] * 3
    assert [sorted(c["candidates"]) for c in dark] == [sorted([DUNAY, VOSTOCHNY])] * 3
    listed = [c["event_id"] for s in found for c in s.attrs["calls"]]
    assert len(listed) == len(set(listed)) == len(events)


def test_issue_15_a_dark_call_goes_to_the_best_ranked_seen_place() -> None:
    """The simulator's `mixed`, MMSI 616331171: seen at Najin once, at Dunay twice; a dark call
    whose silence fits Najin best (ranked first, and where the truth has it) also lists Dunay.
    Counted at Dunay because Dunay was seen more often, it invented a Dunay-Toyama run and two
    group shuttles; it counts at Najin, so the calls give no Dunay trip before Toyama."""
    sakata, toyama, maizuru = "wpi:sakata", "wpi:toyama", "wpi:maizuru"
    chongjin = "wpi:chongjin"
    events = [visit(ANGARA, NAJIN, 0), visit(ANGARA, DUNAY, 3), visit(ANGARA, chongjin, 5),
              dark_call(ANGARA, [NAJIN, DUNAY], 7), visit(ANGARA, maizuru, 9),
              visit(ANGARA, toyama, 10), visit(ANGARA, DUNAY, 13), visit(ANGARA, sakata, 15),
              visit(ANGARA, DUNAY, 18)]
    params = ShuttleParams(min_trips=2, min_group_vessel_trips=2)
    calls = calls_from_events(events, params)
    found = detect_shuttles(calls, params)
    placed = [c["place_ids"] for e in found for c in e.attrs["calls"]
              if c["how"] == "possible_dark_port_call"]
    assert all(p == [NAJIN] for p in placed)
    pair = sorted([DUNAY, toyama])
    toyama_runs = [e for e in found if sorted(e.attrs["places"]) == pair]
    # independent count, the dark call at its first-ranked place: between Dunay (day 3) and
    # Toyama lie three other calls (Ch'ongjin, Najin, Maizuru), more than max_calls_between, so
    # only Toyama -> Dunay is a trip: one, below min_trips
    frame = frame_of([*events[:3], visit(ANGARA, NAJIN, 7), *events[4:]])
    places = frame.sort_values("start")["place"].tolist()
    first_dunay, toyama_at = places.index(DUNAY), places.index(toyama)
    assert toyama_at - first_dunay - 1 == 3 > params.max_calls_between
    assert alternations(frame.iloc[toyama_at:], DUNAY, toyama) == 1
    assert toyama_runs == []


def test_issue_15_a_shared_mmsi_second_ship_calls_are_not_the_first_ships() -> None:
    """The simulator's `mixed`, MMSI 445129353: a second ship transmitting the same MMSI called
    at Busan between the first ship's calls at Vladivostok and Nakhodka; the identity split puts
    that visit on segment 1. Read per MMSI, Vladivostok-Busan looked like a trip of the first
    ship (and made a group shuttle); per segment it is not. A dark call (no segment) goes with
    the segment most calls are on."""
    busan = "wpi:busan"

    def on(segment: int, event: Event) -> Event:
        event.attrs["segment"] = segment
        return event

    events = [on(0, visit(ANGARA, VLAD, 0)), on(0, visit(ANGARA, NAJIN, 3)),
              on(0, visit(ANGARA, VLAD, 6)), on(1, visit(ANGARA, busan, 7)),
              dark_call(ANGARA, [NAJIN, DUNAY], 9), on(0, visit(ANGARA, VLAD, 12)),
              on(0, visit(ANGARA, busan, 15)), on(0, visit(ANGARA, VLAD, 18))]
    params = ShuttleParams(min_trips=2)
    calls = calls_from_events(events, params)
    assert [c.segment for c in calls] == [0, 0, 0, 1, None, 0, 0, 0]
    found = detect_shuttles(calls, params)
    pairs = {tuple(sorted(e.attrs["places"])): e for e in found}
    # independent count on segment 0 (the dark call with it): Vlad, Najin, Vlad, (dark) Najin,
    # Vlad, Busan, Vlad: Vlad-Najin 4 trips, Vlad-Busan 2 (without the other ship's Busan)
    main = frame_of([e for e in events if e.attrs.get("segment", 0) == 0])
    assert alternations(main, VLAD, busan) == 2
    assert pairs[tuple(sorted([VLAD, busan]))].attrs["trips"] == 2
    assert all(c["event_id"] != events[3].event_id
               for e in found for c in e.attrs["calls"])  # segment 1 is in no shuttle


def test_a_run_resting_on_ambiguous_dark_calls_is_not_reported() -> None:
    """Seen only at Najin, dark calls that fit Dunay or Vostochny: where the ship went is a
    guess, so no shuttle. The same calls with Dunay their only candidate are a (low-confidence)
    shuttle: the share of calls seen."""
    def calls(candidates: list[str]) -> list[Event]:
        out = []
        for k in range(3):
            out += [visit(ANGARA, NAJIN, 8 * k), dark_call(ANGARA, candidates, 8 * k + 4)]
        return [*out, visit(ANGARA, NAJIN, 24)]

    params = ShuttleParams()
    assert detect_shuttles(calls_from_events(calls([DUNAY, VOSTOCHNY]), params), params) == []
    firm = calls([DUNAY])
    found = detect_shuttles(calls_from_events(firm, params), params)
    assert [s.attrs["trips"] for s in found] == [alternations(frame_of(firm), NAJIN, DUNAY)]
    seen = sum(e.kind == EventKind.PORT_VISIT for e in firm)
    assert found[0].confidence == pytest.approx(seen / len(firm), abs=1e-3)


def test_two_ships_alternating_are_one_group_shuttle() -> None:
    """Angara and Maria each make three trips (fewer than min_trips 4 alone): one group event
    with six trips, both vessels, the lower MMSI first."""
    events = []
    for k in range(4):
        events.append(visit(ANGARA, NAJIN if k % 2 == 0 else DUNAY, 8 * k))
        events.append(visit(MARIA, DUNAY if k % 2 == 0 else NAJIN, 8 * k + 4))
    found = detect_shuttles(calls_from_events(events, ShuttleParams()), ShuttleParams())
    frame = frame_of(events)
    expected = {m: alternations(frame[frame.mmsi == m], NAJIN, DUNAY) for m in (ANGARA, MARIA)}
    assert expected == {ANGARA: 3, MARIA: 3}
    assert len(found) == 1
    group = found[0]
    assert (group.mmsi, group.other_mmsi) == (ANGARA, MARIA)
    assert group.attrs["vessels"] == [ANGARA, MARIA]
    assert group.attrs["trips"] == sum(expected.values())
    assert group.attrs["per_vessel_trips"] == {str(m): n for m, n in expected.items()}
    assert group.confidence == 1.0
    # a third and a fourth ship on the same run make ordinary traffic, no longer one group
    others = [visit(m, NAJIN if k % 2 == 0 else DUNAY, 8 * k + 2) for m in (273330000, 273440000)
              for k in range(3)]
    crowd = detect_shuttles(calls_from_events(events + others, ShuttleParams()),
                            ShuttleParams())
    assert crowd == []
    assert [len(g.attrs["vessels"]) for g in detect_shuttles(
        calls_from_events(events + others, ShuttleParams(max_group_vessels=4)),
        ShuttleParams(max_group_vessels=4))] == [4]


def test_a_long_pause_or_other_calls_break_the_shuttle() -> None:
    """A 40-day wait (> max_trip_d 30) splits the run; two calls elsewhere on one passage
    (> max_calls_between 1) too: neither half reaches min_trips."""
    pause = [visit(ANGARA, NAJIN, 0), visit(ANGARA, DUNAY, 4), visit(ANGARA, NAJIN, 8),
             visit(ANGARA, DUNAY, 48), visit(ANGARA, NAJIN, 52), visit(ANGARA, DUNAY, 56)]
    assert detect_shuttles(calls_from_events(pause, ShuttleParams()), ShuttleParams()) == []
    detour = [visit(ANGARA, NAJIN, 0), visit(ANGARA, DUNAY, 4), visit(ANGARA, NAJIN, 8),
              visit(ANGARA, VLAD, 10), visit(ANGARA, "ct:nakhodka", 12),
              visit(ANGARA, DUNAY, 14), visit(ANGARA, NAJIN, 18)]
    assert detect_shuttles(calls_from_events(detour, ShuttleParams()), ShuttleParams()) == []
    one_stop = [e for e in detour if e.place_id != "ct:nakhodka"]
    found = detect_shuttles(calls_from_events(one_stop, ShuttleParams()), ShuttleParams())
    assert [s.attrs["trips"] for s in found] == [4]


def test_stored_rows_give_the_same_shuttles() -> None:
    """The store's rows (attrs as JSON) give the same calls, hence the same events and ids."""
    events = [visit(ANGARA, NAJIN if k % 2 == 0 else DUNAY, 5 * k) for k in range(6)]
    events.append(dark_call(ANGARA, [NAJIN], 31))
    params = ShuttleParams()
    direct = detect_shuttles(calls_from_events(events, params), params)
    table = events_table(events, "gfw", params)
    stored = detect_shuttles(calls_from_table(table, params), params)
    assert [e.event_id for e in stored] == [e.event_id for e in direct]
    assert [e.attrs for e in stored] == [e.attrs for e in direct]


@pytest.mark.parametrize("bad", [{"min_trips": 1}, {"max_trip_d": 0.0},
                                 {"max_calls_between": -1}, {"min_group_vessel_trips": 0},
                                 {"max_group_vessels": 1}])
def test_nonsense_parameters_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ParamsError):
        ShuttleParams(**bad)  # type: ignore[arg-type]


def test_simulated_sea_of_japan(sea_of_japan: tuple[Path, Path]) -> None:
    """On the simulator's reference-case store (every detector run): the shuttles stored by
    `detect` are those of the stored calls, and with min_trips 2 the trip counts of port visits
    alone match an independent count of place changes per vessel."""
    _, store_path = sea_of_japan
    with cargotrace.open_store(store_path, read_only=True) as store:
        rows = store.con.sql("SELECT * FROM events").to_arrow_table()
        stored = store.con.execute("SELECT count(*) FROM events WHERE kind = 'shuttle'"
                                   ).fetchall()[0][0]
        visits = store.con.sql("SELECT mmsi, start, place_id AS place FROM events "
                               "WHERE kind = 'port_visit'").to_arrow_table().to_pandas()
    assert stored == len(detect_shuttles(calls_from_table(rows, ShuttleParams()),
                                         ShuttleParams()))
    params = ShuttleParams(min_trips=2, include_dark_calls=False, max_calls_between=0)
    found = detect_shuttles(calls_from_table(rows, params), params)
    singles = [s for s in found if s.other_mmsi is None]
    assert singles, "the scenario's vessels call at Najin, Vladivostok and Dunay repeatedly"
    for s in singles:
        a, b = s.attrs["places"]
        own = visits[(visits.mmsi == s.mmsi) & (visits.start >= s.start)
                     & (visits.start <= s.end)]
        assert s.attrs["trips"] == alternations(own, a, b), s.attrs


def test_real_solent_capture_has_no_shuttle(solent_store: Path, shared_data: Path,
                                            tmp_path: Path) -> None:
    """The real Solent capture lasts 84 minutes: with the World Port Index loaded its vessels
    make port visits, but no vessel calls at two different places, so no shuttle; checked by
    counting place changes per vessel in the stored port visits."""
    path = copy_store(solent_store, tmp_path)
    with cargotrace.open_store(path) as store:
        load_places(store, shared_data / "ports" / "UpdatedPub150.csv")
        summary = detect(store, kinds=["port_visit", "shuttle"])
        visits = store.con.sql("SELECT mmsi, start, place_id AS place FROM events "
                               "WHERE kind = 'port_visit'").to_arrow_table().to_pandas()
        params = json.loads(store.con.execute(
            "SELECT value FROM meta WHERE key = 'detected:shuttle'").fetchall()[0][0])
    assert len(visits) > 20  # the capture has port visits to build on
    changes = {m: sum(1 for x, y in zip(g.sort_values("start").place,
                                        g.sort_values("start").place[1:], strict=False)
                      if x != y)
               for m, g in visits.groupby("mmsi")}
    assert max(changes.values()) < ShuttleParams().min_trips
    assert summary.written["shuttle"] == 0 and params["events"] == 0
