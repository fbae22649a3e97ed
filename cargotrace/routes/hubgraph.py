"""The per-query hub graph: an arrival and a departure node per (hub, mode), edges in hours.

Moves go from a hub's departure node to another hub's arrival node, and are direct: within one
mode every pair of hubs that can reach each other is joined by its shortest physical path. There
is no edge from an arrival node back to the same mode's departure node, so a route cannot "pass
through" a hub: it leaves an arrival node only to change mode (a `transfer`), to cross a border
(`crossing`, from one side's arrival node to the other side's departure node), to reach the end,
or at a via place. Alternatives found by Yen's algorithm therefore differ in substance (ports,
crossings, modes), never in which hubs a leg happens to pass.

Edge kinds: `move` (a physical path between two hubs in one mode), `crossing` (a curated border
crossing: its dwell plus the border edge), `transfer` (change of mode at a hub: its dwell),
`start` (getting the cargo moving at the origin), `via` (joins the copies of the graph made for
each segment between via places) and `end`. Weights are mean hours, so the k best routes are the
k fastest in expectation.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np

from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.routes.chokepoints import curated_chokepoints
from cargotrace.routes.crossings import curated_ferries
from cargotrace.routes.network import Hub, RouteNetwork
from cargotrace.routes.params import RouteParams
from cargotrace.routes.road import road_leg
from cargotrace.routes.timing import TimeDist

__all__ = ["Dwells", "HubGraph", "moving_time"]



def moving_time(mode: str, km: float, p: RouteParams) -> TimeDist:
    """Distance / speed, lognormal between the typical (P50) and slow (P90) speeds."""
    typical, slow = {
        "sea": (p.sea_speed_typical_kn * KM_PER_NM, p.sea_speed_slow_kn * KM_PER_NM),
        "ferry": (p.ferry_speed_typical_kn * KM_PER_NM, p.ferry_speed_slow_kn * KM_PER_NM),
        "rail": (p.rail_speed_typical_kmh, p.rail_speed_slow_kmh),
        "road": (p.road_speed_typical_kmh, p.road_speed_slow_kmh),
    }[mode]
    if km <= 0:
        return TimeDist.zero()
    return TimeDist.from_p50_p90(km / typical, km / slow)


@dataclass(frozen=True)
class Dwells:
    """Dwell at the start of a leg, from the mode arrived by (None at the origin) to the next."""

    p: RouteParams

    def between(self, prev: str | None, nxt: str) -> tuple[str, TimeDist]:
        p = self.p
        if nxt == "ferry":
            return "ferry_wait", TimeDist.from_p50_p90(p.ferry_wait_p50_h, p.ferry_wait_p90_h)
        if prev is None:
            kind, p50, p90 = {
                "sea": ("load", p.sea_load_p50_h, p.sea_load_p90_h),
                "rail": ("rail_start", p.rail_start_p50_h, p.rail_start_p90_h),
                "road": ("road_handling", p.road_handling_p50_h, p.road_handling_p90_h),
            }[nxt]
            return kind, TimeDist.from_p50_p90(p50, p90)
        if "sea" in (prev, nxt):
            return "transfer", TimeDist.from_p50_p90(p.transfer_p50_h, p.transfer_p90_h)
        if nxt == "rail":
            return "rail_start", TimeDist.from_p50_p90(p.rail_start_p50_h, p.rail_start_p90_h)
        return "road_handling", TimeDist.from_p50_p90(p.road_handling_p50_h,
                                                      p.road_handling_p90_h)


class HubGraph:
    """Builds the single-segment graph; `layered()` chains copies for via places."""

    def __init__(self, net: RouteNetwork, hubs: list[Hub], params: RouteParams,
                 modes: frozenset[str], avoid: frozenset[str]) -> None:
        self.net, self.params, self.modes, self.avoid = net, params, modes, avoid
        self.hubs = {h.key: h for h in hubs}
        self.dwells = Dwells(params)
        self.closed = frozenset(c.marnet_passage for c in curated_chokepoints()
                                if c.country in avoid and c.marnet_passage)
        self.g = nx.DiGraph()
        self.modes_at: dict[str, set[str]] = {}
        self._build()

    def _node(self, key: str, mode: str) -> str:
        """Register `mode` at hub `key`; returns the name prefix of its two nodes."""
        self.modes_at.setdefault(key, set()).add(mode)
        return f"{key}|{mode}"

    def _move(self, a_key: str, b_key: str, mode: str, time: TimeDist, kind: str = "move",
              **attrs: Any) -> None:
        self._edge(f"{a_key}|{mode}|out", f"{b_key}|{mode}|in", kind, time, mode=mode,
                   hub_a=a_key, hub_b=b_key, **attrs)

    def _edge(self, a: str, b: str, kind: str, time: TimeDist, **attrs: Any) -> None:
        self.g.add_edge(a, b, kind=kind, w=time.mean_h, time=time, **attrs)

    def _build(self) -> None:
        rail_points: list[tuple[str, int, float]] = []  # (key, node, gap km to add)
        sea_hubs: list[Hub] = []
        rail_ok = "rail" in self.modes
        for hub in self.hubs.values():
            if hub.sea and "sea" in self.modes:
                self._node(hub.key, "sea")
                sea_hubs.append(hub)
            if hub.rail_node is None or not rail_ok:
                continue
            if hub.connector:
                km = hub.rail_gap_km * self.params.road_detour_factor
                self._node(hub.key, "road")
                self._node(hub.railhead_key, "road")
                for a, b in ((hub.key, hub.railhead_key), (hub.railhead_key, hub.key)):
                    self._move(a, b, "road", moving_time("road", km, self.params), km=km)
                self._node(hub.railhead_key, "rail")
                rail_points.append((hub.railhead_key, hub.rail_node, 0.0))
            else:
                self._node(hub.key, "rail")
                rail_points.append((hub.key, hub.rail_node, hub.rail_gap_km))
        self._rail_moves(rail_points)
        if "road" in self.modes:
            self._road_moves()
        self._crossings()
        self._sea_moves(sea_hubs)
        self._ferries()
        self._transfers()

    def _rail_moves(self, points: list[tuple[str, int, float]]) -> None:
        rail = self.net.rail
        by_country: dict[str, list[tuple[str, int, float]]] = {}
        for point in points:
            country = str(rail.data.country[point[1]])
            if country not in self.avoid:
                by_country.setdefault(country, []).append(point)
        for group in by_country.values():
            nodes = np.array([p[1] for p in group])
            gaps = np.array([p[2] for p in group])
            d = np.array([rail.distances_from(int(n))[nodes] for n in nodes])
            d = d + gaps[:, None] + gaps[None, :]
            for i, j in itertools.permutations(range(len(group)), 2):
                km = float(d[i, j])
                if math.isfinite(km):
                    self._move(group[i][0], group[j][0], "rail",
                               moving_time("rail", km, self.params), km=km,
                               nodes=(group[i][1], group[j][1]))

    def _road_moves(self) -> None:
        """Trucks between every two hubs within the road model's reach (routes/road.py); rail
        border crossings (their sides, and places of kind border_crossing) are not road hubs."""
        hubs = [h for h in self.hubs.values() if not h.key.startswith("x:")
                and not (h.place is not None and str(h.place.kind) == "border_crossing")
                and h.country not in self.avoid]
        for a, b in itertools.permutations(hubs, 2):
            leg = road_leg(a.lat, a.lon, b.lat, b.lon, a.country != b.country,
                           self.params.road)
            if leg is None or leg.great_circle_km <= 0:
                continue
            self._node(a.key, "road")
            self._node(b.key, "road")
            time = leg.moving if leg.border is None else leg.moving + leg.border
            self._move(a.key, b.key, "road", time, km=leg.distance_km, road_leg=leg)

    def _crossings(self) -> None:
        for link in self.net.rail.crossings:
            c = link.crossing
            if c.country_a in self.avoid or c.country_b in self.avoid:
                continue
            a, b = f"x:{c.crossing_id}:a", f"x:{c.crossing_id}:b"
            if a not in self.hubs or b not in self.hubs or "rail" not in self.modes:
                continue
            dwell = TimeDist.from_p50_p90(c.dwell_p50_h, c.dwell_p90_h)
            move = moving_time("rail", link.length_km, self.params)
            for x, y, nodes in ((a, b, (link.node_a, link.node_b)),
                                (b, a, (link.node_b, link.node_a))):
                self._edge(f"{x}|rail|in", f"{y}|rail|out", "crossing", move + dwell,
                           mode="rail", km=link.length_km, hub_a=x, hub_b=y, nodes=nodes,
                           crossing=c, dwell=dwell, moving=move)

    def _sea_moves(self, hubs: list[Hub]) -> None:
        sea = self.net.sea
        d = np.array([[0.0 if a is b else sea.distance_km((a.lat, a.lon), (b.lat, b.lon),
                                                          self.closed)
                       for b in hubs] for a in hubs]) if hubs else np.zeros((0, 0))
        for i, j in itertools.permutations(range(len(hubs)), 2):
            km = float(d[i, j])
            if math.isfinite(km):
                self._move(hubs[i].key, hubs[j].key, "sea", moving_time("sea", km, self.params),
                           km=km)

    def _ferries(self) -> None:
        if not ({"sea", "ferry"} & self.modes):
            return
        for ferry in curated_ferries():
            a, b = self.hubs.get(ferry.from_place), self.hubs.get(ferry.to_place)
            if a is None or b is None or {a.country, b.country} & self.avoid:
                continue
            km = self.net.sea.distance_km((a.lat, a.lon), (b.lat, b.lon), self.closed)
            if not math.isfinite(km):
                continue
            for x, y in ((a, b), (b, a)):
                self._node(x.key, "ferry")
                self._move(x.key, y.key, "ferry", moving_time("ferry", km, self.params), km=km,
                           service=ferry.service)

    def _transfers(self) -> None:
        for key, modes in self.modes_at.items():
            for m1 in modes:
                for m2 in modes:
                    if m1 != m2:
                        kind, time = self.dwells.between(m1, m2)
                        self._edge(f"{key}|{m1}|in", f"{key}|{m2}|out", "transfer", time,
                                   dwell_kind=kind, hub=key, to_mode=m2)

    def layered(self, stops: list[str]) -> nx.DiGraph:
        """Copies of the graph, one per segment between consecutive `stops` (place ids)."""
        g = nx.DiGraph()
        segments = len(stops) - 1
        for i in range(segments):
            for a, b, data in self.g.edges(data=True):
                g.add_edge(f"{a}#{i}", f"{b}#{i}", **data)
        for mode in self.modes_at.get(stops[0], ()):
            kind, time = self.dwells.between(None, mode)
            g.add_edge("ORIGIN", f"{stops[0]}|{mode}|out#0", kind="start", w=time.mean_h,
                       time=time, dwell_kind=kind, hub=stops[0], to_mode=mode)
        for i, key in enumerate(stops[1:-1], start=1):
            for mode in self.modes_at.get(key, ()):
                # carry on in the same mode, or change mode (the transfer is in segment i - 1)
                g.add_edge(f"{key}|{mode}|in#{i - 1}", f"{key}|{mode}|out#{i}", kind="via",
                           w=0.0)
                g.add_edge(f"{key}|{mode}|out#{i - 1}", f"{key}|{mode}|out#{i}", kind="via",
                           w=0.0)
        for mode in self.modes_at.get(stops[-1], ()):
            g.add_edge(f"{stops[-1]}|{mode}|in#{segments - 1}", "DEST", kind="end", w=0.0)
        return g
