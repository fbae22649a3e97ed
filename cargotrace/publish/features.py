"""Store rows → format-neutral map features: the one input of every exporter and the SVG map.

Why a neutral layer: GeoJSON, KML, GeoParquet, CSV and the report's map all draw the same
things (events, vessel tracks, route legs, places). Building them once keeps the geometry rules
(where an event sits, when a track is cut, which sources must be credited) in one place, and
lets a caller that already holds features — a case file, the report — write any format by
passing its own list.

Coordinates are (lon, lat) in WGS 84 degrees, longitudes as stored (the writers cut lines at the
antimeridian). Property values are Python scalars, `datetime`s (UTC), or lists/dicts that the
writers flatten to JSON text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from cargotrace.errors import ParamsError
from cargotrace.geo.sphere import KM_PER_NM, distance_km
from cargotrace.publish.params import ExportParams
from cargotrace.store.schema import POSITIONS
from cargotrace.store.store import Store

__all__ = [
    "Feature", "FeatureSet", "GeomType", "Layer", "event_features",
    "place_features", "position_features", "route_features", "select_events",
    "select_positions", "select_places", "track_features",
]

LonLat = tuple[float, float]


class Layer(StrEnum):
    """What a feature shows; the SVG map draws layers in this order (places on top)."""

    ROUTE = "route"
    TRACK = "track"
    POSITION = "position"
    EVENT = "event"
    PLACE = "place"


class GeomType(StrEnum):
    POINT = "Point"
    LINE = "LineString"
    NONE = "None"  # an event with no location (e.g. a sanctions match)


@dataclass(frozen=True)
class Feature:
    """One thing on a map. `times` (tracks only) holds one UTC time per coordinate."""

    layer: Layer
    geom_type: GeomType
    coords: tuple[LonLat, ...]
    properties: dict[str, Any]
    name: str = ""
    start: datetime | None = None
    end: datetime | None = None
    times: tuple[datetime, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.coords)
        if self.geom_type is GeomType.POINT and n != 1:
            raise ParamsError(f"a point feature needs 1 coordinate, got {n}")
        if self.geom_type is GeomType.LINE and n < 2:
            raise ParamsError(f"a line feature needs >= 2 coordinates, got {n}")
        if self.times is not None and len(self.times) != n:
            raise ParamsError(f"{len(self.times)} times for {n} coordinates")

    @property
    def mode(self) -> str:
        """A route leg's mode (sea, rail, road, ferry); '' for other layers."""
        return str(self.properties.get("mode") or "") if self.layer is Layer.ROUTE else ""


@dataclass
class FeatureSet:
    """Features plus the sources their geometry comes from (written into every export)."""

    features: list[Feature] = field(default_factory=list)
    attribution: list[str] = field(default_factory=list)
    title: str = "cargotrace export"

    def extend(self, other: FeatureSet) -> None:
        self.features.extend(other.features)
        self.attribution.extend(a for a in other.attribution if a not in self.attribution)


def _finite(*values: object) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def _json_obj(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        loaded = json.loads(value) if value else {}
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}


# --- events ---------------------------------------------------------------------------------

EVENT_COLUMNS = ("event_id", "kind", "mmsi", "vessel_name", "other_mmsi", "other_vessel_name",
                 "start", "end", "place_id", "confidence", "pipeline_version")
MAX_LABEL_CHARS = 40  # a vessel name in a label (AIS names have 20; list and CSV names more)


def select_events(
    store: Store, kinds: Sequence[str] = (), mmsis: Sequence[int] = (),
    since: datetime | None = None, until: datetime | None = None, overlapping: bool = False,
) -> list[dict[str, Any]]:
    """Event rows (attrs/params parsed), filtered like `cargotrace events`, oldest first, with
    `vessel_name` and `other_vessel_name`: the latest AIS name each vessel sent at or before the
    event's start (its first name when it had sent none yet), so a map can say who, not only
    which MMSI.

    A vessel filter also matches the second vessel of an encounter (`other_mmsi`). By default
    an event is in [since, until) when it starts there; with `overlapping`, when any part of it
    is (a dark voyage that began before a case and covers it belongs to the case).
    """
    where: list[str] = ["true"]
    args: list[object] = []
    if kinds:
        where.append("list_contains(?, kind)")
        args.append(list(kinds))
    if mmsis:
        where.append("(list_contains(?, mmsi) OR list_contains(?, other_mmsi))")
        args += [list(mmsis), list(mmsis)]
    if since is not None:
        where.append('("end" IS NULL OR "end" >= ?)' if overlapping else "start >= ?")
        args.append(since)
    if until is not None:
        where.append("start < ?")
        args.append(until)
    cur = store.con.execute(f"""
        WITH named AS (SELECT mmsi, ts, name FROM vessel_reports WHERE name IS NOT NULL),
        first_named AS (SELECT mmsi, arg_min(name, ts) AS name FROM named GROUP BY mmsi),
        e AS (SELECT * FROM events WHERE {' AND '.join(where)})
        SELECT e.*, coalesce(a.name, f.name) AS vessel_name,
               coalesce(b.name, g.name) AS other_vessel_name
        FROM e ASOF LEFT JOIN named a ON e.mmsi = a.mmsi AND e.start >= a.ts
        LEFT JOIN first_named f ON e.mmsi = f.mmsi
        ASOF LEFT JOIN named b ON e.other_mmsi = b.mmsi AND e.start >= b.ts
        LEFT JOIN first_named g ON e.other_mmsi = g.mmsi
        ORDER BY e.start, e.kind, e.mmsi, e.event_id""", args)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["attrs"] = _json_obj(row.get("attrs"))
        row["params"] = _json_obj(row.get("params"))
    return rows


