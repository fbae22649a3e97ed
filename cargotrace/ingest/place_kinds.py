"""What a place is (`PlaceKind`) and which files describe places (`PlaceFormat`), apart from the
loaders.

Why a module of its own: the CLI needs both for its option types at start-up (`places load
--format`, `places list --kind`), and the loaders import the store (DuckDB, Arrow); naming a kind
must not load them (docs/concepts/architecture.md, "Start-up").
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["PlaceFormat", "PlaceKind"]


class PlaceFormat(StrEnum):
    AUTO = "auto"
    WPI = "wpi"  # NGA World Port Index (Pub. 150) CSV export, 109 columns
    GEOJSON = "geojson"  # FeatureCollection of Point features
    CSV = "csv"  # name, lat, lon [, aliases, country, kind, radius_m, ...]


class PlaceKind(StrEnum):
    """What a place is; detectors treat kinds differently (a port visit needs a port)."""

    SEAPORT = "seaport"
    ANCHORAGE = "anchorage"
    RAIL_TERMINAL = "rail_terminal"
    BORDER_CROSSING = "border_crossing"
    DEPOT = "depot"
    NAVAL_BASE = "naval_base"
    CHOKEPOINT = "chokepoint"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> PlaceKind | None:
        """The kind a gazetteer's free text means ("Rail terminal", "port"), or None."""
        key = re.sub(r"[\s\-]+", "_", (text or "").strip().lower())
        if key in cls._value2member_map_:
            return cls(key)
        return _KIND_SYNONYMS.get(key)


_KIND_SYNONYMS = {
    "port": PlaceKind.SEAPORT, "harbour": PlaceKind.SEAPORT, "harbor": PlaceKind.SEAPORT,
    "rail": PlaceKind.RAIL_TERMINAL, "railway_station": PlaceKind.RAIL_TERMINAL,
    "rail_station": PlaceKind.RAIL_TERMINAL, "crossing": PlaceKind.BORDER_CROSSING,
    "arsenal": PlaceKind.DEPOT, "ammunition_depot": PlaceKind.DEPOT,
    "naval_facility": PlaceKind.NAVAL_BASE, "strait": PlaceKind.CHOKEPOINT,
}
