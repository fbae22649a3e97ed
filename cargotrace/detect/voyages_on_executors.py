"""Dark voyages and draught changes on Spark's executors: neither silences nor events come to
the driver.

Why (issue 23, item 3): on DuckDB both read other kinds' events in Python: a dark voyage is a
vessel's silence between two of its port visits and not a coverage exit, a draught change
compares the reports around a vessel's gaps, exits and dark voyages. On Spark those events
are already rows on the executors (`Context.engine_events`), so here:

- **dark voyages**: the silences and their history are one expression kept on the engine
  (`dark_voyages.silences_on_engine`), cogrouped by vessel with the vessel's port-visit and
  coverage-exit rows, and the SAME `dark_voyage_events` runs per vessel
  (`on_executors.event_frame` with `Candidates.beside`);
- **draught changes**: the closed silences' rows, each (mmsi, start, end) once in the order
  the driver keeps them (gaps, then exits, then dark voyages), become a table the same Ibis
  query (`dark_voyages.draught_candidates`) joins to the reports, and each row becomes its
  event on the executors (`draught_change_events`).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.coverage import CoverageModel
from cargotrace.detect.dark_voyages import SILENCE_PRIORITY, dark_voyage_events
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.on_executors import KeptView, events_from_rows, kept_table
from cargotrace.detect.params import DarkVoyageParams
from cargotrace.store.events import Event


def dark_voyages_beside(silences: pa.Table, beside: pa.Table, params: DarkVoyageParams,
                        coverage: CoverageModel) -> list[Event]:
    """One vessel's silences (`silence_candidates` rows, in (mmsi, start) order) and its
    port-visit and coverage-exit rows to its dark voyages, as on the driver."""
    events = events_from_rows(beside)
    visits = [e for e in events if e.kind == EventKind.PORT_VISIT]
    exits = [e for e in events if e.kind == EventKind.LEFT_COVERAGE]
    return dark_voyage_events(silences, visits, params, coverage, exits)


def kinds_rows(engine_events: dict[EventKind, Any], kinds: tuple[EventKind, ...]) -> Any:
    """The event rows of `kinds` kept on the executors, as one frame."""
    from pyspark.sql import functions as F

    frames = [engine_events[k].where(F.col("kind") == str(k)) for k in kinds]
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def silence_windows_on_engine(engine_events: dict[EventKind, Any], backend: Any
                              ) -> tuple[Any, KeptView]:
    """`dark_voyages.silence_windows` from the event rows kept on the executors: the closed
    gaps, exits and dark voyages, each (mmsi, start, end) once (the first kind of
    `SILENCE_PRIORITY`), as a table of the PySpark `backend`; with what frees it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rows = kinds_rows(engine_events, SILENCE_PRIORITY).where(F.col("end").isNotNull())
    priority = F.lit(len(SILENCE_PRIORITY))
    for rank, kind in reversed(list(enumerate(SILENCE_PRIORITY))):
        priority = F.when(F.col("kind") == str(kind), F.lit(rank)).otherwise(priority)
    first = Window.partitionBy("mmsi", "start", "end").orderBy(priority, "event_id")
    rows = rows.withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1)
    windows = rows.select(
        F.col("mmsi").cast("bigint").alias("s_mmsi"), F.col("start").alias("s_start"),
        F.col("end").alias("s_end"), F.col("lat").alias("s_lat"), F.col("lon").alias("s_lon"),
        F.col("confidence").alias("s_confidence"), F.col("kind").alias("s_kind"))
    table, kept = kept_table(backend, windows)
    return table.cast({"s_start": "timestamp('UTC')", "s_end": "timestamp('UTC')"}), kept


def with_kinds(rows: pa.Table, kinds: tuple[EventKind, ...]) -> pa.Table:
    """The rows of `kinds` among event rows."""
    return rows.filter(pc.is_in(rows.column("kind"), pa.array([str(k) for k in kinds])))