def vessel_label(name: object, mmsi: object) -> str:
    """'ANGARA (MMSI 273950540)', or 'MMSI 273950540' when no name is known; long names cut."""
    text = " ".join(str(name or "").split())
    if len(text) > MAX_LABEL_CHARS:
        text = text[:MAX_LABEL_CHARS - 1] + "…"
    return f"{text} (MMSI {mmsi})" if text else f"MMSI {mmsi}"


def _event_name(row: dict[str, Any]) -> str:
    """'encounter ANGARA (MMSI 273950540) and SOLAR (MMSI 273…)', 'gap MMSI 273950540'."""
    name = f"{row['kind']} {vessel_label(row.get('vessel_name'), row['mmsi'])}"
    if row.get("other_mmsi") is not None:
        name += f" and {vessel_label(row.get('other_vessel_name'), row['other_mmsi'])}"
    return name


def event_features(rows: Iterable[dict[str, Any]]) -> FeatureSet:
    """Events as points at their location, or lines from the start to the end position when the
    event knows both (gaps, dark voyages: `attrs.end_lat`/`end_lon`); events without a location
    keep their attributes and no geometry. `attrs` keys become properties (an `attr_` prefix
    only where a key collides with an events column); `params` stays one JSON text."""
    out = FeatureSet(title="cargotrace events")
    for row in rows:
        attrs = row.get("attrs") or {}
        props: dict[str, Any] = {c: row.get(c) for c in EVENT_COLUMNS}
        for key, value in attrs.items():
            props[f"attr_{key}" if key in props or key in ("lat", "lon") else key] = value
        props["params"] = json.dumps(row.get("params") or {}, sort_keys=True, default=str)
        lat, lon = row.get("lat"), row.get("lon")
        end_lat, end_lon = attrs.get("end_lat"), attrs.get("end_lon")
        coords: tuple[LonLat, ...] = ()
        geom = GeomType.NONE
        if _finite(lat, lon) and _finite(end_lat, end_lon) and (end_lat, end_lon) != (lat, lon):
            geom, coords = GeomType.LINE, ((lon, lat), (end_lon, end_lat))  # type: ignore[assignment]
        elif _finite(lat, lon):
            geom, coords = GeomType.POINT, ((lon, lat),)  # type: ignore[assignment]
        name = _event_name(row)
        out.features.append(Feature(Layer.EVENT, geom, coords, props, name=name,
                                    start=row.get("start"), end=row.get("end")))
    return out


# --- positions and tracks -------------------------------------------------------------------

# the stored columns, less the internal ingest number (a position carries its file's SHA-256)
POSITION_COLUMNS = tuple(c for c in POSITIONS.names if c != "ingest_id")


