"""Loitering: one vessel slow for hours away from any port, and the resampled tracks behind it.

A ship that drifts at sea for hours may be waiting for a partner that does not transmit, which
is why loitering is reported even when no encounter is seen. Both this detector and
`encounters.py` work on *resampled tracks*: each vessel's positions averaged on a fixed grid
of `resample_min`-minute steps, with holes of up to `max_interpolate_gap_h` filled by linear
interpolation (GFW resamples to 10 minutes and interpolates across gaps shorter than 1 h). A
grid makes two vessels comparable step by step and makes runs countable with window functions.

Everything that touches positions is one Ibis expression (group by, windows, an anti-join with
`places`), so it runs unchanged on DuckDB and Spark; Python only measures the few runs found.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pyarrow as pa

from cargotrace.detect import place_grid
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.params import LoiteringParams
from cargotrace.detect.presets import GFW_LOITERING
from cargotrace.detect.track import epoch_seconds
from cargotrace.geo import expr, sphere
from cargotrace.geo.expr import haversine_km
from cargotrace.geo.shore import distance_to_shore_nm
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event


def track_keys(positions: Any) -> list[str]:
    """What makes one track: the MMSI, and the identity segment when positions carry one
    (`segments.identity_segments`), so two ships sharing an MMSI are never averaged together."""
    return ["mmsi", "segment"] if "segment" in positions.columns else ["mmsi"]


_STEP_COLUMNS = ["step", "lat", "lon", "speed_kn", "positions", "first_ts", "last_ts",
                 "first_slow_ts", "last_slow_ts"]


def _observed_steps(positions: Any, keys: list[str], step_s: int, slow_kn: float) -> Any:
    """The steps with positions in them, each with its neighbours' step, position and speed
    (`prev_*`, `next_*`), which the speed implied by a move and the interpolation need."""
    p = positions.filter(positions.lat.notnull() & positions.lon.notnull())
    p = p.mutate(step=(epoch_seconds(p.ts) // step_s).cast("int64"))
    slow = p.sog < slow_kn
    b = p.group_by([*keys, "step"]).aggregate(
        lat=p.lat.mean(), lon=expr.mean_lon(p.lon), sog_kn=p.sog.mean(), positions=p.count(),
        first_ts=p.ts.min(), last_ts=p.ts.max(),
        first_slow_ts=p.ts.min(where=slow), last_slow_ts=p.ts.max(where=slow),
    )
    # one window pass: the next step's speed is computed here the way that step computes its
    # own (its reported mean, else the speed implied from this step), not by a second window
    by_step = ibis.window(group_by=keys, order_by=b.step)
    b = b.mutate(
        prev_step=b.step.lag().over(by_step), prev_lat=b.lat.lag().over(by_step),
        prev_lon=b.lon.lag().over(by_step), next_step=b.step.lead().over(by_step),
        next_lat=b.lat.lead().over(by_step), next_lon=b.lon.lead().over(by_step),
        next_sog_kn=b.sog_kn.lead().over(by_step),
    )
    step_h = step_s / 3600.0
    implied_kn = (haversine_km(b.prev_lat, b.prev_lon, b.lat, b.lon) / KM_PER_NM
                  / ((b.step - b.prev_step) * step_h))
    next_implied_kn = (haversine_km(b.lat, b.lon, b.next_lat, b.next_lon) / KM_PER_NM
                       / ((b.next_step - b.step) * step_h))
    return b.mutate(speed_kn=ibis.coalesce(b.sog_kn, implied_kn),
                    next_speed=ibis.coalesce(b.next_sog_kn, next_implied_kn))


def _interpolated_steps(b: Any, keys: list[str], max_steps: int) -> Any:
    """The steps that fill each hole of 2 to `max_steps` steps between two observed steps
    (`_observed_steps`): h - 1 of them for a hole of h, position and speed linear in time."""
    holes = b.filter((b.next_step - b.step).between(2, max_steps))
    holes = holes.mutate(k=ibis.range(1, holes.next_step - holes.step)).unnest("k")
    frac = holes.k.cast("float64") / (holes.next_step - holes.step).cast("float64")
    no_ts = ibis.null(b.first_ts.type().copy(nullable=True))
    return holes.select(
        *keys, step=holes.step + holes.k,
        lat=holes.lat + (holes.next_lat - holes.lat) * frac,
        # the short way round: a hole across ±180 is filled across it, not round the world
        lon=expr.wrap_lon(holes.lon + expr.lon_delta(holes.lon, holes.next_lon) * frac),
        speed_kn=holes.speed_kn + (holes.next_speed - holes.speed_kn) * frac,
        positions=ibis.literal(0, "int64"), first_ts=no_ts, last_ts=no_ts,
        first_slow_ts=no_ts, last_slow_ts=no_ts,
    )


def resampled_tracks(
    positions: Any, resample_min: int, max_interpolate_gap_h: float, slow_kn: float
) -> Any:
    """One row per track and grid step: mean position and speed, observed or interpolated.

    Columns: mmsi (and segment, see `track_keys`), step (epoch seconds // step length), lat,
    lon, speed_kn (mean reported SOG, else the speed implied by the previous step), positions
    (0 when interpolated), first_ts / last_ts (the step's first and last position) and
    first_slow_ts / last_slow_ts (the same among positions reporting less than `slow_kn`);
    the times are NULL on interpolated steps.
    """
    step_s = int(resample_min * 60)
    keys = track_keys(positions)
    b = _observed_steps(positions, keys, step_s, slow_kn)
    observed = b.select(*keys, *_STEP_COLUMNS)
    max_steps = int(max_interpolate_gap_h * 3600 // step_s)
    if max_steps < 2:
        return observed
    filled = _interpolated_steps(b, keys, max_steps)
    # every column nullable: interpolated steps have no times (a NOT NULL schema would make a
    # cached copy of these tracks refuse them)
    schema = ibis.schema({n: t.copy(nullable=True) for n, t in observed.schema().items()})
    return observed.cast(schema).union(filled.cast(schema))


GRID_DEG = 0.2
"""Grid cell of the step-place anti-join (`place_grid`): a step meets only the places whose
reach touches its own cell (an equi-join both engines hash)."""


def away_from_places(steps: Any, places: Any, min_km: float) -> Any:
    """The steps at least `min_km` outside the radius of every place (an anti-join).

    Distance is from a place's edge (centre distance minus `radius_m`), so a large port keeps
    its anchorages out. Steps meet places on equal grid cells (`place_grid`) before the exact
    great-circle test: a non-equi anti-join of every step with every place cost more than the
    rest of loitering (DuckDB fell back to a nested-loop or inequality join).
    """
    cells = place_grid.place_cells(places.select(
        place_lat=places.lat, place_lon=places.lon, reach_km=places.radius_m / 1000.0 + min_km,
    ), GRID_DEG)
    return place_grid.away_from(place_grid.with_cells(steps, GRID_DEG), cells)


def nearest_place_km(
    lat: np.ndarray, lon: np.ndarray, places: pa.Table
) -> tuple[np.ndarray, list[str | None]]:
    """Distance (km, from the place's edge, >= 0) to the nearest place of each point, and its id.

    Points are taken `NEAREST_CHUNK` at a time: the distance matrix of all of them against
    the world gazetteer's ~5,600 places (and the haversine's temporaries, several times its
    size) took 0.86 GB for 5,000 points and ~7 GB for the loitering candidates of a 100M
    store without places; per chunk it is a few tens of MB, with the same result."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if places.num_rows == 0:
        return np.full(len(lat), np.inf), [None] * len(lat)
    plat = np.asarray(places.column("lat").to_pylist(), dtype=float)[None, :]
    plon = np.asarray(places.column("lon").to_pylist(), dtype=float)[None, :]
    radius_km = np.asarray(places.column("radius_m").to_pylist(), dtype=float)[None, :] / 1000
    ids = places.column("place_id").to_pylist()
    km = np.empty(len(lat))
    nearest = np.empty(len(lat), dtype=np.int64)
    for lo in range(0, len(lat), NEAREST_CHUNK):
        hi = lo + NEAREST_CHUNK
        edge_km = sphere.haversine_km(lat[lo:hi, None], lon[lo:hi, None], plat, plon) - radius_km
        nearest[lo:hi] = edge_km.argmin(axis=1)
        km[lo:hi] = edge_km.min(axis=1)
    return np.maximum(km, 0.0), [ids[int(i)] for i in nearest]


NEAREST_CHUNK = 256
"""Points per distance matrix in `nearest_place_km` (bounded memory, same result)."""


def loitering_candidates(
    positions: Any, places: Any, params: LoiteringParams, tracks: Any = None
) -> Any:
    """One row per run of slow, offshore grid steps long enough to be loitering.

    `tracks`: `resampled_tracks` of these positions with these parameters, when the caller
    already has them (the detection run shares one resampling with encounters)."""
    t = tracks if tracks is not None else resampled_tracks(
        positions, params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    half = max(1, round(params.speed_window_h * 60 / params.resample_min / 2))
    keys = track_keys(positions)
    around = ibis.window(group_by=keys, order_by=t.step, range=(-half, half))
    t = t.mutate(window_speed_kn=t.speed_kn.mean().over(around))
    # The window mean bridges a short burst of speed inside a long drift; the step's own speed
    # keeps the edges sharp (a window reaching into the approach would cut off the first steps).
    is_slow = (t.window_speed_kn < params.max_speed_kn) | (t.speed_kn < params.max_speed_kn)
    slow = away_from_places(t.filter(is_slow), places, params.min_port_distance_km)
    # gaps and islands: consecutive steps share step - row_number()
    by_step = ibis.window(group_by=keys, order_by=slow.step)
    slow = slow.mutate(island=slow.step - ibis.row_number().over(by_step))
    runs = slow.group_by([*keys, "island"]).aggregate(
        start=ibis.coalesce(slow.first_slow_ts.min(), slow.first_ts.min()),
        end=ibis.coalesce(slow.last_slow_ts.max(), slow.last_ts.max()),
        lat=slow.lat.mean(), lon=expr.mean_lon(slow.lon), mean_speed_kn=slow.speed_kn.mean(),
        steps=slow.count(), positions=slow.positions.sum(),
        observed_steps=slow.positions.count(where=slow.positions > 0),
    )
    # engines round epoch seconds differently: a loose cut here, the exact one in Python
    duration_s = epoch_seconds(runs.end) - epoch_seconds(runs.start)
    runs = runs.filter(duration_s >= params.min_duration_h * 3600 - 60)
    return runs.select("mmsi", "start", "end", "lat", "lon", "mean_speed_kn", "steps",
                       "positions", "observed_steps")


def loitering_events(
    candidates: pa.Table, places: pa.Table, params: LoiteringParams
) -> list[Event]:
    """Loitering events from candidate runs: exact duration test, distance from port."""
    min_duration = timedelta(hours=params.min_duration_h)
    rows = sorted((r for r in candidates.to_pylist() if r["end"] - r["start"] >= min_duration),
                  key=lambda r: (r["mmsi"], r["start"]))
    if not rows:
        return []
    lats, lons = np.array([r["lat"] for r in rows]), np.array([r["lon"] for r in rows])
    port_km, port_ids = nearest_place_km(lats, lons, places)
    # measured on the few candidate events only, never on every position: cheap
    shore_nm = distance_to_shore_nm(lats, lons)
    return [
        Event(
            EventKind.LOITERING, int(r["mmsi"]), r["start"], r["end"],
            lat=round(r["lat"], 5), lon=round(r["lon"], 5),
            # the share of its grid steps with a report: the rest was interpolated across
            # silences, where the vessel may not have been slow at all
            confidence=round(r["observed_steps"] / r["steps"], 3),
            attrs={
                "duration_h": round((r["end"] - r["start"]).total_seconds() / 3600, 3),
                "observed_share": round(r["observed_steps"] / r["steps"], 3),
                "mean_speed_kn": round(r["mean_speed_kn"], 2),
                "distance_from_port_km": None if np.isinf(km) else round(float(km), 1),
                "nearest_place_id": place_id,
                "distance_from_shore_nm": float(shore),
                "positions": int(r["positions"]),
            },
        )
        for r, km, place_id, shore in zip(rows, port_km, port_ids, shore_nm, strict=True)
        if shore >= params.min_shore_distance_nm
    ]


def detect_loitering(
    positions: Any, places: Any, params: LoiteringParams = GFW_LOITERING, tracks: Any = None
) -> list[Event]:
    """Loitering events from Ibis `positions` and `places` tables (DuckDB or Spark)."""
    candidates = to_arrow(loitering_candidates(positions, places, params, tracks))
    place_rows = to_arrow(places.select("place_id", "lat", "lon", "radius_m"))
    return loitering_events(candidates, place_rows, params)
