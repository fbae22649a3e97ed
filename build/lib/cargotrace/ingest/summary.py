"""What an ingest did, record by record.

Nothing is dropped without a count here or a quarantine row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class IngestSummary:
    path: str
    format: str
    ingest_id: int | None = None
    already_ingested: bool = False
    size_bytes: int = 0
    sha256: str = ""
    records_read: int = 0  # lines for NMEA, data rows for tables
    positions_stored: int = 0
    reports_stored: int = 0
    duplicate_positions: int = 0  # same (mmsi, ts, lat, lon) already stored or repeated in the file
    duplicate_reports: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)  # by reason code
    skipped: Counter[str] = field(default_factory=Counter)  # comments, other sentences, other types
    duration_s: float = 0.0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    @property
    def duplicates(self) -> int:
        return self.duplicate_positions + self.duplicate_reports

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["quarantined"] = dict(sorted(self.quarantined.items()))
        doc["skipped"] = dict(sorted(self.skipped.items()))
        doc["quarantined_total"] = self.quarantined_total
        return doc
