"""Run detectors over the store and replace their events (what `cargotrace detect` does)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cargotrace.detect.events import events_table, replace_events
from cargotrace.detect.gaps import dark_port_calls, gap_candidates, gap_events
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.presets import resolve
from cargotrace.errors import ParamsError
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.store import Store

SUPPORTED = (EventKind.GAP, EventKind.POSSIBLE_DARK_PORT_CALL)


@dataclass
class DetectSummary:
    preset: str
    data_end: datetime | None
    written: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    duration_s: float = 0.0


def detect(
    store: Store,
    kinds: list[str] | None = None,
    preset: str = "gfw",
    overrides: dict[str, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    engine: Engine | str = Engine.DUCKDB,
) -> DetectSummary:
    """Detect the requested kinds (all supported ones by default) and store their events.

    The detectors' Ibis expressions run on `engine`; events are always written to the store.
    """
    started = time.perf_counter()
    wanted = [EventKind(k) for k in kinds] if kinds else list(SUPPORTED)
    unsupported = [k for k in wanted if k not in SUPPORTED]
    if unsupported:
        raise ParamsError(
            f"--kind {unsupported[0]}: not detected yet; detectable kinds: "
            f"{', '.join(SUPPORTED)}"
        )
    params = resolve(preset, overrides or {})
    tables = tables_on(engine, store, ["positions", "places"])
    positions = tables["positions"]
    if since is not None:
        positions = positions.filter(positions.ts >= since)
    if until is not None:
        positions = positions.filter(positions.ts < until)
    data_end = until or store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
    summary = DetectSummary(preset, data_end)
    if data_end is None:
        return summary
    gap_params = params["gap"]
    gaps = gap_events(
        to_arrow(gap_candidates(positions, gap_params, data_end), order_by=["mmsi", "start"]),
        gap_params,
        data_end,
    )
    found: dict[EventKind, list[Any]] = {EventKind.GAP: gaps}
    if EventKind.POSSIBLE_DARK_PORT_CALL in wanted:
        found[EventKind.POSSIBLE_DARK_PORT_CALL] = dark_port_calls(
            gaps, to_arrow(tables["places"], order_by=["place_id"]), gap_params
        )
    for kind in wanted:
        table = events_table(found[kind], preset, gap_params)
        removed, written = replace_events(store, table, [kind], since, until)
        summary.written[kind] = written
        summary.replaced += removed
    summary.duration_s = time.perf_counter() - started
    return summary
