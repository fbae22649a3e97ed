"""Shuttles: a vessel (or a group of vessels) making trip after trip between the same two places.

Why: the 2023 North Korea -> Russia pipeline was exposed as a *flow* (two ships, Angara and
Maria, back and forth between Rajin and Dunay for months), not as one voyage. A single port
visit says little; the tenth call at the same pair of places, each a few days after the last,
is a pattern an analyst wants surfaced and counted, because trips x capacity is what official
volume claims can be tested against (`cargotrace.cases.campaign`).

What counts as a call: a port visit (seen), a possible dark port call (inferred: the place is
one of the gap's candidate places) and, when a table of them is loaded, an imagery sighting
(seen). Calls are the vessel's, in time order; a vessel is an MMSI, or one identity segment of
it when two ships share the MMSI (the port visit's `segment`, from the identity detector's
split: the second ship's calls are not the first's; a dark call, which has no segment, goes with
the segment most of the MMSI's seen calls are on). An inferred call counts at ONE place
(`_resolve`: a candidate where the vessel was seen calling first), never at all its candidates:
a dark call fitting Dunay and Vostochny, 60 km apart, would otherwise give a Najin-Dunay
shuttler a second, invented Najin-Vostochny shuttle. A run one of whose places rests only on
inferred calls that had several candidates is a guess, not reported (`_supported`). Consecutive
calls at one of the two places are one stay. A **trip** is the passage from a stay at one place
to the next stay at the other, taking at most `max_trip_d` (call to call) with at most
`max_calls_between` calls elsewhere in between. A shuttle is a maximal run of consecutive trips,
reported when it has at least `min_trips`. The event carries every call (place, dates, how it
was evidenced, its event id), and its confidence is the share of calls that were directly
observed (a shuttle made of inferred dark calls is a hypothesis, not a sighting).

Groups: vessels each making at least `min_group_vessel_trips` trips between the same two places
in overlapping periods (runs no further apart than `max_trip_d`) form a group shuttle, one event
for the group (`mmsi` the lowest MMSI, `other_mmsi` the next, `attrs.vessels` all of them): two
ships alternating on one route each make half the trips, and neither alone may reach
`min_trips`. A group of more than `max_group_vessels` is ordinary traffic between two busy
ports (ferries, feeders), not a group shuttle, and is not reported as one.

A small pure function over the calls already detected (the run's port visits and possible dark
port calls, or the store's events): no Ibis expression, so it is the same on both engines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import ShuttleParams
from cargotrace.store.events import Event

__all__ = ["Call", "calls_from_events", "calls_from_table", "dark_call_places", "detect_shuttles"]

SEEN = frozenset({"port_visit", "imagery"})
"""How a call can be evidenced and count as directly observed; anything else is inferred."""


@dataclass(frozen=True)
class Call:
    """One call of a vessel at a place (or at one of several candidate places)."""

    mmsi: int
    start: datetime
    end: datetime | None
    places: tuple[str, ...]  # the place, or an inferred call's candidate places, best first
    how: str  # port_visit | possible_dark_port_call | imagery
    event_id: str
    lat: float | None = None
    lon: float | None = None
    candidates: tuple[str, ...] = ()  # an inferred call's candidate places once resolved
    segment: int | None = None  # the port visit's identity segment (a shared MMSI's ship)

    @property
    def observed(self) -> bool:
        return self.how in SEEN

    @property
    def last(self) -> datetime:
        return self.end or self.start


def dark_call_places(place_id: str | None, attrs: dict[str, Any]) -> tuple[str, ...]:
    """A possible dark port call's places: the one it names first, then its candidates."""
    names = [place_id] if place_id else []
    names += [c.get("place_id") for c in attrs.get("candidates") or [] if c.get("place_id")]
    return tuple(dict.fromkeys(n for n in names if n))


