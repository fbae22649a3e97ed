"""The `places` table: write a batch of places, list them, find them by name or near a point.

Why plain DuckDB SQL rather than Ibis here: the gazetteer is small (thousands of rows), the
queries are interactive look-ups rather than pipelines, and the haversine distance and the alias
matching read more clearly as SQL. Detectors that need places join `store.places` in Ibis.

Name matching is case-, accent- and punctuation-insensitive ("rajin sonbong" finds
"Rajin-Sonbong", "istanbul bogazi" finds "İstanbul Boğazı"): analysts copy names from reports
that spell them every possible way. Exact matches on the name rank before exact alias matches,
which rank before substring matches, so "Najin" lists the port itself before "Najin-Sonbong".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from cargotrace.errors import NotFoundError, ParamsError, StoreError
from cargotrace.geo.sql import haversine_sql
from cargotrace.store.schema import PLACES
from cargotrace.store.store import Store

# The sphere (geo/sphere.py) is within 0.56 % of WGS84 (docs/decisions/0008): far better than
# the 3 km port radius it is compared with, and cheap enough to compute on every row.

PLACE_COLUMNS = PLACES.names

WORLD_SOURCE_PREFIX = "world gazetteer "
"""Every row of the packaged world gazetteer cites itself with this prefix (its `source`)."""
ORIGINS = ("world", "curated", "user")
ORIGIN_SQL = (
    f"CASE WHEN starts_with(source, '{WORLD_SOURCE_PREFIX}') THEN 'world' "
    "WHEN starts_with(place_id, 'ct:') THEN 'curated' ELSE 'user' END"
)
"""Where a place came from, read from the row itself (no column to migrate): `world` (the
packaged world gazetteer), `curated` (the packaged, cited `ct:` places) or `user` (a file the
user loaded; a user row that reuses a `ct:` id counts as curated)."""

_NUMBER = r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))"
_LAT_LON = re.compile(rf"^\s*{_NUMBER}\s*,\s*{_NUMBER}\s*$")


@dataclass(frozen=True)
class Place:
    """One row of `places`. `kind` is a `PlaceKind` value (see `cargotrace.ingest.gazetteers`)."""

    place_id: str
    name: str
    aliases: tuple[str, ...]
    country: str | None  # ISO 3166-1 alpha-2, or None when the source gave none we could map
    kind: str
    lat: float
    lon: float
    radius_m: float
    watch_reason: str | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["aliases"] = list(self.aliases)
        return doc


@dataclass(frozen=True)
class PlaceMatch:
    """A place returned by a query; `distance_km` is set when the query was `near` a point."""

    place: Place
    distance_km: float | None = None
    origin: str = "user"  # one of ORIGINS

    def to_dict(self) -> dict[str, Any]:
        doc = self.place.to_dict() | {"origin": self.origin}
        if self.distance_km is not None:
            doc["distance_km"] = round(self.distance_km, 3)
        return doc


def _norm_sql(expr: str) -> str:
    """SQL that folds case, accents and runs of spaces/punctuation, for forgiving name matches.

    strip_accents leaves the Turkish dotless ı alone, so "Boğazı" needs its own fold.
    """
    folded = f"replace(strip_accents(lower({expr})), 'ı', 'i')"  # Turkish dotless i
    punctuation = r"[\s\-_.,''’/()]+"  # '' is a quote inside the SQL string literal
    return f"trim(regexp_replace({folded}, '{punctuation}', ' ', 'g'))"


def _haversine_sql(lat: str, lon: str) -> str:
    """Great-circle distance in km from ($lat, $lon) to the row's (lat, lon)."""
    return haversine_sql("$lat", "$lon", lat, lon)


def check_lat_lon(lat: float, lon: float, what: str = "position") -> None:
    """Raise ParamsError unless (lat, lon) is a real position in decimal degrees."""
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise ParamsError(f"{what}: latitude {lat} is outside -90..90")
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise ParamsError(f"{what}: longitude {lon} is outside -180..180")


