"""What a planned route is: legs (one mode each), the stops that cost time, and totals.

`Leg.time` and `Route.time` are `TimeDist`s: P10/P50/P90 hours, and `cdf`/`fit`/`p_between` for
an observed interval. A leg's time includes the dwell of the stops at its start (loading,
trans-shipment) and on its way (border crossings, gauge changes): the time from the cargo being
ready at the leg's start to its arrival at the leg's end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargotrace.routes.chokepoints import Chokepoint
from cargotrace.routes.crossings import Crossing
from cargotrace.routes.timing import TimeDist, total
from cargotrace.routes.transit import Transit, transit_of

__all__ = ["Leg", "Route", "Stop"]

LonLat = tuple[float, float]


@dataclass(frozen=True)
class Stop:
    """A dwell: `kind` is load, transfer, rail_start, road_handling, ferry_wait or border."""

    kind: str
    at: str  # place or crossing name
    time: TimeDist
    crossing: Crossing | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind, "at": self.at, **self.time.to_dict()}
        if self.crossing is not None:
            doc["crossing"] = self.crossing.to_dict()
        return doc


@dataclass(frozen=True)
class Leg:
    mode: str  # sea, rail, ferry or road (an explicit connector)
    from_name: str
    to_name: str
    from_id: str
    to_id: str
    distance_km: float
    coords: tuple[LonLat, ...]
    countries: tuple[str, ...]
    chokepoints: tuple[Chokepoint, ...]
    crossings: tuple[Crossing, ...]
    stops: tuple[Stop, ...]
    moving: TimeDist
    note: str = ""
    international_waters_km: float | None = None

    @property
    def time(self) -> TimeDist:
        return total([self.moving, *(s.time for s in self.stops)])

    @property
    def international_waters_h(self) -> float | None:
        """P50 hours beyond the territorial sea, pro rata of distance (sea and ferry legs)."""
        if self.international_waters_km is None or self.distance_km <= 0:
            return None
        return self.moving.p50_h * self.international_waters_km / self.distance_km

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "from": self.from_name, "to": self.to_name, "from_id": self.from_id,
            "to_id": self.to_id, "mode": self.mode, "distance_km": round(self.distance_km, 1),
            **self.time.to_dict(),
            "moving": self.moving.to_dict(),
            "stops": [s.to_dict() for s in self.stops],
            "countries": list(self.countries),
            "chokepoints": [c.name for c in self.chokepoints],
            "border_crossings": [c.name for c in self.crossings],
            "note": self.note,
        }
        if self.international_waters_km is not None:
            doc["international_waters_km"] = round(self.international_waters_km, 1)
            doc["international_waters_h"] = round(self.international_waters_h or 0.0, 1)
        return doc


@dataclass(frozen=True)
class Route:
    rank: int
    legs: tuple[Leg, ...]
    interdiction: dict[str, Any] = field(default_factory=dict)
    end_countries: tuple[str, str] = ("", "")  # ISO2 of the origin and the destination

    @property
    def transit(self) -> Transit:
        """Third countries and border crossings between the origin's and destination's
        countries (transit.py)."""
        return transit_of(self.legs, *self.end_countries)

    @property
    def time(self) -> TimeDist:
        return total([leg.time for leg in self.legs])

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)

    @property
    def distance_by_mode_km(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for leg in self.legs:
            out[leg.mode] = out.get(leg.mode, 0.0) + leg.distance_km
        return out

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(leg.mode for leg in self.legs))

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for leg in self.legs for c in leg.countries))

    @property
    def chokepoints(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.name for leg in self.legs for c in leg.chokepoints))

    @property
    def crossings(self) -> tuple[Crossing, ...]:
        return tuple(c for leg in self.legs for c in leg.crossings)

    @property
    def uses_rail(self) -> bool:
        return any(leg.mode == "rail" for leg in self.legs)

    @property
    def summary(self) -> str:
        """One line: 'sea Najin -> Dunay, road Dunay -> ..., rail ... -> Tikhoretsk'."""
        return ", ".join(f"{leg.mode} {leg.from_name} → {leg.to_name}" for leg in self.legs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "summary": self.summary,
            "distance_km": round(self.distance_km, 1),
            "distance_by_mode_km": {m: round(v, 1) for m, v in self.distance_by_mode_km.items()},
            **self.time.to_dict(),
            "countries": list(self.countries), "chokepoints": list(self.chokepoints),
            "border_crossings": [c.to_dict() for c in self.crossings],
            "transit": self.transit.to_dict(),
            "interdiction": self.interdiction,
            "legs": [leg.to_dict() for leg in self.legs],
        }
