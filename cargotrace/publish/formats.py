"""The export formats (`cargotrace export --format`), apart from their writers.

Why a module of its own: the CLI needs the names for its option type at start-up, and the
writers import Arrow, DuckDB and the FtM model; naming a format must not load them
(docs/concepts/architecture.md, "Start-up").
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ExportFormat"]


class ExportFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"
    GEOPARQUET = "geoparquet"
    CSV = "csv"
    FTM = "ftm"

    @property
    def is_table(self) -> bool:
        """Row formats: a vessel is exported as its positions, one row each."""
        return self in (ExportFormat.GEOPARQUET, ExportFormat.CSV)
