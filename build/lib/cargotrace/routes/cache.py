"""Cached rail-graph tables: Parquet written atomically into the shared cache folder.

Why: turning the world railway literal into arrays and giving each of its 275k nodes a country
takes seconds; reading the result back from Parquet takes a fraction of that. The folder and the
all-or-nothing write are cargotrace/cache.py's.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cargotrace.cache import CACHE_ENV, cache_dir, write_atomic

__all__ = ["CACHE_ENV", "cache_dir", "write_parquet_atomic"]


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Readers (and a second process building the same cache) see the whole file or none."""
    write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
