"""What a detection run remembers of itself: a `detected:<kind>` row in `meta` per kind, with
its window, preset, engine, counts, inputs and notes.

Why its own module: the rows are written inside the events' transaction (`run._store_found`)
so that a run killed between the two leaves neither, and readers (the vessel profile, reports,
`events`) tell "looked and found nothing" from "never looked" or "could not look" by them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cargotrace.detect.kinds import EventKind
from cargotrace.store.store import Store

if TYPE_CHECKING:
    from cargotrace.detect.run import DetectSummary

RUN_KEY = "detected:{kind}"
"""`meta` key of the last detection run of a kind: lets readers tell "detected nothing" (the
detector ran over the data) from "no data" (it never ran), e.g. the vessel profile's practices."""


def insert_runs(store: Store, kinds: list[EventKind], summary: DetectSummary,
                 since: datetime | None, until: datetime | None) -> None:
    """The `detected:<kind>` rows, one statement, in the caller's transaction (each statement
    on its own commits to the store file, ~30 ms apiece). `blocked` lists why a kind could not
    find any event (e.g. "capture too short"), so that "no event" is not read as "looked and
    not seen"."""
    ran_at = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [[RUN_KEY.format(kind=kind), json.dumps(_run_value(kind, summary, since, until,
                                                               ran_at))] for kind in kinds]
    if rows:
        store.con.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)


def _run_value(kind: EventKind, summary: DetectSummary, since: datetime | None,
               until: datetime | None, ran_at: str) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "preset": summary.preset,
        "engine": summary.engine,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "data_end": summary.data_end.isoformat() if summary.data_end else None,
        "events": summary.written.get(kind, 0),
        "inputs": summary.inputs.get(kind, {}),
        "window": summary.window,
        "notes": summary.notes.get(kind, []),
        "blocked": summary.blocked.get(kind, []),
        "ran_at": ran_at,
    }
