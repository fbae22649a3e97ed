"""A small, deterministic traffic sample in Peter the Great Gulf for the demo and benchmarks.

Vessels sail waypoint routes laid at sea between real ports (coordinates from the curated
gazetteer) at type-typical speeds, report positions every 10 s to 3 min as class A transponders
do, and send static reports every 6 minutes. The full scenario simulator with behaviours and
ground truth (issue 3) builds on this module.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cargotrace.geo.sphere import KM_PER_NM, bearing_deg, distance_km
from cargotrace.sim.nmea_writer import PositionReport, StaticReport, encode_reports

# Sea waypoints (lat, lon) between ports; first and last points are the port approaches.
ROUTES: dict[str, list[tuple[float, float]]] = {
    "najin-vladivostok": [
        (42.22, 130.33), (42.10, 130.55), (42.20, 131.00), (42.55, 131.50), (42.85, 131.75),
        (43.02, 131.86), (43.09, 131.89),
    ],
    "vladivostok-nakhodka": [
        (43.09, 131.89), (43.00, 131.90), (42.85, 132.20), (42.72, 132.65), (42.79, 132.88),
    ],
    "vostochny-open-sea": [(42.74, 133.06), (42.55, 133.05), (42.20, 132.80), (41.80, 132.50)],
}


@dataclass(frozen=True)
class SampleVessel:
    mmsi: int
    name: str
    imo: int
    callsign: str
    ship_type: int
    length_m: int
    beam_m: int
    draught_m: float
    speed_kn: float
    route: str


SAMPLE_FLEET = (
    SampleVessel(273310010, "SIM ARKTIKA", 9000013, "UBSM1", 70, 120, 18, 6.8, 11.0,
                 "najin-vladivostok"),
    SampleVessel(273310020, "SIM ZOLOTOY ROG", 9000025, "UBSM2", 80, 160, 24, 9.1, 12.5,
                 "vladivostok-nakhodka"),
    SampleVessel(273310030, "SIM PRIMORYE", 9000037, "UBSM3", 70, 90, 14, 5.2, 9.5,
                 "vostochny-open-sea"),
    SampleVessel(445310040, "SIM RASON", 9000049, "HMSM4", 70, 100, 16, 6.0, 10.0,
                 "najin-vladivostok"),
    SampleVessel(352310050, "SIM PACIFIC", 9000051, "3ESM5", 79, 140, 22, 8.4, 13.0,
                 "vladivostok-nakhodka"),
)


def _vessel_track(
    v: SampleVessel, start: datetime, end: datetime, rng: random.Random
) -> Iterator[PositionReport | StaticReport]:
    """Shuttle along the route (there and back) until `end`, with jittered report intervals."""
    route = ROUTES[v.route]
    legs = list(zip(route, route[1:], strict=False))
    legs += [(b, a) for a, b in reversed(legs)]
    # each leg's length and course, once: they do not change along a leg
    legs_nm = [max(distance_km(*a, *b) / KM_PER_NM, 1e-6) for a, b in legs]
    courses = [float(bearing_deg(*a, *b)) for a, b in legs]
    t = start + timedelta(seconds=rng.uniform(0, 120))
    next_static = t
    leg_i, frac = rng.randrange(len(legs)), rng.random()
    while t < end:
        a, b = legs[leg_i]
        leg_nm = legs_nm[leg_i]
        lat = a[0] + (b[0] - a[0]) * frac
        lon = a[1] + (b[1] - a[1]) * frac
        course = courses[leg_i]
        speed = max(0.0, v.speed_kn + rng.gauss(0, 0.4))
        if t >= next_static:
            yield StaticReport(v.mmsi, t, v.name, v.imo, v.callsign, v.ship_type, v.length_m,
                               v.beam_m, v.draught_m, "VLADIVOSTOK")
            next_static = t + timedelta(minutes=6)
        yield PositionReport(v.mmsi, t, round(lat, 5), round(lon, 5), round(speed, 1),
                             round(course, 1), int(course) % 360)
        step_s = rng.choice((10, 10, 10, 30, 60, 180))
        frac += speed * step_s / 3600 / leg_nm
        while frac >= 1:
            frac = (frac - 1) * leg_nm
            leg_i = (leg_i + 1) % len(legs)
            leg_nm = legs_nm[leg_i]
            frac /= leg_nm
        t += timedelta(seconds=step_s)


def sample_traffic(
    hours: float = 6.0,
    seed: int = 7,
    start: datetime = datetime(2023, 9, 7, tzinfo=UTC),
    fleet: tuple[SampleVessel, ...] = SAMPLE_FLEET,
) -> Iterator[PositionReport | StaticReport]:
    """Every report of the fleet, merged in time order."""
    rng = random.Random(seed)
    end = start + timedelta(hours=hours)
    tracks = [_vessel_track(v, start, end, random.Random(rng.random())) for v in fleet]
    yield from heapq.merge(*tracks, key=lambda r: r.ts)


def scaled_fleet(n_vessels: int) -> tuple[SampleVessel, ...]:
    """`n_vessels` sample vessels (MMSIs made unique), for benchmark-sized files."""
    return tuple(
        SampleVessel(
            273000000 + i, f"{base.name} {i}", 9000000 + i * 10, base.callsign, base.ship_type,
            base.length_m, base.beam_m, base.draught_m, base.speed_kn, base.route,
        )
        for i, base in ((i, SAMPLE_FLEET[i % len(SAMPLE_FLEET)]) for i in range(n_vessels))
    )


def write_sample_nmea(path: Path, hours: float = 6.0, seed: int = 7,
                      fleet: tuple[SampleVessel, ...] = SAMPLE_FLEET) -> int:
    """Write the sample as tag-blocked NMEA; returns the number of lines written."""
    n = 0
    with path.open("w", encoding="ascii") as fh:
        for line in encode_reports(sample_traffic(hours, seed, fleet=fleet)):
            fh.write(line + "\n")
            n += 1
    return n
