"""Reading events back: filters (maps and tables of events: `cargotrace.publish`)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from cargotrace.store.store import Store


class EventFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    GEOJSON = "geojson"


def list_events(
    store: Store, kind: str | None = None, mmsi: int | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> list[dict[str, Any]]:
    where: list[str] = ["true"]
    params: list[object] = []
    for clause, value in (("kind = ?", kind), ("(mmsi = ? OR other_mmsi = ?)", mmsi),
                          ("start >= ?", since), ("start < ?", until)):
        if value is not None:
            where.append(clause)
            params.extend([value] * clause.count("?"))
    cur = store.con.execute(
        f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY start, kind, mmsi", params
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        for key in ("attrs", "params"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows
