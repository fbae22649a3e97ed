"""Named scenarios: where the traffic sails, how much of it, and which behaviours are planted.

`background`: normal traffic only. `sea-of-japan-2023`: the reference case's region with covert
voyages between Najin and Dunay, an STS meeting and a shared-MMSI pair. `mixed`: every behaviour
many times, for `cargotrace evaluate`. Ports come from the curated gazetteer and, for the rest of
a region, from the port list shipped with the searoute package (UN/LOCODE-keyed).
"""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from pathlib import Path

from cargotrace.errors import ParamsError
from cargotrace.sim.plan import Port

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
    """The port moved to its open-water anchorage when the land mask puts its coordinates
    ashore, as it does for river ports: ships stay where ships can be. The rule lives in
    geo/anchorage.py, shared with the packaged world gazetteer, so both agree on the point."""
    from cargotrace.geo.anchorage import open_water_anchorage

    spot = open_water_anchorage(port.lat, port.lon, port.radius_m, max_km)
    if spot.moved_km == 0:
        return port
    return Port(port.place_id, port.name, spot.lat, spot.lon, spot.radius_m)


def routable(ports: list[Port]) -> list[Port]:
    """Ports a sea route reaches (from the first port that does), in order."""
    from cargotrace.sim.sea_paths import sea_route

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
