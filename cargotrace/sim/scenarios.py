"""Named scenarios: where the traffic sails, how much of it, and which behaviours are planted.

`background`: normal traffic only. `sea-of-japan-2023`: the reference case's region with covert
voyages between Najin and Dunay, an STS meeting and a shared-MMSI pair. `mixed`: every behaviour
many times, for `cargotrace evaluate`. Ports come from the curated gazetteer and, for the rest of
a region, from the port list shipped with the searoute package (UN/LOCODE-keyed).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from cargotrace.errors import ParamsError
from cargotrace.geo.sphere import SIM_KM_PER_DEG_LEGACY
from cargotrace.sim.plan import Port

SCENARIOS = ("background", "sea-of-japan-2023", "mixed")

# Named regions: bounding box (lat_min, lat_max, lon_min, lon_max) and the ports to use.
REGIONS: dict[str, tuple[tuple[float, float, float, float], tuple[str, ...]]] = {
    "sea-of-japan": (
        (33.0, 47.0, 127.0, 142.0),
        (
            "ct:najin",
            "ct:dunay",
            "ct:vostochny",
            "ct:vladivostok",
            "ct:nakhodka",
            "KPCHO",
            "KPWON",
            "RUZAR",
            "RUPSE",
            "KRPUS",
            "KRUSN",
            "JPKIJ",
            "JPMAI",
            "JPOTR",
            "JPTOY",
            "JPSKT",
        ),
    ),
}


@dataclass(frozen=True)
class BehaviourCounts:
    """How many of each behaviour to plant (each on a different vessel where it matters)."""

    gaps: int = field(default=0, metadata={"help": "Transponder switched off at sea, 8-30 h."})
    dark_voyages: int = field(default=0, metadata={"help": "Port to port with AIS off at sea."})
    encounters: int = field(default=0, metadata={"help": "Two-vessel meetings away from port."})
    loiterings: int = field(default=0, metadata={"help": "One vessel slow away from port."})
    shared_mmsis: int = field(default=0, metadata={"help": "A second ship using an MMSI."})
    name_changes: int = field(default=0, metadata={"help": "Static name changes."})
    imo_changes: int = field(default=0, metadata={"help": "Static IMO number changes."})
    flag_changes: int = field(default=0, metadata={"help": "Reflagging: new MMSI and flag."})
    teleports: int = field(
        default=0, metadata={"help": "Jumps of two positions 200-500 km away (sustained)."})
    draught_changes: int = field(default=0, metadata={"help": "Draught changed while dark."})
    dark_port_calls: int = field(default=0, metadata={
        "help": "Calls at a watched port (the curated gazetteer's) with AIS off from 20 km "
                "before it to 20 km after."})


DEFAULT_COUNTS = {
    "background": BehaviourCounts(),
    "sea-of-japan-2023": BehaviourCounts(encounters=1, shared_mmsis=1),
    "mixed": BehaviourCounts(
        gaps=15,
        dark_voyages=8,
        encounters=8,
        loiterings=8,
        shared_mmsis=4,
        name_changes=5,
        imo_changes=4,
        flag_changes=4,
        teleports=8,
        draught_changes=5,
        dark_port_calls=8,
    ),
}
DEFAULT_DAYS = {"background": 14.0, "sea-of-japan-2023": 30.0, "mixed": 30.0}
DEFAULT_VESSELS = {"background": 40, "sea-of-japan-2023": 40, "mixed": 80}
DEFAULT_START = {
    "background": datetime(2023, 9, 1, tzinfo=UTC),
    "sea-of-japan-2023": datetime(2023, 9, 1, tzinfo=UTC),
    "mixed": datetime(2023, 9, 1, tzinfo=UTC),
}


@dataclass(frozen=True)
class ScenarioParams:
    """Everything that determines a simulation: the same values give byte-identical output."""

    scenario: str = field(default="background", metadata={"help": "Scenario name."})
    seed: int = field(default=7, metadata={"help": "Random seed."})
    vessels: int = field(default=40, metadata={"help": "Background vessels."})
    days: float = field(default=14.0, metadata={"help": "Length of the simulation in days."})
    region: str = field(
        default="sea-of-japan",
        metadata={"help": "A named region or LAT_MIN,LAT_MAX,LON_MIN,LON_MAX."},
    )
    start: datetime = field(
        default=datetime(2023, 9, 1, tzinfo=UTC),
        metadata={"help": "Start of the simulation (UTC)."},
    )
    behaviours: BehaviourCounts = field(
        default_factory=BehaviourCounts, metadata={"help": "Behaviours to plant."}
    )

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ParamsError(
                f"unknown scenario {self.scenario!r}; choose one of {', '.join(SCENARIOS)}"
            )
        if self.vessels < 0 or self.days <= 0:
            raise ParamsError("vessels must be >= 0 and days > 0")

    @classmethod
    def for_scenario(cls, scenario: str, **overrides: object) -> ScenarioParams:
        base: dict[str, object] = {
            "scenario": scenario,
            "start": DEFAULT_START.get(scenario, DEFAULT_START["mixed"]),
            "days": DEFAULT_DAYS.get(scenario, 14.0),
            "vessels": DEFAULT_VESSELS.get(scenario, 40),
            "behaviours": DEFAULT_COUNTS.get(scenario, BehaviourCounts()),
        }
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]

    def to_json(self) -> str:
        from dataclasses import asdict

        return json.dumps(asdict(self), default=str, sort_keys=True, indent=2)


@cache
def curated_rows() -> dict[str, dict[str, str]]:
    """The packaged gazetteer's rows by place_id (its ports are the simulator's watched ones)."""
    text = resources.files("cargotrace").joinpath("data", "gazetteer.csv").read_text("utf-8")
    return {row["place_id"]: row for row in csv.DictReader(text.splitlines())}


def _curated() -> dict[str, Port]:
    return {
        pid: Port(pid, row["name"], float(row["lat"]), float(row["lon"]), float(row["radius_m"]))
        for pid, row in curated_rows().items()
    }


@cache
def _searoute_ports() -> dict[str, Port]:
    import searoute  # type: ignore[import-untyped]

    path = Path(searoute.__file__).parent / "data" / "ports.geojson"
    ports = {}
    for feature in json.loads(path.read_text())["features"]:
        code = feature["properties"].get("port")
        lon, lat = feature["geometry"]["coordinates"]
        if code:
            ports[code] = Port(
                f"searoute:{code}",
                feature["properties"].get("name") or code,
                float(lat),
                float(lon),
                3000.0,
            )
    return ports


def sea_anchor(port: Port, max_km: float = 8.0) -> Port:
    """The port moved to the nearest open-water point (its anchorage) when the land mask puts
    its coordinates ashore, as it does for river ports: ships stay where ships can be."""
    import math

    import numpy as np

    from cargotrace.geo.landmask import is_land

    if not is_land(np.array([port.lat]), np.array([port.lon]))[0]:
        return port
    for ring_km in np.arange(0.5, max_km + 0.01, 0.5):
        angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        lats = port.lat + ring_km * np.cos(angles) / SIM_KM_PER_DEG_LEGACY
        lons = port.lon + ring_km * np.sin(angles) / (
            SIM_KM_PER_DEG_LEGACY * math.cos(math.radians(port.lat)))
        sea = ~is_land(lats, lons)
        if sea.any():
            i = int(np.flatnonzero(sea)[0])
            radius_m = float(max(port.radius_m, (ring_km + 1.0) * 1000))
            return Port(
                port.place_id,
                port.name,
                round(float(lats[i]), 5),
                round(float(lons[i]), 5),
                radius_m,
            )
    return port


def routable(ports: list[Port]) -> list[Port]:
    """Ports a sea route reaches (from the first port that does), in order."""
    from cargotrace.sim.routes import sea_route

    hub = ports[0]
    kept = [hub]
    for port in ports[1:]:
        try:
            sea_route((hub.lat, hub.lon), (port.lat, port.lon))
        except ParamsError:
            continue
        kept.append(port)
    return kept


@cache
def region_ports(
    region: str, limit: int = 16
) -> tuple[tuple[float, float, float, float], list[Port]]:
    """The bounding box and ports of a region, each port at its open-water anchorage."""
    bbox, ports = _region_ports(region, limit)
    return bbox, routable([sea_anchor(p) for p in ports])


def _region_ports(
    region: str, limit: int = 16
) -> tuple[tuple[float, float, float, float], list[Port]]:
    """The bounding box and ports of a named region or of a 'lat_min,lat_max,lon_min,lon_max'."""
    if region in REGIONS:
        bbox, ids = REGIONS[region]
        curated, others = _curated(), _searoute_ports()
        return bbox, [curated[i] if i.startswith("ct:") else others[i] for i in ids]
    try:
        lat_min, lat_max, lon_min, lon_max = (float(x) for x in region.split(","))
    except ValueError as exc:
        raise ParamsError(
            f"--region {region!r}: use a name ({', '.join(REGIONS)}) or "
            "LAT_MIN,LAT_MAX,LON_MIN,LON_MAX"
        ) from exc
    inside = [
        p
        for p in [*_curated().values(), *_searoute_ports().values()]
        if lat_min <= p.lat <= lat_max and lon_min <= p.lon <= lon_max
    ]
    if len(inside) < 2:
        raise ParamsError(f"--region {region}: fewer than two ports inside; widen the box")
    return (lat_min, lat_max, lon_min, lon_max), inside[:limit]
