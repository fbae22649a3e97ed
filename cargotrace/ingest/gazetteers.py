"""Load gazetteers into `places`: the NGA World Port Index CSV, GeoJSON points and plain CSV.

Why three formats: the World Port Index is the one authoritative, public-domain port list;
GeoJSON is what map tools and other gazetteers (searoute, OSM exports) emit; a plain CSV is what
an analyst writes by hand for the places no gazetteer has (Dunay, a depot, a rail crossing).

Loading is an upsert keyed on place_id in one transaction, so re-loading a file adds no rows and a
corrected file replaces what it corrects. A row that cannot become a place (no coordinates,
latitude 200, ...) is counted in the summary with its row number and reason: never dropped
silently. A file we cannot read at all raises UnreadableInputError with one line saying why.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from cargotrace.errors import ParamsError
from cargotrace.ingest.place_kinds import PlaceFormat, PlaceKind
from cargotrace.ingest.place_readers import (
    RawPlace,
    detect_place_format,
    read_raw_places,
    read_text,
    slug,
)
from cargotrace.store.place_codes import country_iso2, locode_forms
from cargotrace.store.places import Place, drop_overridden, upsert_places
from cargotrace.store.store import Store

__all__ = [
    "DEFAULT_RADIUS_M", "PlaceFormat", "PlaceKind", "PlacesLoadSummary", "SkipReason",
    "SkippedRow", "load_curated_gazetteer", "load_places",
]

logger = logging.getLogger(__name__)


# Radius used when a row gives none. Ports: DESIGN's port visit enters within 3 km. Crossings
# and terminals are compact; a chokepoint must cover the whole strait from its midpoint.
DEFAULT_RADIUS_M: dict[PlaceKind, float] = {
    PlaceKind.SEAPORT: 3000.0, PlaceKind.ANCHORAGE: 3000.0, PlaceKind.RAIL_TERMINAL: 1500.0,
    PlaceKind.BORDER_CROSSING: 2000.0, PlaceKind.DEPOT: 2000.0, PlaceKind.NAVAL_BASE: 3000.0,
    PlaceKind.CHOKEPOINT: 20000.0, PlaceKind.UNKNOWN: 3000.0,
}


class SkipReason(StrEnum):
    """Why a row did not become a place (reported in the load summary, row by row)."""

    MISSING_NAME = "missing_name"
    MISSING_COORDINATES = "missing_coordinates"
    UNPARSEABLE_COORDINATES = "unparseable_coordinates"
    LAT_OUT_OF_RANGE = "lat_out_of_range"
    LON_OUT_OF_RANGE = "lon_out_of_range"
    BAD_RADIUS = "bad_radius"  # radius_m given but not a positive number
    UNSUPPORTED_GEOMETRY = "unsupported_geometry"  # a GeoJSON feature that is not a Point
    DUPLICATE_PLACE_ID = "duplicate_place_id"  # an explicit id seen earlier in the same file


@dataclass(frozen=True)
class SkippedRow:
    row: int  # CSV: line number (header = 1); GeoJSON: feature number (first = 1)
    reason: SkipReason
    detail: str


@dataclass
class PlacesLoadSummary:
    path: str
    format: PlaceFormat
    rows_read: int = 0
    loaded: int = 0  # places written: new ones plus replaced ones
    replaced: int = 0  # places that already existed with the same place_id
    overridden: int = 0  # packaged places (world, curated) dropped for a row's UN/LOCODE
    skipped: list[SkippedRow] = field(default_factory=list)
    unmapped_countries: Counter[str] = field(default_factory=Counter)  # stored as NULL
    unknown_kinds: Counter[str] = field(default_factory=Counter)  # stored as "unknown"

    @property
    def inserted(self) -> int:
        return self.loaded - self.replaced

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(str(s.reason) for s in self.skipped).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "format": str(self.format), "rows_read": self.rows_read,
            "loaded": self.loaded, "inserted": self.inserted, "replaced": self.replaced,
            "overridden": self.overridden,
            "skipped": len(self.skipped), "skipped_by_reason": self.skipped_by_reason(),
            "skipped_rows": [
                {"row": s.row, "reason": str(s.reason), "detail": s.detail} for s in self.skipped
            ],
            "unmapped_countries": dict(self.unmapped_countries),
            "unknown_kinds": dict(self.unknown_kinds),
        }


def clean_aliases(name: str, values: Iterable[str]) -> tuple[str, ...]:
    """The aliases as stored: stripped, without blanks, the name or a case-insensitive repeat."""
    seen = {name.strip().lower()}
    out: list[str] = []
    for value in values:
        alias = value.strip()
        if alias and alias.lower() not in seen:
            seen.add(alias.lower())
            out.append(alias)
    return tuple(out)


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _float(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


@dataclass
class _Builder:
    """Turns raw rows of one file into places, collecting what was skipped and why."""

    path: Path
    default_kind: PlaceKind | None
    default_source: str
    places: list[Place] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    rows_read: int = 0
    unmapped_countries: Counter[str] = field(default_factory=Counter)
    unknown_kinds: Counter[str] = field(default_factory=Counter)
    locodes: set[str] = field(default_factory=set)  # "KP RJN" form, of the rows kept
    _ids: set[str] = field(default_factory=set)

    def skip(self, row: int, reason: SkipReason, detail: str) -> None:
        self.skipped.append(SkippedRow(row, reason, detail))

    def add(self, raw: RawPlace) -> None:
        self.rows_read += 1
        row, name = raw.row, str(raw.name or "").strip()
        if raw.geometry is not None:
            self.skip(row, SkipReason.UNSUPPORTED_GEOMETRY,
                      f"{name}: {raw.geometry}; only Point features become places")
            return
        if not name:
            self.skip(row, SkipReason.MISSING_NAME, "no name")
            return
        lat, lon = _float(raw.lat), _float(raw.lon)
        if lat is None or lon is None:
            self.skip(row, SkipReason.MISSING_COORDINATES, f"{name}: no latitude/longitude")
            return
        if not (math.isfinite(lat) and math.isfinite(lon)):
            self.skip(row, SkipReason.UNPARSEABLE_COORDINATES,
                      f"{name}: lat={raw.lat!r} lon={raw.lon!r}")
            return
        if not -90.0 <= lat <= 90.0:
            self.skip(row, SkipReason.LAT_OUT_OF_RANGE, f"{name}: lat={lat:g}")
            return
        if not -180.0 <= lon <= 180.0:
            self.skip(row, SkipReason.LON_OUT_OF_RANGE, f"{name}: lon={lon:g}")
            return
        radius = _float(raw.radius_m)
        if radius is not None and not (math.isfinite(radius) and radius > 0):
            self.skip(row, SkipReason.BAD_RADIUS, f"{name}: radius_m={raw.radius_m!r}")
            return
        pid = self._place_id(row, raw.place_id, raw.derived_key or slug(name))
        if pid is None:
            return
        kind = self._kind(raw.kind)
        self.locodes.update(locode_forms(raw.derived_key)[:1])
        self.places.append(Place(
            place_id=pid, name=name, aliases=clean_aliases(name, raw.aliases),
            country=self._country(raw.country), kind=str(kind), lat=lat, lon=lon,
            radius_m=radius if radius is not None else DEFAULT_RADIUS_M[kind],
            watch_reason=_text(raw.watch_reason),
            source=_text(raw.source) or self.default_source,
        ))

    def _country(self, country: Any) -> str | None:
        text = _text(country)
        iso2 = country_iso2(text)
        if text and iso2 is None:
            self.unmapped_countries[text] += 1
        return iso2

    def _kind(self, kind: Any) -> PlaceKind:
        if kind in (None, ""):
            return self.default_kind or PlaceKind.UNKNOWN
        parsed = PlaceKind.parse(str(kind))
        if parsed is None:
            self.unknown_kinds[str(kind).strip()] += 1
            return PlaceKind.UNKNOWN
        return parsed

    def _place_id(self, row: int, explicit: str | None, derived_key: str) -> str | None:
        """An explicit id must be unique in the file; a derived one gets a :2, :3 suffix.

        Derived ids come from a UN/LOCODE or the name, which distinct places can share
        (searoute lists two ports under MOMFM), so repeats are numbered, not dropped.
        """
        if explicit:
            if explicit in self._ids:
                self.skip(row, SkipReason.DUPLICATE_PLACE_ID, f"{explicit} repeats an earlier row")
                return None
            self._ids.add(explicit)
            return explicit
        base = f"{slug(self.path.stem)}:{derived_key}"
        pid, n = base, 1
        while pid in self._ids:
            n += 1
            pid = f"{base}:{n}"
        self._ids.add(pid)
        return pid


def load_places(
    store: Store,
    path: str | Path,
    format: PlaceFormat | str = PlaceFormat.AUTO,
    *,
    kind: PlaceKind | None = None,
    source: str | None = None,
    overrides: tuple[str, ...] = ("world", "curated"),
) -> PlacesLoadSummary:
    """Read a gazetteer file and upsert its places into `store` in one transaction.

    `kind` and `source` apply to rows that do not give their own (the WPI is all seaports and
    cites itself). The summary counts what was loaded, replaced and skipped, with reasons.
    A loaded row replaces the row with its place_id, and also the packaged places (of the
    `overrides` origins) that carry its UN/LOCODE: the user's Vladivostok is the one used.
    """
    store.require_writable("load places")
    path = Path(path)
    text = read_text(path)
    builder, fmt = read_places(path, text, format, kind=kind, source=source)
    return _store(store, path, builder, fmt, overrides)


def _store(
    store: Store, path: Path, builder: _Builder, fmt: PlaceFormat, overrides: tuple[str, ...]
) -> PlacesLoadSummary:
    replaced = upsert_places(store, builder.places)
    overridden = drop_overridden(store, builder.places, builder.locodes, overrides)
    summary = PlacesLoadSummary(
        path=str(path), format=fmt, rows_read=builder.rows_read, loaded=len(builder.places),
        replaced=replaced, overridden=overridden, skipped=builder.skipped,
        unmapped_countries=builder.unmapped_countries, unknown_kinds=builder.unknown_kinds,
    )
    logger.info("places %s: %s", path, summary.to_dict() | {"skipped_rows": "…"})
    return summary


def read_places(
    path: Path,
    text: str,
    format: PlaceFormat | str = PlaceFormat.AUTO,
    *,
    kind: PlaceKind | None = None,
    source: str | None = None,
) -> tuple[_Builder, PlaceFormat]:
    """The places of `text` (the content of `path`), validated, and the format read."""
    try:
        fmt = PlaceFormat(format)
    except ValueError as exc:
        raise ParamsError(
            f"--format: {format!r} is not one of {', '.join(f.value for f in PlaceFormat)}"
        ) from exc
    if fmt is PlaceFormat.AUTO:
        fmt = detect_place_format(text)
    default_source = source or (
        f"NGA World Port Index (Pub. 150), {path.name}" if fmt is PlaceFormat.WPI else path.name
    )
    builder = _Builder(path=path, default_kind=kind, default_source=default_source)
    for raw in read_raw_places(path, text, fmt):
        builder.add(raw)
    return builder, fmt


def curated_places() -> tuple[Place, ...]:
    """The small gazetteer shipped in the package (data/gazetteer.csv, every row cited), at
    its cited coordinates: each port's radius already covers the water off it."""
    return tuple(_read_curated().places)


def _read_curated() -> _Builder:
    text = resources.files("cargotrace").joinpath("data", "gazetteer.csv").read_text("utf-8")
    builder, _ = read_places(Path("gazetteer.csv"), text, PlaceFormat.CSV)
    return builder


def load_curated_gazetteer(store: Store) -> PlacesLoadSummary:
    """Load (again) the curated gazetteer: its rows replace those with their place_id, and
    the world gazetteer's rows for the same ports (by UN/LOCODE)."""
    builder = _read_curated()
    return _store(store, Path("gazetteer.csv"), builder, PlaceFormat.CSV, ("world",))
