"""Volume estimates with uncertainty: evidenced trips x carrying capacity x load factor.

Why Monte Carlo, and what is drawn: every input is uncertain in its own way, and the product of
ranges is not a range. In each of `samples` draws (numpy, fixed seed):
- each vessel's capacity is drawn once from its triangular distribution (the ship's size is one
  unknown, shared by all its trips, so trips of one ship are not averaged into false precision);
- each trip's load factor is drawn independently (how full a given voyage was);
- each trip counts with the probability its evidence is true: the grading weight of its
  strongest evidence, combined as 1 - prod(1 - w) over its items (docs/concepts/cases.md,
  "Grading weights"). A trip seen on A1 imagery always counts; one from a C3 report counts in
  36 % of draws.
Volumes by a date are sums over the trips dated by then, so cumulative curves and claims read
the same draws. P10/P50/P90 are numpy percentiles of the draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from cargotrace.cases.campaign.schema import Triangular

__all__ = ["Band", "Draws", "Trip", "band", "draw_loads"]


@dataclass(frozen=True)
class Trip:
    """One evidenced delivery (a laden passage origin -> destination)."""

    trip_id: str
    entry: str  # the trips entry (or shuttle event) it comes from
    corridor: str
    vessel: str
    at: datetime  # when it is counted as delivered
    weight: float  # probability that its evidence is true
    source: str  # "file" or "ais" (a stored shuttle event)
    evidence: tuple[str, ...]
    calls: tuple[dict[str, Any], ...] = ()
    """AIS trips: the departure and arrival calls as the shuttle event recorded them (place_ids,
    start, end, how: port_visit | possible_dark_port_call | imagery, observed, event_id), so a
    report can say how each end of the trip was evidenced."""

    def to_dict(self) -> dict[str, Any]:
        return {"trip_id": self.trip_id, "entry": self.entry, "corridor": self.corridor,
                "vessel": self.vessel, "at": self.at.isoformat(),
                "weight": round(self.weight, 3), "source": self.source,
                "evidence": list(self.evidence), "calls": [dict(c) for c in self.calls]}


@dataclass(frozen=True)
class Band:
    p10: float
    p50: float
    p90: float

    def to_dict(self) -> dict[str, float]:
        return {"p10": round(self.p10, 1), "p50": round(self.p50, 1), "p90": round(self.p90, 1)}


def band(values: np.ndarray) -> Band:
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return Band(float(p10), float(p50), float(p90))


def _triangular(rng: np.random.Generator, t: Triangular, size: int | tuple[int, int]
                ) -> np.ndarray:
    if t.low == t.high:
        return np.full(size, t.low, dtype=np.float64)
    return rng.triangular(t.low, t.mode, t.high, size)


@dataclass(frozen=True)
class Draws:
    """Per draw (rows) and trip (columns): the units the trip delivered (0 when not counted);
    and per draw and vessel, one trip's load (capacity x a load factor)."""

    trips: tuple[Trip, ...]
    loads: np.ndarray
    vessel_loads: dict[str, np.ndarray]

    def volume(self, until: datetime | None = None, since: datetime | None = None,
               corridor: str | None = None) -> np.ndarray:
        """Units delivered per draw by trips in [since, until] (on one corridor if given)."""
        keep = np.array([(until is None or t.at <= until) and (since is None or t.at >= since)
                         and (corridor is None or t.corridor == corridor)
                         for t in self.trips], dtype=bool)
        if not keep.any():
            return np.zeros(self.loads.shape[0])
        return np.asarray(self.loads[:, keep].sum(axis=1))

    def trip_load(self, vessels: Sequence[str]) -> np.ndarray:
        """Per draw, the load of one trip by a vessel picked evenly among `vessels`."""
        stack = np.stack([self.vessel_loads[v] for v in vessels])
        return np.asarray(stack.mean(axis=0))


def draw_loads(trips: Sequence[Trip], capacities: dict[str, Triangular], load: Triangular,
               samples: int, seed: int) -> Draws:
    """The Monte Carlo draws (module docstring); `capacities` holds every vessel of `trips`."""
    rng = np.random.default_rng(seed)
    vessels = sorted(capacities)
    capacity = {v: _triangular(rng, capacities[v], samples) for v in vessels}
    vessel_loads = {v: capacity[v] * _triangular(rng, load, samples) for v in vessels}
    if not trips:
        return Draws((), np.zeros((samples, 0)), vessel_loads)
    factors = _triangular(rng, load, (samples, len(trips)))
    counted = rng.random((samples, len(trips))) < np.array([t.weight for t in trips])
    caps = np.stack([capacity[t.vessel] for t in trips], axis=1)
    return Draws(tuple(trips), caps * factors * counted, vessel_loads)
