"""Possible dark port calls: the watched ports a vessel could have called at, unseen, during
one of its AIS gaps.

Why one event per silence, not per port: the silence is the finding and the ports are its
possible explanations. The event names the port with the shortest detour (the most direct
explanation) and lists every port that fits in `attrs.candidates`, shortest detour first; an
analyst filtering by port finds it under any of them (`cargotrace.cases` does).

Why the vessel's own speed, not the fastest any ship sails: at 20 kn almost every long silence
near a coast "could hide" a call, and the signal drowns. A ship seen sailing at 11 kn before and
after its silence is assumed to have sailed at most `speed_margin` faster while silent.

Why the distances are over water: along great circles, a port behind a peninsula looks close
(Busan to Nakhodka across Korea). A leg whose great circle crosses land (sampled every
`LAND_STEP_KM`, the `LAND_EXEMPT_KM` at its ends excepted: ports lie on the coast) is measured
along the MARNET sea lanes instead (`geo/sealanes.py`), never shorter than the great circle.

Why the passage counts too: a call needs the detour via the place, and the vessel needs at least
its passage from where it went silent to where it reappeared, measured the same way (a great
circle over open water, the lanes round land): whichever is longer must fit. Ships are not
assumed to follow the sea lanes over open water (MARNET's sparse nodes there are no evidence
of a route), so a silence the lanes would fill but a straight crossing would not is a possible
call (the simulator's ships cross open water straight too: `sim/sea_paths.py`).

A gap inside a port visit (the vessel seen in the same port before and after it: moored with
its transponder off) is no possible call elsewhere; nor is a place the vessel is seen visiting
just before or after the gap (`seen_call_window_h`): that call was seen.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import pyarrow as pa

from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import GapParams
from cargotrace.geo import landmask, sphere
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.events import Event

__all__ = ["dark_port_calls", "leg_km", "passage_km", "plausible_speed_kn"]

LAND_STEP_KM = 2.0
"""Spacing of the points at which a great-circle leg is checked for land (the mask's cells are
about 1 km)."""
LAND_EXEMPT_KM = 8.0
"""Land within this distance of a leg's ends is ignored: ports, and ships at anchor off them,
often fall on a land cell of the mask (geo/landmask.py)."""

LatLon = tuple[float, float]


@dataclass(frozen=True)
class _Watched:
    """The watched places ships call at, with their coordinates as arrays for the great-circle
    prefilter (one vectorised distance per gap instead of one per place)."""

    places: list[dict[str, Any]]
    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def of(cls, places: pa.Table, params: GapParams) -> _Watched:
        watched = [p for p in places.to_pylist()
                   if p.get("watch_reason") and p.get("kind") in params.call_kinds]
        return cls(watched, np.array([p["lat"] for p in watched], dtype=np.float64),
                   np.array([p["lon"] for p in watched], dtype=np.float64))

    def within_great_circles(self, start: LatLon, end: LatLon, km: float) -> list[dict[str, Any]]:
        """The places whose detour along great circles fits in `km`: a lower bound of the
        sailing detour, so a place out of reach by them is out of reach."""
        gc_km = (sphere.haversine_km(*start, self.lat, self.lon)
                 + sphere.haversine_km(*end, self.lat, self.lon))
        return [self.places[int(i)] for i in np.flatnonzero(gc_km <= km)]


@dataclass(frozen=True)
class _Budget:
    """What the vessel could sail while silent: at `speed_kn` (on `basis`, see
    `plausible_speed_kn`) for the gap less the port stay, `km`; `passage_km` of it it needed
    anyway to get from where it went silent to where it reappeared."""

    speed_kn: float
    basis: str
    km: float
    passage_km: float


def dark_port_calls(
    gaps: list[Event], places: pa.Table, params: GapParams, visits: Sequence[Event] = (),
) -> list[Event]:
    """One event per closed gap in which the vessel could have sailed from where it went silent
    to a watched place of a kind ships call at (`call_place_kinds`), stayed `min_port_stay_h`,
    and sailed on to where it reappeared, at its plausible speed (`plausible_speed_kn`)."""
    watched = _Watched.of(places, params)
    if not watched.places or not gaps:
        return []
    visits_by_mmsi: dict[int, list[Event]] = {}
    for visit in visits:
        visits_by_mmsi.setdefault(visit.mmsi, []).append(visit)
    calls = (_possible_call(gap, watched, visits_by_mmsi.get(gap.mmsi, []), params)
             for gap in gaps)
    return [call for call in calls if call is not None]


def dark_port_calls_from_rows(rows: pa.Table, places: pa.Table, params: GapParams
                              ) -> list[Event]:
    """`dark_port_calls` over event rows (`EVENT_SCHEMA`: one or more whole vessels' gaps and
    port visits), as Spark's executors hold them (`on_executors.py`): a gap's call depends on
    its own vessel's visits only, so each partition of vessels gives the driver's share."""
    from cargotrace.detect.on_executors import events_from_rows

    events = events_from_rows(rows)
    gaps = [e for e in events if e.kind == EventKind.GAP]
    visits = [e for e in events if e.kind == EventKind.PORT_VISIT]
    return dark_port_calls(gaps, places, params, visits)


def _possible_call(
    gap: Event, watched: _Watched, own_visits: list[Event], params: GapParams,
) -> Event | None:
    """The gap's possible dark port call, or None: an open gap, one spent at a berth, one too
    short for the passage and a stay, or one with no unseen watched place in reach."""
    if gap.end is None or gap.attrs["end_lat"] is None:
        return None
    assert gap.lat is not None and gap.lon is not None
    if any(_spans(v, gap) for v in own_visits):
        return None  # silent at its berth: the port visit spans the gap
    start, end = (gap.lat, gap.lon), (gap.attrs["end_lat"], gap.attrs["end_lon"])
    speed_kn, basis = plausible_speed_kn(gap.attrs, params)
    budget_km = (gap.attrs["duration_h"] - params.min_port_stay_h) * speed_kn * KM_PER_NM
    in_reach = watched.within_great_circles(start, end, budget_km)
    if not in_reach:
        return None
    passage = passage_km(start, end)
    if passage > budget_km:
        return None  # the passage alone takes the whole silence: no time for a call
    seen = _seen_places(own_visits, gap, params.seen_call_window_h)
    budget = _Budget(speed_kn, basis, budget_km, passage)
    fits = _fitting_places(start, end, [p for p in in_reach if p["place_id"] not in seen], budget)
    return _call_event(gap, fits, budget) if fits else None


def _fitting_places(
    start: LatLon, end: LatLon, places: list[dict[str, Any]], budget: _Budget,
) -> list[dict[str, Any]]:
    """The places whose sailing detour (`leg_km` there and on) fits the budget, shortest detour
    first, each with its detour and the hours to spare (`_place`: the place itself)."""
    fits = []
    lanes_from_start, lanes_to_end = _LanesFrom(start, budget.km), _LanesFrom(end, budget.km)
    for place in places:
        at = (float(place["lat"]), float(place["lon"]))
        detour_km = (_leg_via(start, at, lanes_from_start, at_start=True)
                     + _leg_via(at, end, lanes_to_end, at_start=False))
        if detour_km <= budget.km:
            slack_h = (budget.km - max(detour_km, budget.passage_km)) / KM_PER_NM / budget.speed_kn
            fits.append({"place_id": place["place_id"], "detour_km": round(detour_km, 1),
                         "slack_h": round(slack_h, 2), "_place": place})
    fits.sort(key=lambda f: (f["detour_km"], f["place_id"]))
    return fits


def _call_event(gap: Event, fits: list[dict[str, Any]], budget: _Budget) -> Event:
    """The event: at the place with the shortest detour, every fitting place its candidate;
    confident as the share of the silence to spare there, weighed by how much the feed heard."""
    assert gap.end is not None
    duration_h = gap.attrs["duration_h"]
    best = fits[0]["_place"]
    candidates = [{k: v for k, v in f.items() if k != "_place"} for f in fits]
    return Event(
        EventKind.POSSIBLE_DARK_PORT_CALL, gap.mmsi, gap.start, gap.end,
        lat=best["lat"], lon=best["lon"], place_id=best["place_id"],
        confidence=round(min(1.0, candidates[0]["slack_h"] / duration_h)
                         * _observed_share(gap), 3),
        attrs={"detour_km": candidates[0]["detour_km"], "slack_h": candidates[0]["slack_h"],
               "gap_duration_h": duration_h, "speed_kn": round(budget.speed_kn, 2),
               "speed_basis": budget.basis, "passage_km": round(budget.passage_km, 1),
               "n_candidates": len(candidates),
               "gap_unobserved_h": gap.attrs.get("unobserved_h", 0.0),
               "candidates": candidates},
    )


def _observed_share(gap: Event) -> float:
    """The share of the gap the feed observed (`coverage.py`): a call hidden in hours the feed
    was quiet is no more likely than one in hours it heard, but the silence around it is less
    the vessel's doing, so the finding weighs less."""
    duration_h = gap.attrs["duration_h"]
    unobserved_h = gap.attrs.get("unobserved_h", 0.0)
    return 1.0 if duration_h <= 0 else max(0.0, 1.0 - unobserved_h / duration_h)