def select_positions(
    store: Store, mmsis: Sequence[int], since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Located positions of these vessels in time order (rows without lat/lon are left out),
    with the SHA-256 of the file each came from (`source_sha256`, from `ingests`)."""
    where = ["list_contains(?, mmsi)", "lat IS NOT NULL", "lon IS NOT NULL"]
    args: list[object] = [list(mmsis)]
    if since is not None:
        where.append("ts >= ?")
        args.append(since)
    if until is not None:
        where.append("ts < ?")
        args.append(until)
    cur = store.con.execute(
        f"SELECT {', '.join('p.' + c for c in POSITION_COLUMNS)}, i.sha256 AS source_sha256 "
        f"FROM positions p LEFT JOIN ingests i USING (ingest_id) WHERE {' AND '.join(where)} "
        "ORDER BY p.mmsi, p.ts", args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def file_name(path: object) -> str | None:
    """The last part of a path written on any system ('/home/a/x.nmea', 'C:\\a\\x.nmea' ->
    'x.nmea'); None stays None."""
    if path is None:
        return None
    return re.split(r"[\\/]", str(path).rstrip("\\/"))[-1] or str(path)


def position_features(rows: Iterable[dict[str, Any]]) -> FeatureSet:
    """One point per position (the table formats' view of `positions`). `source` is the file's
    name only: the store keeps the path it was ingested from, and an export that is shared must
    not reveal the analyst's folders; `source_sha256` identifies the exact file."""
    out = FeatureSet(title="cargotrace positions")
    for row in rows:
        props = {c: row.get(c) for c in POSITION_COLUMNS if c not in ("lat", "lon")}
        props["source"] = file_name(props["source"])
        props["source_sha256"] = row.get("source_sha256")
        out.features.append(Feature(Layer.POSITION, GeomType.POINT, ((row["lon"], row["lat"]),),
                                    props, name=str(row["mmsi"]), start=row["ts"]))
    return out


def _cut(a: dict[str, Any], b: dict[str, Any], params: ExportParams) -> bool:
    dt_s = (b["ts"] - a["ts"]).total_seconds()
    if dt_s > params.track_split_h * 3600:
        return True
    nm = distance_km(a["lat"], a["lon"], b["lat"], b["lon"]) / KM_PER_NM
    return bool(nm > params.track_max_speed_kn * max(dt_s, 1.0) / 3600)


def track_features(rows: Iterable[dict[str, Any]], params: ExportParams | None = None,
                   names: dict[int, str] | None = None) -> FeatureSet:
    """Each vessel's positions as time-stamped lines, cut where the track falls silent for more
    than `track_split_h` or jumps faster than `track_max_speed_kn` (rows ordered by mmsi, ts,
    as `select_positions` gives them)."""
    params = params or ExportParams()
    names = names or {}
    out = FeatureSet(title="cargotrace tracks")
    pieces: list[list[dict[str, Any]]] = []
    for row in rows:
        last = pieces[-1][-1] if pieces else None
        if last is None or last["mmsi"] != row["mmsi"] or _cut(last, row, params):
            pieces.append([])
        pieces[-1].append(row)
    seq: dict[int, int] = {}
    for piece in pieces:
        if len(piece) < params.track_min_points:
            continue
        mmsi = int(piece[0]["mmsi"])
        seq[mmsi] = seq.get(mmsi, 0) + 1
        start, end = piece[0]["ts"], piece[-1]["ts"]
        props = {"mmsi": mmsi, "vessel_name": names.get(mmsi), "piece": seq[mmsi],
                 "start": start, "end": end, "n_positions": len(piece),
                 "duration_h": round((end - start).total_seconds() / 3600, 3)}
        label = vessel_label(names.get(mmsi), mmsi)
        out.features.append(Feature(
            Layer.TRACK, GeomType.LINE, tuple((r["lon"], r["lat"]) for r in piece), props,
            name=f"{label} track {seq[mmsi]}", start=start, end=end,
            times=tuple(r["ts"] for r in piece)))
    return out


# --- places and routes ----------------------------------------------------------------------

def select_places(store: Store, place_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Places rows (all, or these ids)."""
    sql = ("SELECT place_id, name, country, kind, lat, lon, radius_m, watch_reason, source "
           "FROM places")
    args: list[object] = []
    if place_ids is not None:
        sql += " WHERE list_contains(?, place_id)"
        args.append(list(place_ids))
    cur = store.con.execute(sql + " ORDER BY place_id", args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def place_features(rows: Iterable[dict[str, Any]]) -> FeatureSet:
    out = FeatureSet(title="cargotrace places")
    for row in rows:
        props = {k: row.get(k) for k in ("place_id", "name", "country", "kind", "radius_m",
                                          "watch_reason", "source")}
        out.features.append(Feature(Layer.PLACE, GeomType.POINT, ((row["lon"], row["lat"]),),
                                    props, name=str(row["name"])))
    return out


def route_features(routes: Sequence[Any]) -> FeatureSet:
    """One line per leg of each `cargotrace.routes.Route`, with the route's rank and totals.

    Any route using rail adds the OpenStreetMap (ODbL) credit; sea legs the MARNET credit.
    """
    from cargotrace.routes.output import attribution

    out = FeatureSet(title="cargotrace routes", attribution=attribution(list(routes)))
    for route in routes:
        for i, leg in enumerate(route.legs):
            if len(leg.coords) < 2:
                continue
            t = leg.time
            props = {
                "route_rank": route.rank, "route_summary": route.summary, "leg_index": i,
                "mode": leg.mode, "from": leg.from_name, "to": leg.to_name,
                "from_id": leg.from_id, "to_id": leg.to_id,
                "distance_km": round(leg.distance_km, 1), "p10_h": round(t.p10_h, 1),
                "p50_h": round(t.p50_h, 1), "p90_h": round(t.p90_h, 1),
                "route_p50_h": round(route.time.p50_h, 1),
                "countries": ",".join(leg.countries),
                "chokepoints": ",".join(c.name for c in leg.chokepoints),
                "border_crossings": ",".join(c.name for c in leg.crossings),
                "note": leg.note,
            }
            out.features.append(Feature(
                Layer.ROUTE, GeomType.LINE, tuple((float(x), float(y)) for x, y in leg.coords),
                props, name=f"route {route.rank} leg {i + 1}: {leg.mode} {leg.from_name} → "
                            f"{leg.to_name}"))
    return out
