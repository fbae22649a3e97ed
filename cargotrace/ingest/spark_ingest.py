"""`cargotrace ingest --engine spark`: ingest NMEA files into a lake with Spark tasks.

Why this shape (issue 23, item 2; docs/reference/spark.md, "Ingest"): a national feed is too big
for one process, so a file is cut into byte ranges at line starts (`byte_ranges.py`) and each
range is a Spark task that runs the laptop's decoder and validation on the executor
(`range_tasks.stage_range`, `nmea_ranges.py`: a range owns the multipart groups whose first part
is inside it, and reads on past its end to complete them). Tasks write Parquet into the
lake's `_staging/`, never through the driver. Spark then drops the file's own duplicates (the
copy from the smallest receiver name kept, as the laptop ingest keeps it), drops the rows the
lake already holds in the touched day partitions (the same keys, NULLs equal), and writes the
new rows as day-partitioned files, which the driver moves into place and commits with the
ingest's row in **one snapshot per file** (`LakeStore.commit`). So, as with the DuckDB
ingest: the same rows, the same quarantine rows and counts, idempotent per file (a file
ingested with the same content and options is skipped; a changed copy adds only its new
rows), and a kill at any point leaves the lake at its last snapshot (the next writer removes
what the killed one staged).

Two passes over the file: the first counts each range's lines (line numbers in quarantine rows
are the file's, so a range must know its first line's number), the second decodes. Only NMEA
is cut into ranges; CSV and Parquet files go through the DuckDB lake ingest (`lake_writer.py`).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
import uuid
from datetime import UTC, datetime
from functools import reduce
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cargotrace.errors import StoreError
from cargotrace.ingest.byte_ranges import byte_ranges
from cargotrace.ingest.formats import detect_format
from cargotrace.ingest.lake_writer import ingest_into_lake
from cargotrace.ingest.nmea_ranges import RangeLines, RangeTask, count_lines, plan_tasks
from cargotrace.ingest.params import IngestOptions, InputFormat, SparkIngestParams
from cargotrace.ingest.pipeline import Progress, _check_readable, _log_ingest
from cargotrace.ingest.range_tasks import (
    COUNT_SCHEMA,
    RESULT_SCHEMA,
    STAGED_TABLES,
    RangeResult,
    stage_range,
)
from cargotrace.ingest.spark_storage import require_shared_storage
from cargotrace.ingest.summary import IngestSummary
from cargotrace.provenance import file_sha256
from cargotrace.store.lake.files import move_into_place
from cargotrace.store.lake.layout import PARTITION_COLUMN, SORT_KEYS, STAGING
from cargotrace.store.lake.layout import file_url as _url
from cargotrace.store.lake.store import LakeStore
from cargotrace.store.meta import SIMULATED_AIS, simulator_scenario, write_meta
from cargotrace.store.schema import POSITION_KEY, REPORT_KEY, SPECS

__all__ = ["SparkIngestParams", "require_lake", "spark_ingest_file"]

log = logging.getLogger(__name__)

KEYS = {"positions": POSITION_KEY, "vessel_reports": REPORT_KEY}


def spark_ingest_file(
    lake: LakeStore, path: str | Path, options: IngestOptions | None = None,
    params: SparkIngestParams | None = None, progress: Progress | None = None,
    session: Any = None,
) -> IngestSummary:
    """Ingest one file into `lake` with Spark (module docstring); `session`: a SparkSession
    (default: the process's, `--engine spark`'s)."""
    require_lake(lake)
    lake.require_writable(f"ingest {Path(path).name}")
    path = Path(path)
    options = options or IngestOptions()
    params = params or SparkIngestParams()
    _check_readable(path)
    fmt = detect_format(path, options)
    if fmt is not InputFormat.NMEA or _gzipped(path):
        # tables are read by DuckDB's own parallel readers; a gzip stream cannot be cut
        return ingest_into_lake(lake, path, options, progress)
    started, started_at = time.perf_counter(), datetime.now(UTC)
    summary = IngestSummary(path=str(path), format=str(fmt), size_bytes=path.stat().st_size)
    summary.sha256 = file_sha256(path)
    options_json = options.to_json()
    previous = lake.con.execute("SELECT ingest_id FROM ingests WHERE sha256 = ? AND "
                                "options = ?::JSON", [summary.sha256, options_json]).fetchall()
    if previous:
        summary.ingest_id, summary.already_ingested = int(previous[0][0]), True
        return summary
    summary.ingest_id = int(lake.con.execute(
        "SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchall()[0][0])
    spark = session if session is not None else _session()
    folder = lake.root / STAGING / f"spark-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        require_shared_storage(spark, path, folder)
        results = _decode(spark, path, options, params, folder)
        log.info("%s: %d range(s) decoded in %.1f s", path, len(results),
                 time.perf_counter() - started)
        if progress is not None:
            progress(summary.size_bytes)
        _add_up(summary, results)
        same_file = _earlier_ingests_of_same_file(lake, summary)
        added = _write_new_rows(spark, lake, summary, folder,
                                sorted(set().union(*(r.days for r in results))), same_file)
        replaced = _resolve_quarantined(lake, summary, folder, same_file, added)
        _commit(lake, summary, fmt, options_json, started_at, added, replaced)
        log.info("%s: committed at %.1f s", path, time.perf_counter() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            folder.parent.rmdir()  # `_staging/` stays only while a write is under way
        except OSError:
            pass  # another write's folder is in it
    summary.duration_s = time.perf_counter() - started
    return summary


def require_lake(store: object) -> None:
    """Raise StoreError, in one line, unless `store` is a lake: Spark tasks write the lake's
    files; a DuckDB file has one writer, this process."""
    if not isinstance(store, LakeStore):
        raise StoreError(f"{getattr(store, 'path', store)}: --engine spark ingests into a lake "
                         "only; pass --store lake:DIR (see docs/reference/lake.md)")


def _session() -> Any:
    from cargotrace.store.engines.session import spark_backend

    return spark_backend()._session


def _gzipped(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _decode(spark: Any, path: Path, options: IngestOptions, params: SparkIngestParams,
            folder: Path) -> list[RangeResult]:
    """Both passes over the ranges, one Spark task per range; the ranges' counts."""
    size = path.stat().st_size
    ranges = byte_ranges(path, max(1, math.ceil(size / (params.range_mb * 2**20))))
    if not ranges:
        return []

    def count(batches: Any) -> Any:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                seen = count_lines(path, *ranges[index])
                yield pa.RecordBatch.from_pydict({
                    "idx": [index], "lines": [seen.lines],
                    "checkpoints": [json.dumps(seen.checkpoints)]})

    log.info("%s: %d range(s)", path, len(ranges))
    counted_rows = sorted(_per_range(spark, len(ranges)).mapInArrow(count, COUNT_SCHEMA)
                          .collect(), key=lambda r: r["idx"])
    counted = [RangeLines(int(r["lines"]), tuple(tuple(c) for c in
                                                 json.loads(r["checkpoints"])))
               for r in counted_rows]
    tasks: list[RangeTask] = plan_tasks(ranges, counted, size, options.chunk_records)
    log.info("%s: %d lines counted", path, sum(c.lines for c in counted))

    def decode(batches: Any) -> Any:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                result = stage_range(path, tasks[index], options, folder)
                yield pa.RecordBatch.from_pydict({"idx": [index], "result": [result.to_json()]})

    rows = _per_range(spark, len(ranges)).mapInArrow(decode, RESULT_SCHEMA).collect()
    return [RangeResult.from_json(r["result"]) for r in sorted(rows, key=lambda r: r["idx"])]