def plausible_speed_kn(gap_attrs: dict[str, Any], params: GapParams) -> tuple[float, str]:
    """The fastest the vessel is believed to have sailed while silent, and on what basis: its
    mean sailing speed before or after the gap (the higher) times `speed_margin`, at most
    `max_speed_kn` ("own_speed"); `max_speed_kn` when it was not seen sailing on either side or
    the margin reaches the cap ("max_speed_kn")."""
    own = [s for s in (gap_attrs.get("sog_before_kn"), gap_attrs.get("sog_after_kn"))
           if s is not None and s > 0]
    if not own or params.speed_margin * max(own) >= params.max_speed_kn:
        return params.max_speed_kn, "max_speed_kn"
    return params.speed_margin * max(own), "own_speed"


def leg_km(a: LatLon, b: LatLon) -> float:
    """Sailing distance from a to b: the great circle when it stays on water, else the MARNET
    sea lanes (never less than the great circle)."""
    gc = float(sphere.haversine_km(a[0], a[1], b[0], b[1]))
    if not _crosses_land(a, b):
        return gc
    return max(gc, _lanes_km(a, b))


class _LanesFrom:
    """Sea-lane distances from one of a gap's ends to every MARNET node within `cutoff_km`,
    searched once when a leg first needs the lanes (`_leg_via`).

    Why: a gap has one start and one end but up to hundreds of candidate places in reach (a
    real store with the default gazetteer); a search between the two ends per place (`_lanes_km`,
    ~0.08 s) cost minutes per run, one search per end costs the same as a single one. A node
    beyond the cutoff cannot lie on a fitting leg: the leg is at least its lanes part, and the
    detour at least the leg, so such a place's detour exceeds the budget either way."""

    def __init__(self, point: LatLon, cutoff_km: float) -> None:
        self.point, self.cutoff_km = point, cutoff_km
        self._dist: dict[Any, float] | None = None
        self.node: Any = None  # this end's nearest MARNET node, set with the search

    def lanes_km(self, node: Any) -> float:
        """Along the lanes from this end's nearest node to `node`; inf beyond the cutoff."""
        if self._dist is None:
            graph, snap = _lanes()
            self.node = snap(self.point)
            self._dist = nx.single_source_dijkstra_path_length(
                graph, self.node, cutoff=self.cutoff_km, weight="weight")
        return self._dist.get(node, math.inf)


