"""Curated border crossings (with gauges and dwell) and ferry links, each row citing its source.

Why curated: the railway graph ignores borders, so the only places a route may cross one are
the crossings listed in `cargotrace/data/route_crossings.csv`. A crossing is matched to the graph
edge that crosses between its two countries nearest its position (within
`RouteParams.crossing_match_km`); every other cross-border edge is dropped. Ferries
(`cargotrace/data/route_ferries.csv`) join two ports across water, e.g. the Caspian routes from
Astrakhan and Makhachkala to Iran.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

__all__ = ["Crossing", "Ferry", "curated_crossings", "curated_ferries"]


@dataclass(frozen=True)
class Crossing:
    crossing_id: str
    name: str
    country_a: str
    country_b: str
    lat: float
    lon: float
    gauge_a_mm: int
    gauge_b_mm: int
    dwell_p50_h: float
    dwell_p90_h: float
    notes: str
    source: str

    @property
    def gauge_change(self) -> bool:
        return self.gauge_a_mm != self.gauge_b_mm

    def to_dict(self) -> dict[str, object]:
        return {"crossing_id": self.crossing_id, "name": self.name,
                "countries": [self.country_a, self.country_b],
                "gauges_mm": [self.gauge_a_mm, self.gauge_b_mm],
                "gauge_change": self.gauge_change, "source": self.source}


@dataclass(frozen=True)
class Ferry:
    from_place: str  # place_id in the curated gazetteer
    to_place: str
    service: str
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("cargotrace").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def curated_crossings() -> tuple[Crossing, ...]:
    return tuple(
        Crossing(
            crossing_id=r["crossing_id"], name=r["name"], country_a=r["country_a"],
            country_b=r["country_b"], lat=float(r["lat"]), lon=float(r["lon"]),
            gauge_a_mm=int(r["gauge_a_mm"]), gauge_b_mm=int(r["gauge_b_mm"]),
            dwell_p50_h=float(r["dwell_p50_h"]), dwell_p90_h=float(r["dwell_p90_h"]),
            notes=r["notes"], source=r["source"],
        )
        for r in _rows("route_crossings.csv")
    )


@functools.cache
def curated_ferries() -> tuple[Ferry, ...]:
    return tuple(Ferry(r["from_place"], r["to_place"], r["service"], r["source"])
                 for r in _rows("route_ferries.csv"))