def _per_range(spark: Any, n: int) -> Any:
    """A frame of ids 0..n-1, one per partition: one task per range."""
    return spark.range(0, n, 1, n)


def _add_up(summary: IngestSummary, results: list[RangeResult]) -> None:
    for r in results:
        summary.records_read += r.records_read
        summary.positions_read += r.positions_read
        summary.reports_read += r.reports_read
        summary.quarantined.update(r.quarantined)
        summary.skipped.update(r.skipped)


def _write_new_rows(spark: Any, lake: LakeStore, summary: IngestSummary, folder: Path,
                    days: list[str], same_file: list[int]) -> dict[str, tuple[Any, ...]]:
    """Dedupe and write the staged rows as new lake files (not yet committed); the files per
    table, with the summary's stored and duplicate counts set. `same_file`: the earlier
    ingests of this content, whose resolved quarantine rows do not count as stored before."""
    from pyspark.sql import functions as F

    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    source, ingest_id = summary.path, summary.ingest_id
    added: dict[str, tuple[Any, ...]] = {}
    cached: list[Any] = []  # frames cached for this file: a long-lived session keeps them
    try:
        for table in STAGED_TABLES:
            staged = folder / table
            if not staged.is_dir():
                added[table] = ()
                continue
            rows = spark.read.parquet(_url(staged))
            if table == "quarantine":
                rows = _not_quarantined_before(spark, lake, summary, rows, cached,
                                               same_file)
            else:
                rows = _first_copies(rows, KEYS[table])
                rows = rows.withColumn(PARTITION_COLUMN, F.date_format("ts", "yyyy-MM-dd"))
                rows = _not_in_lake(spark, lake, table, rows, days)
            rows = rows.withColumn("source", F.lit(source).cast("string")) \
                       .withColumn("ingest_id", F.lit(ingest_id).cast("long"))
            out = folder / "out" / table
            writer: Any
            if table == "quarantine":
                writer = rows.select(*SPECS[table].names).orderBy("line_no").write
            else:
                writer = (rows.select(*SPECS[table].names, PARTITION_COLUMN)
                          .repartition(PARTITION_COLUMN)
                          .sortWithinPartitions(*SORT_KEYS[table]).write
                          .partitionBy(PARTITION_COLUMN))
            writer.option("compression", "zstd").mode("error").parquet(_url(out))
            added[table] = tuple(move_into_place(lake.root, table, out))
            log.info("%s: %s written", summary.path, table)
    finally:  # written, or the ingest failed: nothing reads them again
        for frame in cached:
            frame.unpersist()
    stored = {t: sum(f.rows for f in added[t]) for t in ("positions", "vessel_reports")}
    summary.positions_stored, summary.reports_stored = stored["positions"], \
        stored["vessel_reports"]
    summary.duplicate_positions = summary.positions_read - summary.positions_stored
    summary.duplicate_reports = summary.reports_read - summary.reports_stored
    return added