def calls_from_events(events: Iterable[Event], params: ShuttleParams) -> list[Call]:
    """The calls among `events` (port visits; possible dark port calls unless turned off)."""
    calls = []
    for e in events:
        kind = str(e.kind)
        if kind == EventKind.PORT_VISIT and e.place_id:
            places: tuple[str, ...] = (e.place_id,)
        elif kind == EventKind.POSSIBLE_DARK_PORT_CALL and params.include_dark_calls:
            places = dark_call_places(e.place_id, e.attrs)
        else:
            continue
        if places:
            calls.append(Call(e.mmsi, e.start, e.end, places, kind, e.event_id, e.lat, e.lon,
                              segment=_segment(e.attrs)))
    return calls


def _segment(attrs: dict[str, Any]) -> int | None:
    value = attrs.get("segment")
    return None if value is None else int(value)


def calls_from_table(events: pa.Table, params: ShuttleParams) -> list[Call]:
    """The calls among stored `events` rows (the `events` table's layout, attrs as JSON)."""
    calls = []
    for row in events.to_pylist():
        kind = row["kind"]
        attrs = json.loads(row["attrs"]) if row.get("attrs") else {}
        if kind == EventKind.PORT_VISIT and row["place_id"]:
            places: tuple[str, ...] = (row["place_id"],)
        elif kind == EventKind.POSSIBLE_DARK_PORT_CALL and params.include_dark_calls:
            places = dark_call_places(row["place_id"], attrs)
        else:
            continue
        if places:
            calls.append(Call(int(row["mmsi"]), row["start"], row["end"], places, kind,
                              row["event_id"], row["lat"], row["lon"],
                              segment=_segment(attrs)))
    return calls


@dataclass
class _Run:
    """Consecutive trips of one vessel between places a and b: its stays, in order."""

    mmsi: int
    pair: tuple[str, str]
    stays: list[list[Call]]

    @property
    def trips(self) -> int:
        return len(self.stays) - 1

    @property
    def calls(self) -> list[Call]:
        return [c for stay in self.stays for c in stay]

    @property
    def start(self) -> datetime:
        return self.stays[0][0].start

    @property
    def end(self) -> datetime:
        return max(c.last for c in self.calls)


def _pairs(calls: list[Call], params: ShuttleParams) -> set[tuple[str, str]]:
    """Place pairs that at least one possible trip joins (calls near each other in order)."""
    pairs: set[tuple[str, str]] = set()
    reach = params.max_calls_between + 1
    for i, call in enumerate(calls):
        for other in calls[i + 1:i + 1 + reach]:
            pairs.update((min(a, b), max(a, b)) for a in call.places for b in other.places
                         if a != b)
    return pairs


def _stays(calls: list[Call], pair: tuple[str, str]) -> list[tuple[list[Call], int, int]]:
    """(calls, index of the first, index of the last) of each stay at a place of `pair`:
    consecutive calls at the same place merge (calls elsewhere in between included). Calls are
    resolved (`_resolve`): each is at one place."""
    stays: list[tuple[str, list[Call], int, int]] = []
    for index, call in enumerate(calls):
        place = call.places[0]
        if place not in pair:
            continue
        if stays and stays[-1][0] == place:
            _, stay, first, _ = stays[-1]
            stays[-1] = (place, [*stay, call], first, index)
        else:
            stays.append((place, [call], index, index))
    return [(stay, first, last) for _, stay, first, last in stays]


