"""What `ingest --engine spark` checks before its tasks run on a Spark Connect server: that the
executors see the input file and the lake where this client sees them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from cargotrace.errors import StoreError

__all__ = ["require_shared_storage"]

SHARED_SCHEMA = "missing string"


def require_shared_storage(spark: Any, path: Path, folder: Path) -> None:
    """Raise StoreError, in one line, when a Spark Connect server's executors do not see the
    input file (with this size) and the lake's staging folder at the paths this client sees.

    Why: executors read the input by path and write the lake's files by path (no row passes
    through the client or the driver), so with `SPARK_REMOTE` both must be on storage both
    sides mount at the same path (docs/reference/spark.md, "Ingest through Spark Connect").
    Without this check a task fails deep inside Spark with a Python traceback per task.
    Local mode runs its executors in this machine's processes: nothing to check."""
    from cargotrace.store.engines.session import REMOTE_ENV, is_remote

    if not is_remote():
        return
    size = path.stat().st_size

    def probe(batches: Any) -> Any:
        import os

        for _ in batches:
            missing = [str(p) for p, ok in (
                (path, os.path.isfile(path) and os.path.getsize(path) == size),
                (folder, os.path.isdir(folder) and os.access(folder, os.W_OK))) if not ok]
            yield pa.RecordBatch.from_pydict({"missing": missing}, schema=pa.schema(
                [("missing", pa.string())]))

    missing = [str(r["missing"]) for r in
               spark.range(0, 1, 1, 1).mapInArrow(probe, SHARED_SCHEMA).collect()]
    if missing:
        raise StoreError(
            f"{REMOTE_ENV}: the Spark executors do not see {' nor '.join(missing)} as this "
            "machine does; with Spark Connect the input files and the lake must be on storage "
            "both mount at the same path (see docs/reference/spark.md)")
