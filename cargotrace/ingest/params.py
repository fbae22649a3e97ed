"""Ingest parameters: how an ingest reads its input (the user's choices, recorded with every
ingest for provenance) and which values are believable (`ValidationParams`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from cargotrace.errors import ParamsError


@dataclass(frozen=True)
class ValidationParams:
    """Bounds for a believable AIS record."""

    earliest_ts: datetime = field(
        default=datetime(2000, 1, 1, tzinfo=UTC),
        metadata={"help": "Reject timestamps before this (AIS became mandatory from 2002)."},
    )
    max_future_h: float = field(
        default=24.0,
        metadata={"help": "Reject timestamps more than this many hours after the ingest ran."},
    )

    def __post_init__(self) -> None:
        if self.earliest_ts.tzinfo is None:
            raise ParamsError("earliest_ts must be timezone-aware (UTC)")
        if self.max_future_h < 0:
            raise ParamsError(f"max_future_h must be >= 0, got {self.max_future_h}")

    def latest_ts(self, now: datetime | None = None) -> datetime:
        return (now or datetime.now(UTC)) + timedelta(hours=self.max_future_h)



@dataclass(frozen=True)
class StreamParams:
    """How an ingest streams a file: what bounds its memory and lets it use two cores.

    Why these are not in `ingests.options`: they change how fast and in how much memory a file
    is read, never what is stored, so a file ingested with other values is still the same
    ingest (its hash and options match).
    """

    chunks_ahead: int = field(
        default=2,
        metadata={"unit": "chunks", "help": "Chunks the decoding thread may read ahead of "
                  "the store's inserts (each holds `chunk_records` records)."},
    )
    store_memory_mb: int = field(
        default=64,
        metadata={"unit": "MB", "help": "DuckDB's memory limit while a file is ingested into "
                  "a store on disk or a lake (it spills to `<store>.tmp`, or the lake's "
                  "`_staging/`, beyond it); the limit before is "
                  "restored after; at least 128 MB for a table staged in SQL. 0: leave "
                  "DuckDB's own limit (80% of RAM)."},
    )

    def __post_init__(self) -> None:
        if self.chunks_ahead < 1:
            raise ParamsError(f"chunks_ahead must be >= 1, got {self.chunks_ahead}")
        if self.store_memory_mb < 0:
            raise ParamsError(f"store_memory_mb must be >= 0, got {self.store_memory_mb}")


@dataclass(frozen=True)
class SparkIngestParams:
    """How `ingest --engine spark` spreads a file over Spark tasks (spark_ingest.py).

    Why not in `ingests.options` either: the ranges change where a file is cut, never what is
    stored (tests/ingest/test_nmea_ranges.py), so the same file is the same ingest.
    """

    range_mb: float = field(
        default=64.0,
        metadata={"unit": "MiB", "help": "Bytes of file per Spark task (about 700,000 NMEA "
                  "lines). Smaller ranges spread a file over more cores, but each task also "
                  "re-reads up to `chunk_records` + 1,000 lines before its range to rebuild the "
                  "reader's state."},
    )

    def __post_init__(self) -> None:
        if not self.range_mb > 0:
            raise ParamsError(f"--range-mb {self.range_mb}: must be positive")


@dataclass(frozen=True)
class LakeBatchParams:
    """How `cargotrace ingest` groups several files into batches when the store is a lake, each
    batch committed as one snapshot (cargotrace/ingest/lake_batches.py; [lake.md](lake.md#writing)).
    Not in `ingests.options`: batching changes how many snapshots and Parquet files the lake gets,
    never what is stored; each file stays its own ingest.

    A batch is closed when adding the next file would pass `max_files` files or `max_mb` MiB
    of input, or once its files stored `max_rows` rows; a file larger than `max_mb` is a batch
    of its own (one snapshot per file, as before batches). Files keep their order."""

    max_files: int = field(
        default=500,
        metadata={"unit": "files", "help": "At most this many files per snapshot; a kill loses "
                  "at most this many files' work (a re-run redoes them)."},
    )
    max_mb: float = field(
        default=256.0,
        metadata={"unit": "MiB", "help": "A batch is closed before its input files pass this "
                  "size; a larger file is a batch of its own."},
    )
    max_rows: int = field(
        default=1_000_000,
        metadata={"unit": "rows", "help": "A batch is closed once its files stored this many "
                  "positions and vessel reports (Parquet holds ~10x more rows per MiB than NMEA "
                  "or CSV; the commit writes every day the batch spans under the ingest's "
                  "memory cap: a 35-file, 10M-row batch of daily Parquet files ran out of the "
                  "48 MB cap)."},
    )

    def __post_init__(self) -> None:
        if self.max_files < 1:
            raise ParamsError(f"max_files must be at least 1 (got {self.max_files})")
        if not self.max_mb > 0:
            raise ParamsError(f"max_mb must be positive (got {self.max_mb})")
        if self.max_rows < 1:
            raise ParamsError(f"max_rows must be at least 1 (got {self.max_rows})")


class InputFormat(StrEnum):
    AUTO = "auto"
    NMEA = "nmea"
    MARINECADASTRE = "marinecadastre"
    DMA = "dma"
    GENERIC = "generic"  # any CSV, through --column mappings
    PARQUET = "parquet"


@dataclass(frozen=True)
class IngestOptions:
    """Options of one `ingest` run; defaults suit a typical receiver log or export."""

    format: InputFormat = field(
        default=InputFormat.AUTO,
        metadata={"help": "Input format; 'auto' decides from the file's first lines."},
    )
    columns: tuple[tuple[str, str], ...] = field(
        default=(),
        metadata={"help": "FIELD=COLUMN pairs mapping our fields to a CSV's column names."},
    )
    assume_time: datetime | None = field(
        default=None,
        metadata={
            "help": "Receive time for NMEA lines that carry none (UTC); never replaces a broken "
            "one (c:0, c:abc), which is quarantined."
        },
    )
    time_from_filename: bool = field(
        default=False,
        metadata={"help": "Take the receive time of untimed NMEA lines from a date in the name."},
    )
    max_part_gap_s: float = field(
        default=2.0,
        metadata={
            "help": "Join the parts of a multipart NMEA message only when each is received at "
            "most this many seconds after the previous one (one radio transmission takes "
            "< 0.2 s; raise it for aggregators that stamp sentences late)."
        },
    )
    chunk_records: int = field(
        default=50_000,
        metadata={"help": "Records parsed, validated and stored per batch: what bounds an "
                  "ingest's memory, whatever the file's size."},
    )
    validation: ValidationParams = field(
        default_factory=ValidationParams,
        metadata={"help": "Bounds for believable timestamps (see ValidationParams)."},
    )
    stream: StreamParams = field(
        default_factory=StreamParams,
        metadata={"help": "Read-ahead and memory limit of the streaming ingest (see "
                  "StreamParams; not part of the recorded options: they change no value)."},
    )

    def __post_init__(self) -> None:
        if self.chunk_records < 1:
            raise ParamsError(f"chunk_records must be >= 1, got {self.chunk_records}")
        if not self.max_part_gap_s >= 0:
            raise ParamsError(f"max_part_gap_s must be >= 0, got {self.max_part_gap_s}")
        if self.assume_time is not None and self.assume_time.tzinfo is None:
            raise ParamsError("assume_time must be timezone-aware (UTC)")

    def column_map(self) -> dict[str, str]:
        return dict(self.columns)

    def to_json(self) -> str:
        """The options as stored in `ingests.options` (and compared to spot a repeated ingest)."""
        doc: dict[str, Any] = {
            "format": str(self.format),
            "columns": dict(self.columns),
            "assume_time": self.assume_time.isoformat() if self.assume_time else None,
            "time_from_filename": self.time_from_filename,
            "earliest_ts": self.validation.earliest_ts.isoformat(),
            "max_future_h": self.validation.max_future_h,
        }
        if self.max_part_gap_s != IngestOptions.max_part_gap_s:
            # only when changed: options stored by earlier versions still compare equal
            doc["max_part_gap_s"] = self.max_part_gap_s
        return json.dumps(doc, sort_keys=True)