def _resolve(calls: list[Call]) -> list[Call]:
    """One vessel's calls (in time order), each at exactly one place.

    Why: an inferred call lists every port its silence could have hidden; counting it at all
    of them invents trips between places the ship never sailed (a Najin-Dunay shuttler whose
    dark calls also fit Vostochny, 60 km from Dunay, would "shuttle" Najin-Vostochny too). So a
    call with several candidates goes to the one (in this order of preference) where the
    vessel was *seen* calling (port visit, imagery) in the calls given; that is not the place of
    its previous call (a call where the ship already was adds no trip); ranked first by the
    dark-call detector (shortest detour). How often the vessel was seen at a candidate is not a
    criterion (it was until issue 15): on the simulator's `mixed` traffic it moved dark calls
    from the place the silence fits best (and the truth names) to a port the ship happened to
    visit twice elsewhere, inventing trips and two group shuttles."""
    seen = {place for call in calls if call.observed for place in call.places}
    out: list[Call] = []
    for call in calls:
        if len(call.places) > 1:
            prev = out[-1].places[0] if out else None
            rank = {p: i for i, p in enumerate(call.places)}
            best = max(call.places, key=lambda p: (p in seen, p != prev, -rank[p]))
            call = replace(call, places=(best,), candidates=call.places)
        out.append(call)
    return out


def _supported(run: _Run) -> bool:
    """Whether each of the run's two places has a call that is not an ambiguous guess: a call
    seen there, or an inferred call with that place as its only candidate. A run whose one end
    rests only on calls that could as well have been elsewhere is not reported."""
    firm = {c.places[0] for c in run.calls if c.observed or len(c.candidates) <= 1}
    return set(run.pair) <= firm


def _runs(calls: list[Call], pair: tuple[str, str], params: ShuttleParams) -> list[_Run]:
    """Maximal runs of consecutive trips between the two places of `pair`."""
    runs: list[_Run] = []
    current: list[list[Call]] = []
    prev_last = -1
    for stay, first, last in _stays(calls, pair):
        if current:
            between = first - prev_last - 1  # calls elsewhere on the way
            days = (stay[0].start - max(c.last for c in current[-1])).total_seconds() / 86400
            if not (between <= params.max_calls_between and days <= params.max_trip_d):
                runs.append(_Run(calls[0].mmsi, pair, current))
                current = []
        current.append(stay)
        prev_last = last
    if current:
        runs.append(_Run(calls[0].mmsi, pair, current))
    return [r for r in runs if r.trips >= 1]


def _call_dict(call: Call) -> dict[str, Any]:
    out = {"mmsi": call.mmsi, "place_ids": list(call.places), "start": call.start.isoformat(),
           "end": call.end.isoformat() if call.end else None, "how": call.how,
           "observed": call.observed, "event_id": call.event_id}
    if len(call.candidates) > 1:  # an inferred call assigned to one of several places
        out["candidates"] = list(call.candidates)
    return out


def _event(runs: list[_Run]) -> Event:
    """One shuttle event for `runs` (one vessel's run, or a group's runs on one pair)."""
    calls = sorted((c for r in runs for c in r.calls), key=lambda c: (c.start, c.mmsi))
    vessels = sorted({r.mmsi for r in runs})
    pair = runs[0].pair
    first = next((c for c in calls if c.places[0] == pair[0] and c.lat is not None), None)
    observed = sum(c.observed for c in calls)
    observed_fraction = round(observed / len(calls), 3)
    trips = sum(r.trips for r in runs)
    trip_days = [round((b[0].start - max(c.last for c in a)).total_seconds() / 86400, 2)
                 for r in runs for a, b in zip(r.stays, r.stays[1:], strict=False)]
    attrs = {
        "places": list(pair), "vessels": vessels, "trips": trips, "round_trips": trips // 2,
        "per_vessel_trips": {str(r.mmsi): r.trips for r in runs},
        "trip_days": trip_days, "observed_calls": observed,
        "inferred_calls": len(calls) - observed,
        "observed_fraction": observed_fraction,
        "calls": [_call_dict(c) for c in calls],
    }
    return Event(EventKind.SHUTTLE, vessels[0], min(r.start for r in runs),
                 max(r.end for r in runs), other_mmsi=vessels[1] if len(vessels) > 1 else None,
                 lat=first.lat if first else None, lon=first.lon if first else None,
                 place_id=pair[0], confidence=observed_fraction, attrs=attrs)