def _first_copies(rows: Any, key: tuple[str, ...]) -> Any:
    """One row per key: the copy from the smallest receiver name (a named receiver before
    none), the earliest line on a tie: what the laptop ingest keeps (dedupe.py)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(*key).orderBy(F.col("station").asc_nulls_last(),
                                             F.col("line_no").asc())
    return rows.withColumn("_copy", F.row_number().over(order)).where("_copy = 1") \
               .drop("_copy", "line_no")


def _not_in_lake(spark: Any, lake: LakeStore, table: str, rows: Any, days: list[str]) -> Any:
    """The rows the lake does not hold yet: compared on the table's key (NULLs equal) with
    the files of the touched day partitions only (a duplicate has the same `ts`, so the same
    day)."""
    existing = lake.files_of(table, days)
    if not existing:
        return rows
    key = KEYS[table]
    held = (spark.read.option("basePath", _url(lake.root / table))
            .parquet(*[_url(lake.root / f.path) for f in existing])
            .select(*key, PARTITION_COLUMN))
    s, t = rows.alias("s"), held.alias("t")
    match = [s[PARTITION_COLUMN] == t[PARTITION_COLUMN].cast("string")]
    match += [s[c].eqNullSafe(t[c]) for c in key]
    return s.join(t, on=reduce(lambda a, b: a & b, match), how="left_anti")


def _not_quarantined_before(spark: Any, lake: LakeStore, summary: IngestSummary,
                            rows: Any, cached: list[Any], same_file: list[int]) -> Any:
    """This ingest's quarantine rows less those an earlier ingest of the same source stored:
    the n-th identical (reason, raw) record is new only past the n earlier ones
    (dedupe.drop_requarantined), counted in `summary.quarantined_before`. The result is cached
    (counted, then written): it is added to `cached`, which the caller unpersists. The earlier
    rows this ingest resolves (`_resolve_quarantined`) are not compared: the laptop ingest
    removes them before it drops the re-quarantined rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    earlier_ingests = lake.con.execute(
        "SELECT count(*) FROM ingests WHERE path = ?", [summary.path]).fetchall()[0][0]
    files = lake.files_of("quarantine")
    if not earlier_ingests or not files:
        return rows
    of_source = (spark.read.parquet(*[_url(lake.root / f.path) for f in files])
                 .where(F.col("source") == F.lit(summary.path)))
    if same_file:  # less the rows resolved: those whose line this ingest did not quarantine
        resolvable = F.col("ingest_id").isin(same_file) & F.col("line_no").isNotNull()
        still_bad = of_source.where(resolvable).join(
            rows.select("line_no").where(F.col("line_no").isNotNull()).distinct(),
            on="line_no", how="left_semi")
        of_source = of_source.where(~resolvable).unionByName(still_bad)
    earlier = of_source.groupBy("reason", "raw").agg(F.count(F.lit(1)).alias("n"))
    nth = Window.partitionBy("reason", "raw").orderBy("line_no")
    mine = rows.withColumn("_nth", F.row_number().over(nth)).alias("m")
    e = earlier.alias("e")
    joined = mine.join(e, on=(F.col("m.reason") == F.col("e.reason"))
                       & F.col("m.raw").eqNullSafe(F.col("e.raw")), how="left")
    kept = joined.where(F.col("e.n").isNull() | (F.col("m._nth") > F.col("e.n"))) \
                 .select("m.line_no", "m.raw", "m.reason", "m.detail").cache()
    cached.append(kept)
    summary.quarantined_before = summary.quarantined_total - kept.count()
    return kept


