"""Write a built case to the store: its `evidence` rows and its ranked `hypotheses`.

Why in the store: reports (publish/) and the web app read cases from tables, like every other
layer. A case is replaced as a whole each time it is built (rows keyed by case_id).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cargotrace.cases.build import CaseResult
from cargotrace.cases.schema import PlacePoint
from cargotrace.store.store import Store
from cargotrace.version import __version__

__all__ = ["save_case"]


def _evidence_rows(result: CaseResult) -> list[tuple[Any, ...]]:
    places = {r.item.id: r.place for a in result.anchors for r in a.items}
    places |= {r.item.id: r.place for r in result.context}
    rows = []
    for item in result.case.evidence:
        place = places.get(item.id)
        point = item.place if isinstance(item.place, PlacePoint) else None
        rows.append((
            item.id, result.case.case, str(item.kind), item.start, item.end, item.place_label,
            place.place_id if place else None,
            point.lat if point else (place.lat if place else None),
            point.lon if point else (place.lon if place else None),
            json.dumps(item.vessel.model_dump()) if item.vessel else None,
            json.dumps(item.quantity) if item.quantity else None, item.what,
            item.source.title, item.source.publisher, item.source.date, item.source.url,
            item.grading, item.grading[0], int(item.grading[1]), item.simulated))
    return rows


def save_case(store: Store, result: CaseResult) -> int:
    """Replace the case's evidence and hypotheses rows; returns the hypotheses written."""
    doc = result.to_dict()
    now = datetime.now(UTC)
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM evidence WHERE case_id = ?", [result.case.case])
        con.execute("DELETE FROM hypotheses WHERE case_id = ?", [result.case.case])
        rows = _evidence_rows(result)
        if rows:
            con.executemany(f"INSERT INTO evidence VALUES ({', '.join('?' * 20)})", rows)
        for h in doc["hypotheses"]:
            con.execute(
                "INSERT INTO hypotheses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [result.case.case, h["rank"], h["name"], h["kind"], h["score"], h["relative"],
                 json.dumps(h["legs"], default=str), json.dumps(h["factors"]),
                 json.dumps({"supports": h["supports"], "contradicts": h["contradicts"]}),
                 h["explanation"], now, __version__])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(doc["hypotheses"])
