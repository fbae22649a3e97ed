"""Facts about the store itself, as JSON values in the `meta` table (docs/reference/store.md).

Why a table of facts rather than columns: they are few, written by different commands (detect
runs, the demo's note that its AIS is simulated) and read by the report, which must be able to
say what the data is without guessing from it.
"""

from __future__ import annotations

import json
from typing import Any

from cargotrace.store.store import Store

__all__ = ["SIMULATED_AIS", "read_meta", "write_meta"]

SIMULATED_AIS = "simulated_ais"  # the scenario whose generated AIS is in the store


def write_meta(store: Store, key: str, value: Any) -> None:
    store.con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                      [key, json.dumps(value, sort_keys=True, default=str)])


def read_meta(store: Store, key: str) -> Any | None:
    rows = store.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    if not rows:
        return None
    try:
        return json.loads(rows[0][0])
    except (TypeError, ValueError):
        return rows[0][0]
