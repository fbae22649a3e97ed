"""Who is behind each MMSI: the identities a vessel broadcast over time, and when it was seen.

Identity fields change (renames, reflagging, spoofed IMOs) and such changes are exactly what an
analyst looks for, so every distinct value is kept with when it was first and last reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cargotrace.store.mid import flag_of
from cargotrace.store.store import Store


@dataclass(frozen=True)
class Observed:
    """One value of an identity field, and the span over which the vessel reported it."""

    value: str
    first_ts: datetime
    last_ts: datetime
    reports: int


@dataclass
class VesselIdentity:
    mmsi: int
    flag: str | None  # ISO 3166 alpha-2 implied by the MMSI's MID
    positions: int
    first_seen: datetime | None
    last_seen: datetime | None
    names: list[Observed] = field(default_factory=list)
    imos: list[Observed] = field(default_factory=list)
    callsigns: list[Observed] = field(default_factory=list)
    ship_types: list[Observed] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_IDENTITY_FIELDS = {
    "names": "name", "imos": "imo", "callsigns": "callsign", "ship_types": "ship_type",
}


def _filter(
    mmsi: int | None, imo: int | None, name: str | None
) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) shared by the listing and its count, so that
    the total a title gives is the total of exactly what was listed."""
    where: list[str] = []
    params: list[object] = []
    if mmsi is not None:
        where.append("mmsi = ?")
        params.append(mmsi)
    if imo is not None:
        where.append("mmsi IN (SELECT mmsi FROM vessel_reports WHERE imo = ?)")
        params.append(imo)
    if name:
        where.append("mmsi IN (SELECT mmsi FROM vessel_reports WHERE name ILIKE ?)")
        params.append(f"%{name}%")
    return (f"WHERE {' AND '.join(where)}" if where else ""), params


_ALL_MMSIS = "SELECT mmsi FROM positions UNION SELECT mmsi FROM vessel_reports"


def _selected_mmsis(
    store: Store, mmsi: int | None, imo: int | None, name: str | None, limit: int
) -> list[int]:
    clause, params = _filter(mmsi, imo, name)
    rows = store.con.execute(
        f"SELECT mmsi FROM ({_ALL_MMSIS}) {clause} ORDER BY mmsi LIMIT {int(limit)}",
        params,
    ).fetchall()
    return [int(r[0]) for r in rows]


def count_vessels(
    store: Store, mmsi: int | None = None, imo: int | None = None, name: str | None = None
) -> int:
    """How many MMSIs match the filters, whatever the limit: a listing cut at `limit` must
    say how many it left out, or an analyst reads the first 1,000 as the whole store."""
    clause, params = _filter(mmsi, imo, name)
    row = store.con.execute(f"SELECT count(*) FROM ({_ALL_MMSIS}) {clause}", params).fetchone()
    return int(row[0]) if row else 0


def vessel_identities(
    store: Store,
    mmsi: int | None = None,
    imo: int | None = None,
    name: str | None = None,
    limit: int = 1000,
) -> list[VesselIdentity]:
    """Identities of the vessels matching every given filter (all vessels when none is given),
    the first `limit` by MMSI (`limit` must be at least 1: a negative LIMIT is a DuckDB error)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    mmsis = _selected_mmsis(store, mmsi, imo, name, limit)
    if not mmsis:
        return []
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chosen AS SELECT unnest(?::BIGINT[]) AS mmsi", [mmsis]
    )
    seen = {
        int(m): (int(n), first, last)
        for m, n, first, last in con.execute(
            """SELECT mmsi, count(*), min(ts), max(ts) FROM positions
               WHERE mmsi IN (SELECT mmsi FROM chosen) GROUP BY mmsi"""
        ).fetchall()
    }
    vessels = {
        m: VesselIdentity(m, flag_of(m), *seen.get(m, (0, None, None))) for m in mmsis
    }
    for attr, column in _IDENTITY_FIELDS.items():
        for m, value, first, last, n in con.execute(
            f"""SELECT mmsi, CAST({column} AS VARCHAR), min(ts), max(ts), count(*)
                FROM vessel_reports WHERE {column} IS NOT NULL
                  AND mmsi IN (SELECT mmsi FROM chosen)
                GROUP BY ALL ORDER BY mmsi, min(ts)"""
        ).fetchall():
            getattr(vessels[int(m)], attr).append(Observed(value, first, last, int(n)))
    con.execute("DROP TABLE chosen")
    return list(vessels.values())