def parse_lat_lon(text: str, flag: str = "--near") -> tuple[float, float]:
    """'42.88,132.34' -> (42.88, 132.34): the form analysts paste from maps, latitude first."""
    match = _LAT_LON.match(text)
    if match is None:
        raise ParamsError(
            f"{flag}: cannot read {text!r} as LAT,LON; use decimal degrees, latitude first, "
            "e.g. 43.11,131.89"
        )
    lat, lon = float(match.group(1)), float(match.group(2))
    check_lat_lon(lat, lon, flag)
    return lat, lon


def row_to_place(row: Sequence[Any]) -> Place:
    values = dict(zip(PLACE_COLUMNS, row, strict=True))
    values["aliases"] = tuple(values["aliases"] or ())
    return Place(**values)


def list_places(
    store: Store,
    *,
    near: tuple[float, float] | None = None,
    within_km: float | None = None,
    name: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    origin: str | None = None,
) -> list[PlaceMatch]:
    """Places filtered by any of: distance from `near` (≤ `within_km`), name/alias, kind,
    origin (`world`, `curated` or `user`, see ORIGIN_SQL).

    Distance is measured to the place's centre point, not to the edge of its radius, so the
    answer does not depend on how generous a gazetteer's radii are. Results are ordered by
    name-match quality, then distance, then name.
    """
    _check_filters(near, within_km, limit, origin)
    params, rank, where, distance = _filter_sql(near, within_km, name, kind, origin)
    cols = ", ".join(PLACE_COLUMNS)
    sql = f"""
        WITH q AS (SELECT {_norm_sql("$q") if "q" in params else "''"} AS q),
        p AS (
            SELECT *, {_norm_sql("name")} AS _n, {ORIGIN_SQL} AS origin,
                   [{_norm_sql("a")} FOR a IN coalesce(aliases, [])] AS _a
            FROM places
        ),
        scored AS (
            SELECT p.*, {rank} AS _rank, {distance} AS distance_km FROM p, q
        )
        SELECT {cols}, distance_km, origin FROM scored
        WHERE _rank IS NOT NULL AND {" AND ".join(where)}
        ORDER BY _rank, distance_km NULLS LAST, name, place_id
        {"LIMIT " + str(int(limit)) if limit is not None else ""}
    """
    rows = store.con.execute(sql, params).fetchall()
    return [PlaceMatch(row_to_place(row[:-2]), row[-2], row[-1]) for row in rows]


def _check_filters(near: tuple[float, float] | None, within_km: float | None,
                   limit: int | None, origin: str | None) -> None:
    """ParamsError naming the option when a filter of `list_places` cannot be applied."""
    if within_km is not None and near is None:
        raise ParamsError("--km needs --near LAT,LON")
    if near is not None:
        check_lat_lon(near[0], near[1], "--near")
        if within_km is None or not math.isfinite(within_km) or within_km <= 0:
            raise ParamsError(f"--km: must be a positive number of km, not {within_km}")
    if limit is not None and limit < 1:
        raise ParamsError(f"--limit: must be at least 1, not {limit}")
    if origin is not None and origin not in ORIGINS:
        raise ParamsError(f"--origin: {origin!r} is not one of {', '.join(ORIGINS)}")


