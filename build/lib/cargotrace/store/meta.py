"""Facts about the store itself, as JSON values in the `meta` table (docs/reference/store.md).

Why a table of facts rather than columns: they are few, written by different commands (detect
runs, the demo's note that its AIS is simulated) and read by the report, which must be able to
say what the data is without guessing from it. `simulated_ais` is written when a file of
`cargotrace simulate` is ingested (and by the demo), so a report never presents generated
positions of a real ship's name as observations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cargotrace.store.store import Store

__all__ = ["SIMULATED_AIS", "read_meta", "simulator_scenario", "write_meta"]

SIMULATED_AIS = "simulated_ais"  # the scenario whose generated AIS is in the store
SIMULATOR_FILES = ("positions.nmea", "positions.parquet", "vessel_reports.parquet")


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


def simulator_scenario(path: Path) -> dict[str, Any] | None:
    """The scenario of a file `cargotrace simulate` wrote (its `scenario.json` lies beside it),
    else None: ingesting such a file marks the store as holding simulated AIS."""
    sidecar = path.parent / "scenario.json"
    if path.name not in SIMULATOR_FILES or not sidecar.is_file():
        return None
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not {"scenario", "seed", "behaviours"} <= doc.keys():
        return None
    return doc