def _leg_via(a: LatLon, b: LatLon, lanes: _LanesFrom, at_start: bool) -> float:
    """`leg_km(a, b)` with the lanes searched from the gap's end `lanes` holds (a when
    `at_start`, else b), the same terms summed in the same order as `_lanes_km`."""
    gc = float(sphere.haversine_km(a[0], a[1], b[0], b[1]))
    if not _crosses_land(a, b):
        return gc
    _, snap = _lanes()
    other = snap(b) if at_start else snap(a)
    along = lanes.lanes_km(other)
    if math.isinf(along):
        return math.inf  # unconnected, or too far along the lanes to fit the budget
    na, nb = (lanes.node, other) if at_start else (other, lanes.node)
    return max(gc, float(sphere.haversine_km(a[0], a[1], na[1], na[0]) + along
                         + sphere.haversine_km(nb[1], nb[0], b[0], b[1])))


def passage_km(a: LatLon, b: LatLon) -> float:
    """The shortest passage from a to b the vessel could have sailed: `leg_km`."""
    return leg_km(a, b)


def _crosses_land(a: LatLon, b: LatLon) -> bool:
    km = float(sphere.haversine_km(a[0], a[1], b[0], b[1]))
    n = int(km // LAND_STEP_KM) + 2
    ends = sphere.to_unit(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    lat, lon = sphere.from_unit(sphere.slerp(np.repeat(ends[:1], n, axis=0),
                                             np.repeat(ends[1:], n, axis=0),
                                             np.linspace(0.0, 1.0, n)))
    along = np.linspace(0.0, km, n)
    inner = (along > LAND_EXEMPT_KM) & (along < km - LAND_EXEMPT_KM)
    return bool(landmask.is_land(lat[inner], lon[inner]).any())


def _lanes_km(a: LatLon, b: LatLon) -> float:
    """Along MARNET: straight to the nearest node, the lanes, straight from the last node (as
    `SeaNetwork.distance_km`, but searched from both ends: a gap's ends are new points every
    time, and a whole-network search from each would cost 0.1-0.3 s); inf when unconnected."""
    graph, snap = _lanes()
    na, nb = snap(a), snap(b)
    try:
        lanes, _ = nx.bidirectional_dijkstra(graph, na, nb, weight="weight")
    except nx.NetworkXNoPath:
        return math.inf
    return float(sphere.haversine_km(a[0], a[1], na[1], na[0]) + lanes
                 + sphere.haversine_km(nb[1], nb[0], b[0], b[1]))


@functools.cache
def _lanes() -> tuple[Any, Callable[[LatLon], tuple[float, float]]]:
    from cargotrace.geo.sealanes import SeaNetwork  # loaded when first needed (~0.1 s)

    network = SeaNetwork()
    return network.graph, lambda at: network.snap(at[0], at[1])


def _spans(visit: Event, gap: Event) -> bool:
    """The visit began before the gap and ended after it (or is still open): the vessel was in
    that port on both sides of its silence (port visits count in-port silences as stays)."""
    assert gap.end is not None
    return visit.start <= gap.start and (visit.end is None or visit.end >= gap.end)


def _seen_places(visits: list[Event], gap: Event, window_h: float) -> set[str]:
    """Places of the vessel's visits that touch the `window_h` before or after the gap."""
    assert gap.end is not None
    window = timedelta(hours=window_h)
    lo, hi = gap.start - window, gap.end + window
    return {v.place_id for v in visits if v.place_id is not None
            and v.start <= hi and (v.end is None or v.end >= lo)}
