"""Multimodal routes (sea lanes + rail + ferries) with transit-time distributions.

Public API (docs/concepts/routes.md): `plan_routes(places, origin, destination, *, via, modes,
avoid, k, params) -> list[Route]`; `Route.legs[i].time` is a `TimeDist` with `p10_h`, `p50_h`,
`p90_h`, `cdf(h)`, `pdf(h)`, `p_between(lo_h, hi_h)` and `fit(h)`.
"""

from __future__ import annotations

from cargotrace.routes.model import Leg, Route, Stop
from cargotrace.routes.network import RouteNetwork
from cargotrace.routes.params import RouteParams
from cargotrace.routes.place_book import PlaceBook
from cargotrace.routes.plan import DEFAULT_MODES, plan_routes
from cargotrace.routes.timing import TimeDist

__all__ = ["DEFAULT_MODES", "Leg", "PlaceBook", "Route", "RouteNetwork", "RouteParams", "Stop",
           "TimeDist", "plan_routes"]