def _earlier_ingests_of_same_file(lake: LakeStore, summary: IngestSummary) -> list[int]:
    """The ingests of this same content (sha256) before this one: their quarantine rows of
    this source may be resolved by it (dedupe.resolve_quarantined)."""
    return [int(r[0]) for r in lake.con.execute(
        "SELECT ingest_id FROM ingests WHERE sha256 = ? AND ingest_id <> ? ORDER BY ingest_id",
        [summary.sha256, summary.ingest_id]).fetchall()]


def _resolve_quarantined(lake: LakeStore, summary: IngestSummary, folder: Path,
                         same_file: list[int], added: dict[str, tuple[Any, ...]],
                         ) -> dict[str, tuple[Any, ...]]:
    """The lake's new `quarantine` file list when this ingest resolves rows of earlier
    ingests of the same file (empty when it resolves none), with
    `summary.quarantine_resolved` set.

    As the laptop ingest (dedupe.resolve_quarantined, docs/reference/quarantine-reasons.md):
    a row of an earlier ingest of this content (same source, same sha256: its line numbers
    name the same records) is resolved when this ingest read its line without quarantining
    it, e.g. a `missing_time` record read again with `--assume-time`. Run on the driver with
    DuckDB: it reads only this ingest's quarantined line numbers and the files that hold
    resolved rows, which are written again without them (the old files stay for older
    versions until a vacuum), as the DuckDB lake ingest does (lake_writer.py)."""
    from cargotrace.store.lake.files import write_files
    from cargotrace.store.lake.store import files_sql

    files = lake.files_of("quarantine")
    if not same_file or not files:
        return {}
    staged = folder / "quarantine"
    mine = pq.read_table(staged, columns=["line_no"]) if staged.is_dir() \
        else pa.table({"line_no": pa.array([], pa.int64())})
    resolved = ("source = $source AND line_no IS NOT NULL AND ingest_id IN "
                f"({', '.join(str(i) for i in same_file)}) AND line_no NOT IN "
                "(SELECT line_no FROM resolving_mine WHERE line_no IS NOT NULL)")
    params: dict[str, object] = {"source": summary.path}
    con = lake.con
    con.register("resolving_mine", mine)
    try:
        holding = {str(r[0]): int(r[1]) for r in con.execute(
            "SELECT filename, count(*) FROM read_parquet($files, filename = true) "
            f"WHERE {resolved} GROUP BY filename",
            {**params, "files": [str(lake.root / f.path) for f in files]}).fetchall()}
        if not holding:
            return {}
        old = [f for f in files if str(lake.root / f.path) in holding]
        rewritten = write_files(con, lake.root, "quarantine",
                                f"SELECT * FROM ({files_sql(lake.root, 'quarantine', old)}) "
                                f"WHERE NOT ({resolved})", params)
    finally:
        con.unregister("resolving_mine")
    summary.quarantine_resolved = sum(holding.values())
    kept = tuple(f for f in files if f not in old)
    return {"quarantine": kept + rewritten + tuple(added.get("quarantine", ()))}


def _commit(lake: LakeStore, summary: IngestSummary, fmt: object, options_json: str,
            started_at: datetime, added: dict[str, tuple[Any, ...]],
            replaced: dict[str, tuple[Any, ...]]) -> None:
    """The ingest's row, any meta, and the new files: one snapshot (`replaced`: the
    quarantine's whole new file list when rows of earlier ingests were resolved)."""
    summary.duration_s = (datetime.now(UTC) - started_at).total_seconds()
    con = lake.con
    con.begin()
    try:
        _log_ingest(lake, summary, fmt, options_json, started_at)
        scenario = simulator_scenario(Path(summary.path))
        if scenario is not None:
            write_meta(lake, SIMULATED_AIS, {"scenario": scenario, "file": summary.path})
        lake.commit("ingest", {
            "path": summary.path, "sha256": summary.sha256, "ingest_id": summary.ingest_id,
            "engine": "spark", "positions_stored": summary.positions_stored,
            "reports_stored": summary.reports_stored,
            "days": sorted({str(f.day) for t in ("positions", "vessel_reports")
                            for f in added.get(t, ())}),
            "quarantine_resolved": summary.quarantine_resolved,
        }, {t: f for t, f in added.items() if t not in replaced}, replaced)
        con.commit()
    except BaseException:
        con.rollback()  # the working copies go back to the committed snapshot
        raise
