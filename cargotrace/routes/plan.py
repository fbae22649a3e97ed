"""The k best multimodal routes between two places, by expected transit time.

`plan_routes` resolves the places, builds the hub graph (`hubgraph.py`) and runs Yen's k shortest
simple paths (networkx `shortest_simple_paths`) on it, keeping only routes that differ in their
legs (mode, end points, crossings): two hub paths that merge into the same legs are one route.
Each route is then rebuilt from the physical networks: rail paths node by node, sea paths on
MARNET, with chokepoints, countries, crossings and the time model attached.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np

from cargotrace.errors import NotFoundError, ParamsError
from cargotrace.routes.chokepoints import chokepoints_on
from cargotrace.routes.countries import parse_country
from cargotrace.routes.hubgraph import HubGraph, moving_time
from cargotrace.routes.interdiction import interdiction_summary, international_waters_km
from cargotrace.routes.model import Leg, Route, Stop
from cargotrace.routes.network import Hub, RouteNetwork, hubs_for
from cargotrace.routes.params import MODES, RouteParams
from cargotrace.routes.place_book import PlaceBook, curated_places, places_of
from cargotrace.routes.timing import TimeDist, total
from cargotrace.store.places import Place
from cargotrace.store.store import Store

__all__ = ["DEFAULT_MODES", "plan_routes"]

logger = logging.getLogger(__name__)

DEFAULT_MODES = ("sea", "rail", "ferry")


def parse_modes(modes: Sequence[str] | str) -> frozenset[str]:
    items = modes.split(",") if isinstance(modes, str) else list(modes)
    chosen = frozenset(m.strip().lower() for m in items if m.strip())
    unknown = chosen - set(MODES)
    if unknown or not chosen:
        raise ParamsError(f"--modes: {', '.join(sorted(unknown)) or 'nothing'} is not a mode; "
                          f"use a comma-separated list of {', '.join(MODES)}")
    return chosen


def plan_routes(
    places: PlaceBook | Sequence[Place] | Store | None,
    origin: str | Place,
    destination: str | Place,
    *,
    via: Sequence[str | Place] = (),
    modes: Sequence[str] | str = DEFAULT_MODES,
    avoid: Sequence[str] = (),
    k: int = 5,
    params: RouteParams | None = None,
    network: RouteNetwork | None = None,
    international_waters: bool = True,
) -> list[Route]:
    """The k fastest distinct routes (by mean time) from `origin` to `destination`.

    `places` resolves names and aliases (a store, a PlaceBook, a list of places, or None for the
    curated gazetteer). `via` places are visited in order; `avoid` takes ISO2 codes or names.
    Raises NotFoundError/ParamsError for unknown or ambiguous places, and NotFoundError when no
    route exists under the constraints.
    """
    if k < 1:
        raise ParamsError(f"-k: must be at least 1, not {k}")
    params = params or RouteParams()
    book = places_of(places)
    stops = [_place(book, p) for p in (origin, *via, destination)]
    if len({p.place_id for p in stops}) < len(stops):
        raise ParamsError("origin, via and destination must be different places")
    chosen = parse_modes(modes)
    avoided = frozenset(parse_country(a) for a in avoid)
    for p in stops:
        if p.country in avoided:
            raise ParamsError(f"{p.name} is in {p.country}, which --avoid excludes")
    net = network or RouteNetwork.load(params)
    keys = {p.place_id for p in stops}
    hubs = [h for h in hubs_for(net, [*stops, *curated_places()], params)
            if h.key in keys or h.country not in avoided]
    graph = HubGraph(net, hubs, params, chosen, avoided)
    layered = graph.layered([p.place_id for p in stops])
    if "ORIGIN" not in layered or "DEST" not in layered:
        raise NotFoundError(_unreachable(stops, graph, chosen))
    routes: list[Route] = []
    seen: set[tuple[Any, ...]] = set()
    builder = _Builder(net, graph, params, international_waters)
    try:
        paths = nx.shortest_simple_paths(layered, "ORIGIN", "DEST", weight="w")
        for path in itertools.islice(paths, params.max_candidates):
            edges = [layered.edges[a, b] for a, b in itertools.pairwise(path)]
            signature = _signature(edges)
            if signature in seen:
                continue
            seen.add(signature)
            routes.append(builder.route(len(routes) + 1, edges, stops))
            if len(routes) == k:
                break
    except nx.NetworkXNoPath:
        pass
    if not routes:
        raise NotFoundError(_unreachable(stops, graph, chosen))
    return routes


def _place(book: PlaceBook, value: str | Place) -> Place:
    return value if isinstance(value, Place) else book.resolve(value)


def _unreachable(stops: list[Place], graph: HubGraph, modes: frozenset[str]) -> str:
    names = " → ".join(p.name for p in stops)
    missing = [p.name for p in stops if not graph.modes_at.get(p.place_id)]
    why = (f"; {', '.join(missing)} is on no network for modes {','.join(sorted(modes))}"
           if missing else "")
    return f"no route {names} under these constraints{why}"


def _signature(edges: list[dict[str, Any]]) -> tuple[Any, ...]:
    legs: list[Any] = []
    for e in edges:
        if e["kind"] in ("move", "crossing"):
            if legs and legs[-1][0] == e["mode"] and not isinstance(legs[-1], str):
                legs[-1] = (e["mode"], legs[-1][1], e["hub_b"],
                            legs[-1][3] + ((e["crossing"].crossing_id,) if "crossing" in e
                                           else ()))
            else:
                legs.append((e["mode"], e["hub_a"], e["hub_b"],
                             (e["crossing"].crossing_id,) if "crossing" in e else ()))
        elif e["kind"] == "via":
            legs.append("via")
    return tuple(legs)


@dataclass
class _Open:
    mode: str
    stops: list[Stop]
    moves: list[dict[str, Any]] = field(default_factory=list)


class _Builder:
    def __init__(self, net: RouteNetwork, graph: HubGraph, params: RouteParams,
                 waters: bool) -> None:
        self.net, self.graph, self.params, self.waters = net, graph, params, waters

    def _name(self, key: str) -> str:
        hub = self.graph.hubs.get(key.removesuffix("~railhead"))
        if hub is None:
            return key
        return f"{hub.name} railhead" if key.endswith("~railhead") else hub.name

    def route(self, rank: int, edges: list[dict[str, Any]], stops: list[Place]) -> Route:
        legs: list[Leg] = []
        pending: list[Stop] = []
        current: _Open | None = None
        for e in edges:
            kind = e["kind"]
            if kind in ("start", "transfer"):
                if current is not None:
                    legs.append(self._leg(current))
                    current = None
                pending.append(Stop(e["dwell_kind"], self._name(e["hub"]), e["time"]))
            elif kind in ("via", "end"):
                if current is not None:
                    legs.append(self._leg(current))
                    current = None
            else:
                if current is None or current.mode != e["mode"]:
                    if current is not None:
                        legs.append(self._leg(current))
                    current, pending = _Open(e["mode"], pending), []
                current.moves.append(e)
        if current is not None:
            legs.append(self._leg(current))
        summary = interdiction_summary(tuple(legs), stops[0].country or "",
                                       stops[-1].country or "")
        return Route(rank, tuple(legs), summary,
                     (stops[0].country or "", stops[-1].country or ""))

    def _leg(self, o: _Open) -> Leg:
        rail = self.net.rail
        data = rail.data
        coords: list[tuple[float, float]] = []
        countries: list[str] = []
        stops = list(o.stops)
        crossings = []
        road_moving: list[TimeDist] = []
        km = 0.0
        note = ""
        for e in o.moves:
            km += e["km"]
            a, b = self.graph.hubs.get(e["hub_a"].removesuffix("~railhead")), self.graph.hubs.get(
                e["hub_b"].removesuffix("~railhead"))
            if e["mode"] == "rail":
                nodes = rail.path(*e["nodes"]) if e["kind"] == "move" else list(e["nodes"])
                idx = np.asarray(nodes)
                coords += list(zip(data.lon[idx].tolist(), data.lat[idx].tolist(), strict=True))
                countries += [str(c) for c in data.country[idx]]
                if e["kind"] == "crossing":
                    crossings.append(e["crossing"])
                    stops.append(Stop("border", e["crossing"].name, e["dwell"], e["crossing"]))
            elif a is not None and b is not None:
                if e["mode"] == "road":
                    part, note = self._road(e, a, b, stops, road_moving)
                    coords += part
                else:
                    path = self.net.sea.path((a.lat, a.lon), (b.lat, b.lon), self.graph.closed)
                    coords += list(path.coords)
                countries += [a.country, b.country]
        coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
        first, last = o.moves[0], o.moves[-1]
        lat = np.array([c[1] for c in coords])
        lon = np.array([c[0] for c in coords])
        chokepoints = tuple(chokepoints_on(lat, lon)) if o.mode in ("sea", "ferry") else ()
        for c in chokepoints:
            if c.country:
                countries.insert(-1, c.country)
        waters = None
        if self.waters and o.mode in ("sea", "ferry"):
            waters = international_waters_km(tuple(coords), self.params.territorial_sea_nm)
        if o.mode == "ferry":
            note = f"ferry: {first.get('service', '')}"
        moving: TimeDist = (total(road_moving) if road_moving and len(road_moving) == len(o.moves)
                            else moving_time(o.mode, km, self.params))
        return Leg(
            mode=o.mode, from_name=self._name(first["hub_a"]), to_name=self._name(last["hub_b"]),
            from_id=first["hub_a"], to_id=last["hub_b"], distance_km=km, coords=tuple(coords),
            countries=tuple(c for c in dict.fromkeys(countries) if c),
            chokepoints=chokepoints, crossings=tuple(crossings), stops=tuple(stops),
            moving=moving, note=note, international_waters_km=waters,
        )


    def _road(self, e: dict[str, Any], a: Hub, b: Hub, stops: list[Stop],
              road_moving: list[TimeDist]) -> tuple[list[tuple[float, float]], str]:
        """Coordinates and note of a road move: a truck leg of the road model (routes/road.py;
        its border stop added to `stops`, its moving time to `road_moving`) or a connector."""
        if "road_leg" in e:
            road = e["road_leg"]
            road_moving.append(road.moving)
            if road.border is not None:
                stops.append(Stop("border", f"{a.name} → {b.name} (road border, "
                                  f"{a.country}–{b.country})", road.border))
            return [(a.lon, a.lat), (b.lon, b.lat)], str(road.note)
        data = self.net.rail.data
        hub = a if a.connector else b
        coords = [(a.lon, a.lat) if e["hub_a"] == a.key else _rail_lonlat(data, a),
                  (b.lon, b.lat) if e["hub_b"] == b.key else _rail_lonlat(data, b)]
        return coords, (f"explicit connector: {hub.name} is {hub.rail_gap_km:.1f} km "
                        f"(straight line) from the nearest rail node; modelled as road or an "
                        f"unmapped siding of {e['km']:.0f} km")


def _rail_lonlat(data: Any, hub: Hub) -> tuple[float, float]:
    node = hub.rail_node if hub.rail_node is not None else 0
    return float(data.lon[node]), float(data.lat[node])
