"""What an ingest did, record by record.

Nothing is dropped without a count here or a quarantine row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

# Lines read that are the 2nd, 3rd... part of a multipart NMEA message: the message (stored,
# skipped or quarantined as one row) is counted once, under its first part, so without this
# count in `skipped` the summary's lines would not add up to what was read.
JOINED_PARTS = "multipart_later_parts"


@dataclass
class IngestSummary:
    path: str
    format: str
    ingest_id: int | None = None
    already_ingested: bool = False
    size_bytes: int = 0
    sha256: str = ""
    records_read: int = 0  # lines for NMEA, data rows for tables
    # Per table, read = stored + duplicates: the valid positions (and vessel reports) the file
    # gave. Kept per table because one table row or type 19 message gives one of each, so a
    # single "duplicates" beside both tables adds up to neither.
    positions_read: int = 0
    positions_stored: int = 0
    duplicate_positions: int = 0  # same (mmsi, ts, lat, lon) already stored or repeated in the file
    reports_read: int = 0
    reports_stored: int = 0
    duplicate_reports: int = 0  # identical in every field at the same time (REPORT_KEY)
    quarantined: Counter[str] = field(default_factory=Counter)  # by reason code
    # of those, records already in the quarantine table from an earlier ingest of this source
    # (a changed copy of the file): not stored twice, see docs/reference/quarantine-reasons.md
    quarantined_before: int = 0
    # rows an earlier ingest of this same content quarantined whose lines this ingest stored
    # (e.g. `missing_time` records read again with --assume-time): removed from `quarantine`
    quarantine_resolved: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # comments, other sentences, other types
    duration_s: float = 0.0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    @property
    def duplicates(self) -> int:
        return self.duplicate_positions + self.duplicate_reports

    @property
    def hints(self) -> list[str]:
        """What to do next when the file's bad records have one fixable cause: most records
        quarantined as `missing_time` is a feed without receive times, not a bad feed."""
        missing = self.quarantined.get("missing_time", 0)
        if missing * 2 <= self.quarantined_total or missing * 2 <= self.records_read:
            return []
        return [f"{missing:,} of {self.records_read:,} records have no receive time "
                "(missing_time): if you know when the file was recorded, ingest it again with "
                "--assume-time TIME (or --time-from-filename); the quarantine rows of the "
                "records then stored are removed"]

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["hints"] = self.hints
        doc["quarantined"] = dict(sorted(self.quarantined.items()))
        doc["skipped"] = dict(sorted(self.skipped.items()))
        doc["quarantined_total"] = self.quarantined_total
        return doc
