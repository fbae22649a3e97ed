"""Publish a lake batch: the batch store's rows into the lake's files, in one snapshot.

Why a module of its own: this is the lake's side of an ingest (what goes into which files and
which snapshot), while lake_writer.py is the batch's side (filling a batch store through the
pipeline, its memory, its failures); each reads on its own, and lake_writer.py stays one
concept under the house's ~400 lines.

What is published: positions and vessel reports not already in their day partitions go from
the batch straight into new Parquet files (the anti-join and the `COPY` are one query on the
batch's connection), the batch's quarantine rows are appended (or the quarantine files of
sources whose earlier rows the batch resolved are rewritten), and each ingest's row (with its
counts corrected for rows the lake already held) and any `meta` it wrote go into the lake's
working copies, all committed as one snapshot. The caller runs it inside one transaction of
the working copies (lake_writer.py, `_commit_batch`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cargotrace.ingest.summary import IngestSummary
from cargotrace.store.schema import POSITION_KEY, REPORT_KEY
from cargotrace.store.store import Store

if TYPE_CHECKING:
    from cargotrace.store.lake.appends import Appended
    from cargotrace.store.lake.snapshot import DataFile
    from cargotrace.store.lake.store import LakeStore

__all__ = ["publish_batch"]


def publish_batch(lake: LakeStore, batch: Store, done: list[IngestSummary]) -> None:
    """The batch's rows into the lake, and one snapshot committing them (module docstring):
    the rows go from the batch's connection straight into Parquet; the `ingests` rows and the
    `meta` rows (a few) are copied into the lake's working copies. `done`: the files the
    batch stored (not those already ingested), whose rows are the batch's."""
    from cargotrace.store.lake.appends import append_new_rows, append_rows

    ids = [s.ingest_id for s in done]
    assert None not in ids  # the pipeline numbers every ingest it stores
    id_list = ", ".join(f"{i:d}" for i in ids if i is not None)
    positions = append_new_rows(lake, "positions", "SELECT * FROM positions", POSITION_KEY,
                                con=batch.con)
    reports = append_new_rows(lake, "vessel_reports", "SELECT * FROM vessel_reports",
                              REPORT_KEY, con=batch.con)
    resolved = sorted({s.path for s in done if s.quarantine_resolved})
    replaced: dict[str, tuple[DataFile, ...]] = {}
    if resolved:  # earlier rows of these sources are gone from the batch
        replaced["quarantine"] = _rewritten_quarantine(lake, batch, resolved, id_list)
        quarantined: tuple[DataFile, ...] = ()
    else:
        quarantined = append_rows(lake, "quarantine",
                                  f"SELECT * FROM quarantine WHERE ingest_id IN ({id_list})",
                                  con=batch.con)
    position_counts = _stored_by_ingest(lake, positions, done)
    report_counts = _stored_by_ingest(lake, reports, done)
    con = lake.con
    for table, where in (("ingests", f"ingest_id IN ({id_list})"),
                         ("meta", "key <> 'schema_version'")):
        rows = batch.con.sql(f"SELECT * FROM {table} WHERE {where}").to_arrow_table()
        con.register("batch_rows", rows)
        try:
            verb = "INSERT" if table == "ingests" else "INSERT OR REPLACE"
            con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM batch_rows")
        finally:
            con.unregister("batch_rows")
    for summary in done:
        # rows of the file that the lake held already are duplicates, as in the DuckDB store
        stored = position_counts.get(summary.ingest_id, 0)
        summary.duplicate_positions += summary.positions_stored - stored
        summary.positions_stored = stored
        stored = report_counts.get(summary.ingest_id, 0)
        summary.duplicate_reports += summary.reports_stored - stored
        summary.reports_stored = stored
        con.execute("UPDATE ingests SET positions_stored = ?, reports_stored = ?, "
                    "duplicates = ?, counts = ?::JSON WHERE ingest_id = ?",
                    [summary.positions_stored, summary.reports_stored, summary.duplicates,
                     json.dumps(summary.to_dict(), default=str), summary.ingest_id])
    lake.commit("ingest", _snapshot_details(done, positions.days, reports.days),
                {"positions": positions.files, "vessel_reports": reports.files,
                 "quarantine": quarantined}, replaced)


def _stored_by_ingest(lake: LakeStore, appended: Appended,
                      done: list[IngestSummary]) -> dict[int | None, int]:
    """Rows each ingest of the batch added to a table: from the footers when the batch is one
    file, else counted by `ingest_id` in the new files (one small column read)."""
    if len(done) == 1 or not appended.files:
        return {done[0].ingest_id: appended.stored} if len(done) == 1 else {}
    urls = [str(lake.root / f.path) for f in appended.files]
    return {int(i): int(n) for i, n in lake.con.execute(
        "SELECT ingest_id, count(*) FROM read_parquet(?) GROUP BY ingest_id", [urls]
    ).fetchall()}


def _snapshot_details(done: list[IngestSummary], position_days: tuple[str, ...],
                      report_days: tuple[str, ...]) -> dict[str, object]:
    """What the `ingest` snapshot records: each file's path, hash, ingest id and rows stored
    under `files` (and at the top level too for a batch of one file, as before batches), and
    the day partitions the batch touched."""
    files = [{"path": s.path, "sha256": s.sha256, "ingest_id": s.ingest_id,
              "positions_stored": s.positions_stored, "reports_stored": s.reports_stored,
              "quarantine_resolved": s.quarantine_resolved} for s in done]
    days = sorted({*position_days, *report_days})
    if len(files) == 1:
        return {**files[0], "files": files, "days": days}
    return {"files": files, "positions_stored": sum(s.positions_stored for s in done),
            "reports_stored": sum(s.reports_stored for s in done), "days": days}


def _rewritten_quarantine(lake: LakeStore, batch: Store, sources: list[str],
                          id_list: str) -> tuple[DataFile, ...]:
    """The lake's new `quarantine` file list when ingests of the batch resolved rows of
    earlier ingests of their files (dedupe.resolve_quarantined, run in the batch, which was
    seeded with every row of the batch's sources): the files holding rows of the resolved
    `sources` are replaced by the batch's rows of them (and the other sources' rows those
    files hold, if any); the other files are kept; the batch's new rows of other files
    (`id_list`: its ingest ids) are added. The old files stay for readers of older versions
    until a vacuum."""
    from cargotrace.store.lake.appends import append_rows
    from cargotrace.store.lake.files import write_files
    from cargotrace.store.lake.store import files_sql

    files = lake.files_of("quarantine")
    holding = {str(r[0]) for r in lake.con.execute(
        "SELECT DISTINCT filename FROM read_parquet(?, filename = true) "
        "WHERE list_contains(?, source)",
        [[str(lake.root / f.path) for f in files], sources]).fetchall()} if files else set()
    old = [f for f in files if str(lake.root / f.path) in holding]
    kept = tuple(f for f in files if f not in old)
    others = write_files(lake.con, lake.root, "quarantine",
                         f"SELECT * FROM ({files_sql(lake.root, 'quarantine', old)}) "
                         "WHERE NOT list_contains($sources, source)",
                         {"sources": sources}) if old else ()
    mine = append_rows(lake, "quarantine",
                       "SELECT * FROM quarantine WHERE list_contains($sources, source) "
                       f"OR ingest_id IN ({id_list})", con=batch.con, params={"sources": sources})
    return kept + others + mine
