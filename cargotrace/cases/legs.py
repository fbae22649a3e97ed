"""Routes between anchors: plan each distinct request once, and fit its time to the evidence.

Why a planner object: route planning costs ~1 s a query (7-10 s for the first in a process), and
a build asks for the same (from, to, modes) several times (per-leg alternatives, corridors), so
every answer - or its NotFoundError - is cached for the build. How a route's time fits the
evidence is timefit.py's job; here `observed_hours` gives the interval the sightings bound: from
the last sighting at the start to the first at the end (anchors.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from cargotrace.cases.params import DEST, Corridor
from cargotrace.errors import CargotraceError, NotFoundError, ParamsError
from cargotrace.routes import Leg, Route, RouteNetwork, RouteParams, TimeDist, plan_routes
from cargotrace.routes.place_book import PlaceBook
from cargotrace.routes.timing import total
from cargotrace.store.places import Place

__all__ = ["Option", "Planner", "available_hours", "observed_hours", "p_in_time"]

logger = logging.getLogger(__name__)

PlanKey = tuple[str, str, str, tuple[str, ...], int]


@dataclass(frozen=True)
class Option:
    """One way to cover a span: one planned route, or a corridor's routes end to end."""

    routes: tuple[Route, ...]
    corridor: str | None = None

    @property
    def legs(self) -> tuple[Leg, ...]:
        return tuple(leg for r in self.routes for leg in r.legs)

    @property
    def time(self) -> TimeDist:
        return total([r.time for r in self.routes])

    @property
    def summary(self) -> str:
        return ", ".join(
            f"{leg.mode} {leg.from_name} → {leg.to_name}"
            + (f" (via {', '.join(c.name for c in leg.crossings)})" if leg.crossings else "")
            for leg in self.legs)

    @property
    def modes(self) -> tuple[str, ...]:
        """Modes that carry the cargo (road connectors left out)."""
        return tuple(dict.fromkeys(leg.mode for leg in self.legs if leg.mode != "road"))

    @property
    def distance_km(self) -> float:
        return sum(r.distance_km for r in self.routes)

    @property
    def chokepoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for r in self.routes for c in r.chokepoints))

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for r in self.routes for c in r.countries))

    @property
    def signature(self) -> tuple[tuple[str, ...], ...]:
        return tuple((leg.mode, leg.from_id, leg.to_id, *(c.crossing_id for c in leg.crossings))
                     for leg in self.legs)

    def mode_at(self, end: str) -> str | None:
        """The carrying mode leaving the start (`end="start"`) or reaching the end ("end")."""
        legs = [leg for leg in self.legs if leg.mode != "road"] or list(self.legs)
        if not legs:
            return None
        return legs[0].mode if end == "start" else legs[-1].mode


def p_in_time(time: TimeDist, available_h: float) -> float:
    """P(route time <= the most hours the evidence allows): below 1 % the leg is impossible."""
    return time.cdf(available_h)


def available_hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600)


def observed_hours(depart: tuple[datetime, datetime],
                   arrive: tuple[datetime, datetime]) -> tuple[float, float]:
    """(least, most) hours between leaving within `depart` and arriving within `arrive`."""
    return available_hours(depart[1], arrive[0]), available_hours(depart[0], arrive[1])


class Planner:
    """Plans routes for one build, each distinct request once."""

    def __init__(self, book: PlaceBook, params: RouteParams | None = None,
                 network: RouteNetwork | None = None) -> None:
        self.book = book
        self.params = params or RouteParams()
        self._network = network
        # a planning failure is cached as its message and type, re-raised fresh on each hit (an
        # exception object raised twice would keep growing its traceback)
        self._cache: dict[PlanKey, list[Route] | tuple[type[CargotraceError], str]] = {}
        self.calls = 0

    @property
    def network(self) -> RouteNetwork:
        if self._network is None:
            self._network = RouteNetwork.load(self.params)
        return self._network

    def plan(self, a: Place, b: Place, modes: str, avoid: tuple[str, ...] = (),
             k: int = 1) -> list[Route]:
        """plan_routes, cached; raises NotFoundError/ParamsError as it does, every time."""
        key: PlanKey = (a.place_id, b.place_id, modes, avoid, k)
        if key not in self._cache:
            self.calls += 1
            try:
                self._cache[key] = plan_routes(self.book, a, b, modes=modes, avoid=avoid, k=k,
                                               params=self.params, network=self.network)
            except (NotFoundError, ParamsError) as exc:
                self._cache[key] = (type(exc), str(exc))
        found = self._cache[key]
        if isinstance(found, tuple):
            kind, message = found
            raise kind(message)
        return found

    def leg_options(self, a: Place, b: Place, k: int,
                    road: bool = False) -> tuple[list[Option], str | None]:
        """The k best routes a -> b by sea, rail and ferry, or ([], why) when there is none;
        with `road` (the evidence names trucks on this leg) also the truck route (road.py):
        trucks are offered only where the evidence names them, so the road model never
        competes with ships and trains on evidence that says nothing of trucks."""
        options: list[Option] = []
        why: str | None = None
        try:
            options = [Option((r,)) for r in self.plan(a, b, "sea,rail,ferry", k=k)]
        except (NotFoundError, ParamsError) as exc:
            why = str(exc)
        if road:
            try:
                options += [Option((r,)) for r in self.plan(a, b, "road", k=1)]
            except (NotFoundError, ParamsError) as exc:
                why = why or str(exc)
        return options, (None if options else why)

    def corridor(self, a: Place, b: Place, corridor: Corridor) -> Option | str:
        """The corridor's routes a -> ... -> b, or why it does not apply."""
        routes: list[Route] = []
        here = a
        for to, modes, avoid in corridor.segments:
            try:
                there = b if to == DEST else self.book.resolve(to)
            except (NotFoundError, ParamsError) as exc:
                return f"{corridor.name}: {exc}"
            if to != DEST and there.place_id in (a.place_id, b.place_id):
                return f"{corridor.name}: {there.name} is an end of the span"
            try:
                routes.append(self.plan(here, there, modes, avoid, k=1)[0])
            except (NotFoundError, ParamsError) as exc:
                return f"{corridor.name}: {exc}"
            here = there
        return Option(tuple(routes), corridor.name)

