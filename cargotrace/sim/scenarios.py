"""Named scenarios: where the traffic sails, how much of it, and which behaviours are planted.

`background`: normal traffic only. `sea-of-japan-2023`: the reference case's region with covert
voyages between Najin and Dunay, an STS meeting and a shared-MMSI pair. `mixed`: every behaviour
many times, for `cargotrace evaluate`. `campaign`: ships shuttling Najin-Dunay for months,
with a generated campaign file (`sim/campaign.py`). Ports are the packaged places every new
store starts with: the curated gazetteer and, for the rest of a region, the world gazetteer (WPI
and searoute ports, named here by UN/LOCODE), at the open-water points the store has too.
"""

from __future__ import annotations

from functools import cache

from cargotrace.errors import ParamsError
from cargotrace.sim.plan import Port
from cargotrace.store.place_codes import locode_forms
from cargotrace.store.places import Place

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
def packaged_ports() -> dict[str, Place]:
    """Every packaged place by place_id, and every world port also by its UN/LOCODE (both
    spellings): the ports a new store already knows (`ingest/world_gazetteer.py`), so simulated
    ships call exactly where a default store's gazetteer puts them."""
    from cargotrace.ingest.world_gazetteer import packaged_places

    world, curated = packaged_places()
    by_key: dict[str, Place] = {}
    for place in world:
        by_key[place.place_id] = place
        for alias in place.aliases:
            if locode_forms(alias)[:1] == [alias]:
                for form in locode_forms(alias):
                    by_key.setdefault(form, place)
    by_key.update({p.place_id: p for p in curated})
    return by_key


def _port(place: Place) -> Port:
    return Port(place.place_id, place.name, place.lat, place.lon, place.radius_m)


def _curated() -> dict[str, Port]:
    return {k: _port(p) for k, p in packaged_ports().items() if k.startswith("ct:")}


def _world_ports() -> list[Port]:
    seen: set[str] = set()
    ports = []
    for place in packaged_ports().values():
        if place.place_id not in seen and not place.place_id.startswith("ct:"):
            seen.add(place.place_id)
            ports.append(_port(place))
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
        return bbox, [_port(packaged_ports()[i]) for i in ids]
    try:
        lat_min, lat_max, lon_min, lon_max = (float(x) for x in region.split(","))
    except ValueError as exc:
        raise ParamsError(
            f"--region {region!r}: use a name ({', '.join(REGIONS)}) or "
            "LAT_MIN,LAT_MAX,LON_MIN,LON_MAX"
        ) from exc
    inside = [
        p
        for p in [*_curated().values(), *_world_ports()]
        if lat_min <= p.lat <= lat_max and lon_min <= p.lon <= lon_max
    ]
    if len(inside) < 2:
        raise ParamsError(f"--region {region}: fewer than two ports inside; widen the box")
    return (lat_min, lat_max, lon_min, lon_max), inside[:limit]
