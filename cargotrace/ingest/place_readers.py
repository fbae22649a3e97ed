"""Gazetteer file formats -> raw rows: WPI CSV, GeoJSON points, plain CSV.

Why apart from `ingest/gazetteers.py`: this module only knows file layouts (which column holds
the name, where GeoJSON keeps coordinates); validation, defaults and the store live there. A raw
row keeps values as found, so a bad value is reported with what the file actually said.
A file whose *layout* is unusable raises UnreadableInputError here, with one line saying why.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.place_kinds import PlaceFormat as PlaceFormat  # re-exported: it lived here
from cargotrace.store.place_codes import locode_forms


@dataclass
class RawPlace:
    """One row or feature as the file gave it, before validation."""

    row: int  # CSV: line number (header = 1); GeoJSON: feature number (first = 1)
    name: Any = None
    lat: Any = None
    lon: Any = None
    place_id: str | None = None  # an id the file states (WPI number, place_id column, ...)
    derived_key: str = ""  # what to build an id from when the file states none (a LOCODE)
    aliases: list[str] = field(default_factory=list)
    country: Any = None
    kind: Any = None
    radius_m: Any = None
    watch_reason: Any = None
    source: Any = None
    geometry: str | None = None  # set to the GeoJSON type when it is not a Point


WPI_COLUMNS = ("World Port Index Number", "Main Port Name", "Latitude", "Longitude")
SNIFF_CHARS = 64 * 1024
_LAT_NAMES = ("lat", "latitude")
_LON_NAMES = ("lon", "lng", "long", "longitude")


def slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.strip().lower()).strip("-") or "place"


def read_text(path: Path) -> str:
    """The whole file as text (UTF-8, BOM dropped: the WPI export starts with one)."""
    if not path.exists():
        raise UnreadableInputError(f"{path}: no such file")
    if not path.is_file():
        raise UnreadableInputError(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableInputError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8"
        ) from exc
    if not text.strip():
        raise UnreadableInputError(
            f"{path}: the file is empty; expected a World Port Index CSV, GeoJSON, or a CSV "
            "with name, lat, lon columns"
        )
    return text


def detect_place_format(text: str) -> PlaceFormat:
    """GeoJSON starts with '{'; the WPI export is recognised by its own column names.

    Content, not the file name, decides: exports arrive as .txt, .json or with no extension.
    """
    head = text[:SNIFF_CHARS].lstrip()
    if head.startswith("{"):
        return PlaceFormat.GEOJSON
    first_line = head.splitlines()[0] if head else ""
    if all(col in first_line for col in WPI_COLUMNS):
        return PlaceFormat.WPI
    return PlaceFormat.CSV


def read_raw_places(path: Path, text: str, fmt: PlaceFormat) -> Iterator[RawPlace]:
    """Raw rows of `text` (the content of `path`) read as `fmt` (not AUTO)."""
    if fmt is PlaceFormat.WPI:
        return _read_wpi(path, text)
    if fmt is PlaceFormat.GEOJSON:
        return _read_geojson(path, text)
    if fmt is PlaceFormat.CSV:
        return _read_csv(path, text)
    raise ValueError(f"read_raw_places needs a concrete format, not {fmt}")


def _found(columns: Iterable[str]) -> str:
    cols = list(columns)
    return ", ".join(cols[:12]) + (", …" if len(cols) > 12 else "")


def _split(value: Any) -> list[str]:
    """Aliases given as a list or as one 'a; b; c' string."""
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return str(value).split(";") if value not in (None, "") else []


def _csv_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and (line number, fields) of each non-blank row; ',', ';' or tab delimited."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    return header, ((reader.line_num, row) for row in reader if any(v.strip() for v in row))


def _getter(col: dict[str, int], row: list[str]) -> Any:
    def get(name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""
    return get


def _wpi_id(number: str) -> str | None:
    """'wpi:60510'. Some WPI numbers are fractional (49454.5 Kattupalli next to 49454 Kamarajar)."""
    try:
        value = float(number)
    except ValueError:
        return None
    return "wpi:" + f"{value:.3f}".rstrip("0").rstrip(".") if math.isfinite(value) else None


def _read_wpi(path: Path, text: str) -> Iterator[RawPlace]:
    header, rows = _csv_rows(text)
    missing = [c for c in WPI_COLUMNS if c not in header]
    if missing:
        raise UnreadableInputError(
            f"{path}: not a World Port Index CSV (no {missing[0]!r} column; found: "
            f"{_found(header)}); pass --format csv or --format geojson"
        )
    col = {name: i for i, name in enumerate(header)}
    return (_wpi_row(line, _getter(col, row)) for line, row in rows)


def _wpi_row(line: int, get: Any) -> RawPlace:
    locode = get("UN/LOCODE")
    return RawPlace(
        line, name=get("Main Port Name"), lat=get("Latitude"), lon=get("Longitude"),
        place_id=_wpi_id(get("World Port Index Number")), derived_key=locode.replace(" ", ""),
        aliases=[*_split(get("Alternate Port Name")), *locode_forms(locode)],
        country=get("Country Code"), kind="seaport",
    )


def _read_csv(path: Path, text: str) -> Iterator[RawPlace]:
    header, rows = _csv_rows(text)
    col = {name.lower(): i for i, name in enumerate(header)}
    lat = next((n for n in _LAT_NAMES if n in col), None)
    lon = next((n for n in _LON_NAMES if n in col), None)
    fix = f"(found: {_found(header)}); rename a column to"
    other = "or pass --format wpi|geojson if the file is one of those"
    if lat is None:
        raise UnreadableInputError(f"{path}: no latitude column {fix} lat or latitude, {other}")
    if lon is None:
        raise UnreadableInputError(f"{path}: no longitude column {fix} lon or longitude, {other}")
    if "name" not in col:
        raise UnreadableInputError(f"{path}: no name column {fix} name, {other}")
    for line, row in rows:
        get = _getter(col, row)
        locode = get("locode") or get("unlocode")
        yield RawPlace(
            line, name=get("name"), lat=get(lat), lon=get(lon),
            place_id=get("place_id") or None, derived_key=locode.replace(" ", ""),
            aliases=[*_split(get("aliases")), *locode_forms(locode)],
            country=get("country"), kind=get("kind"), radius_m=get("radius_m"),
            watch_reason=get("watch_reason"), source=get("source"),
        )


def _read_geojson(path: Path, text: str) -> Iterator[RawPlace]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableInputError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); pass --format csv if it "
            "is a CSV file"
        ) from exc
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if kind == "Feature":
        features = [doc]
    elif kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise UnreadableInputError(
            f"{path}: GeoJSON of type {kind!r}; expected a FeatureCollection of Point features"
        )
    return (_feature_row(path, n, f) for n, f in enumerate(features, start=1))


def _feature_row(path: Path, number: int, feature: Any) -> RawPlace:
    feature = feature if isinstance(feature, dict) else {}
    props = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        coords = [None, None]
    code = str(props.get("locode") or props.get("port") or "")
    feature_id = feature.get("id")
    return RawPlace(
        number, name=props.get("name"), lat=coords[1], lon=coords[0],
        place_id=props.get("place_id") or (
            f"{slug(path.stem)}:{feature_id}" if feature_id is not None else None),
        derived_key=code.replace(" ", ""),
        aliases=[*_split(props.get("aliases")), *locode_forms(code)],
        country=props.get("country") or props.get("cty"), kind=props.get("kind"),
        radius_m=props.get("radius_m"), watch_reason=props.get("watch_reason"),
        source=props.get("source"),
        geometry=None if geometry.get("type") in (None, "Point") else str(geometry.get("type")),
    )