def _filter_sql(
    near: tuple[float, float] | None, within_km: float | None, name: str | None,
    kind: str | None, origin: str | None,
) -> tuple[dict[str, Any], str, list[str], str]:
    """The query's bound values and its SQL pieces for the filters given: the name-match rank
    (0 when no name is asked; NULL drops the place), the WHERE terms and the distance column."""
    params: dict[str, Any] = {}
    rank = "0"
    where = ["TRUE"]
    distance = "NULL::DOUBLE"
    if name is not None and name.strip():
        params["q"] = name
        rank = (
            "CASE WHEN _n = q.q THEN 0 WHEN list_contains(_a, q.q) THEN 1 "
            "WHEN contains(_n, q.q) THEN 2 "
            "WHEN len(list_filter(_a, lambda s: contains(s, q.q))) > 0 THEN 3 END"
        )
    if near is not None:
        params.update(lat=near[0], lon=near[1], km=within_km)
        distance = _haversine_sql("p.lat", "p.lon")
        where.append("distance_km <= $km")
    if kind is not None:
        params["kind"] = kind
        where.append("kind = $kind")
    if origin is not None:
        params["origin"] = origin
        where.append("origin = $origin")
    return params, rank, where, distance


def find_places(store: Store, text: str) -> list[Place]:
    """Places whose name or an alias matches `text` (exact matches first, then substrings)."""
    return [match.place for match in list_places(store, name=text)]


def places_near(store: Store, lat: float, lon: float, within_km: float) -> list[PlaceMatch]:
    """Places whose centre is within `within_km` of (lat, lon), nearest first."""
    return list_places(store, near=(lat, lon), within_km=within_km)


def get_place(store: Store, place_id: str) -> Place:
    """The place with this id, or NotFoundError."""
    rows = store.con.execute(
        f"SELECT {', '.join(PLACE_COLUMNS)} FROM places WHERE place_id = ?", [place_id]
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no place {place_id!r}; list places with `cargotrace places list`")
    return row_to_place(rows[0])


def upsert_places(store: Store, places: Sequence[Place]) -> int:
    """Write `places` in one transaction, replacing rows with the same place_id.

    Returns how many rows were replaced. Replacing (not skipping) makes a re-load of a
    corrected gazetteer take effect, and keying on place_id makes a re-load add no rows.
    """
    if not places:
        return 0
    import pyarrow as pa  # here, not at the top: `places list` starts faster without it

    columns: dict[str, list[Any]] = {col: [] for col in PLACE_COLUMNS}
    for place in places:
        for col in PLACE_COLUMNS:
            value = getattr(place, col)
            columns[col].append(list(value) if col == "aliases" else value)
    view = "_cargotrace_places_batch"
    con = store.con
    # BEGIN first: it also finishes any result a caller left half-read on this connection,
    # which DuckDB 2 requires before register().
    con.execute("BEGIN TRANSACTION")
    try:
        try:
            con.register(view, pa.table(columns, schema=PLACES.arrow_schema()))
            replaced = con.execute(
                f"SELECT count(*) FROM places WHERE place_id IN (SELECT place_id FROM {view})"
            ).fetchall()[0][0]
            cols = ", ".join(PLACE_COLUMNS)
            con.execute(f"INSERT OR REPLACE INTO places ({cols}) SELECT {cols} FROM {view}")
        finally:
            con.unregister(view)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"{store.path}: could not write places ({exc})") from exc
    return int(replaced)


def drop_overridden(
    store: Store, places: Sequence[Place], locodes: set[str], origins: Sequence[str]
) -> int:
    """Delete the places of `origins` that `places` (just written) override by UN/LOCODE.

    A place carries its UN/LOCODE as the alias "KP RJN" (both spellings, see
    `place_codes.locode_forms`); the spaced one is matched, since no port name looks like it.
    Returns how many rows were deleted.
    """
    if not places or not locodes or not origins:
        return 0
    params = {"codes": sorted(locodes), "ids": [p.place_id for p in places],
              "origins": list(origins)}
    where = (f"{ORIGIN_SQL} IN (SELECT unnest($origins)) "
             "AND NOT list_contains($ids, place_id) "  # NULL-safe, unlike NOT IN
             "AND len(list_intersect(coalesce(aliases, []), $codes)) > 0")
    con = store.con
    n = int(con.execute(f"SELECT count(*) FROM places WHERE {where}", params).fetchall()[0][0])
    if n:
        con.execute(f"DELETE FROM places WHERE {where}", params)
    return n