def _groups(runs: list[_Run], params: ShuttleParams) -> list[list[_Run]]:
    """Runs of different vessels on one pair whose spans overlap or nearly touch."""
    out: list[list[_Run]] = []
    by_pair: dict[tuple[str, str], list[_Run]] = {}
    for run in runs:
        if run.trips >= params.min_group_vessel_trips:
            by_pair.setdefault(run.pair, []).append(run)
    for pair_runs in by_pair.values():
        pair_runs.sort(key=lambda r: r.start)
        cluster: list[_Run] = []
        cluster_end: datetime | None = None
        for run in pair_runs:
            near = cluster_end is not None and (
                run.start - cluster_end).total_seconds() / 86400 <= params.max_trip_d
            if cluster and not near:
                out.append(cluster)
                cluster = []
            cluster.append(run)
            cluster_end = run.end if cluster_end is None or not near else max(cluster_end,
                                                                              run.end)
        if cluster:
            out.append(cluster)
    return [g for g in out if 1 < len({r.mmsi for r in g}) <= params.max_group_vessels
            and sum(r.trips for r in g) >= params.min_trips]


def _vessels(calls: Sequence[Call]) -> dict[tuple[int, int | None], list[Call]]:
    """Calls per vessel: per MMSI and identity segment; a call without a segment (a dark call)
    goes with the segment most of its MMSI's calls are on."""
    by_mmsi: dict[int, list[Call]] = {}
    for call in calls:
        by_mmsi.setdefault(call.mmsi, []).append(call)
    out: dict[tuple[int, int | None], list[Call]] = {}
    for mmsi, own in by_mmsi.items():
        counts = Counter(c.segment for c in own if c.segment is not None)
        main = min(counts, key=lambda s: (-counts[s], s)) if counts else None
        for call in own:
            key = (mmsi, call.segment if call.segment is not None else main)
            out.setdefault(key, []).append(call)
    return out


def runs_by_vessel(calls: Sequence[Call], params: ShuttleParams
                   ) -> list[tuple[tuple[int, int], list[_Run]]]:
    """Per vessel (MMSI, identity segment or -1), in that order, its runs of trips between two
    places (those with a firm call at both), in place-pair order."""
    out = []
    by_vessel = _vessels(calls)
    for vessel in sorted(by_vessel, key=lambda v: (v[0], -1 if v[1] is None else v[1])):
        own = _resolve(sorted(by_vessel[vessel], key=lambda c: (c.start, c.event_id)))
        runs: list[_Run] = []
        for pair in sorted(_pairs(own, params)):
            runs += [r for r in _runs(own, pair, params) if _supported(r)]
        out.append(((vessel[0], -1 if vessel[1] is None else vessel[1]), runs))
    return out


def vessel_runs(calls: Sequence[Call], params: ShuttleParams) -> list[_Run]:
    """Every vessel's runs (`runs_by_vessel`), one list in that order: what `shuttle_events`
    makes events of."""
    return [r for _, runs in runs_by_vessel(calls, params) for r in runs]


def shuttle_events(runs: list[_Run], params: ShuttleParams) -> list[Event]:
    """Shuttle events of `vessel_runs`: each run long enough alone, and each group of runs
    on one pair. Groups never span two pairs, so the runs of one pair (in their
    `vessel_runs` order) give that pair's events wherever they are judged."""
    events = [_event([r]) for r in runs if r.trips >= params.min_trips]
    events += [_event(g) for g in _groups(runs, params)]
    return sorted(events, key=lambda e: (e.start, e.mmsi, e.place_id or ""))


def detect_shuttles(calls: Sequence[Call], params: ShuttleParams) -> list[Event]:
    """Shuttle events: one per vessel run of at least `min_trips` trips between two places,
    and one per group of vessels sharing a pair of places (module docstring)."""
    return shuttle_events(vessel_runs(calls, params), params)
