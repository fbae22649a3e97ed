"""Road: trucks between two places, without a road network.

Why no road graph: no road network ships with cargotrace (OpenStreetMap extracts of the region
are gigabytes, and the roads that matter here, e.g. a DPRK-Russia road bridge, are not in them
yet). What an analyst needs from a truck leg is its distance and time with honest spread, and
those follow from published aggregates:

- distance = great-circle distance x a circuity factor (road / straight-line distance): P50 and
  P90 factors from a national road-network study (RoadParams), so the leg's distance is a range,
  not a line on a map;
- driving time = distance / a corridor truck speed (typical and slow), then the calendar time
  of that much driving under the AETR rules (at most `driving_per_day_h` a day, a 45-minute
  break after each 4.5 h not ended by a daily rest, `daily_rest_h` between driving days);
- a border delay (lognormal P50/P90) when the two places are in different countries.

The P50 of the leg's time comes from the P50 circuity at the typical speed, its P90 from the
P90 circuity at the slow speed (a lognormal through both, routes/timing.py). What it cannot know:
whether a road, or a road border crossing, exists between the two places (docs/concepts/routes.md
"Known limits").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cargotrace.geo.sphere import haversine_km
from cargotrace.routes.params import RoadParams
from cargotrace.routes.timing import TimeDist

__all__ = ["RoadLeg", "calendar_hours", "road_leg"]

BREAK_EVERY_H = 4.5  # AETR art. 7: a break after four and a half hours of driving


@dataclass(frozen=True)
class RoadLeg:
    """A truck leg: its distance range, moving time and border delay (None within a country)."""

    great_circle_km: float
    distance_km: float  # at the P50 circuity
    distance_p90_km: float  # at the P90 circuity
    moving: TimeDist  # driving plus the rests the driving-time rules impose
    border: TimeDist | None

    @property
    def note(self) -> str:
        return (f"road: {self.great_circle_km:.0f} km great-circle x circuity -> "
                f"{self.distance_km:.0f}-{self.distance_p90_km:.0f} km; trucks under the AETR "
                "driving-time rules" + ("; one border crossing" if self.border else ""))


def calendar_hours(driving_h: float, p: RoadParams) -> float:
    """Hours from setting off to arriving for `driving_h` of driving: the driving, a daily
    rest after each full driving day, and a break after each 4.5 h not ended by a rest."""
    if driving_h <= 0:
        return 0.0
    days = math.ceil(driving_h / p.driving_per_day_h)
    rests = days - 1
    stints = sum(math.ceil(min(p.driving_per_day_h, driving_h - d * p.driving_per_day_h)
                           / BREAK_EVERY_H) for d in range(days))
    breaks = stints - days  # the last stint of each day ends in a rest (or the arrival)
    return driving_h + rests * p.daily_rest_h + breaks * p.break_h


def road_leg(a_lat: float, a_lon: float, b_lat: float, b_lon: float, cross_border: bool,
             p: RoadParams) -> RoadLeg | None:
    """The truck leg between two points, or None beyond `max_km` (great-circle)."""
    gc = float(haversine_km(a_lat, a_lon, b_lat, b_lon))
    if gc > p.max_km:
        return None
    d50, d90 = gc * p.circuity_p50, gc * p.circuity_p90
    t50 = calendar_hours(d50 / p.speed_typical_kmh, p)
    t90 = calendar_hours(d90 / p.speed_slow_kmh, p)
    moving = TimeDist.zero() if t50 <= 0 else TimeDist.from_p50_p90(t50, max(t50, t90))
    border = TimeDist.from_p50_p90(p.border_p50_h, p.border_p90_h) if cross_border else None
    return RoadLeg(gc, d50, d90, moving, border)
