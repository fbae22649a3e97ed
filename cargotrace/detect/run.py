"""Run detectors over the store and replace their events (what `cargotrace detect` does).

Lone outlier positions (GPS or receiver glitches, `outliers.py`) are flagged first, stored in
`position_flags`, and left out of what every detector reads. Detectors run in dependency
order (a dark voyage needs port visits and silences; a possible dark port call needs gaps and
port visits), each on the engine asked for; their events are then written to the store in one batch,
replacing the events of the same kinds in the run's time range. A kind that
finds nothing says why when the data could not give it any event (`notes.py`): no places, too
short a capture, no static reports, no positions.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cargotrace.detect import run_records
from cargotrace.detect.buckets import BucketParams, bucket_count, detect_in_buckets
from cargotrace.detect.context import Context
from cargotrace.detect.event_writes import write_events
from cargotrace.detect.kinds import EventKind, parse_kinds
from cargotrace.detect.notes import NO_POSITIONS, Inputs, run_notes, why_nothing
from cargotrace.detect.outliers import replace_flags
from cargotrace.detect.presets import Preset, resolve
from cargotrace.detect.registry import COVERAGE_READERS, DETECTORS, SUPPORTED, Detector
from cargotrace.detect.run_detectors import (
    EXECUTOR_MODULES,
    OnEngine,
    chosen_detectors,
    provenance,
    run_detectors,
    step_name,
)
from cargotrace.detect.run_records import RUN_KEY
from cargotrace.detect.window import read_range, window_record
from cargotrace.errors import ParamsError
from cargotrace.ingest.world_gazetteer import ensure_default_places, places_used
from cargotrace.store.engines import Engine, tables_on
from cargotrace.store.events import Replaced
from cargotrace.store.store import Store
from cargotrace.store.windows import window_sql

__all__ = ["COVERAGE_READERS", "DETECTORS", "RUN_KEY", "SUPPORTED", "Context", "DetectProgress",
           "DetectSummary", "Detector", "detect"]

DetectProgress = Callable[[str, int, int], None]
"""Called before each step of a run with the step's name (`outliers`, then the kinds a
detector finds, e.g. `gap, left_coverage`), the steps done and the steps in all; once more at
the end with `done`. A caller (the CLI's progress bar) shows it; the library never draws."""


@dataclass
class DetectSummary:
    preset: str
    data_end: datetime | None
    engine: str = "duckdb"
    written: dict[str, int] = field(default_factory=dict)
    """Per kind: events now in the store from this run (counted there, after the insert)."""
    replaced: int = 0
    folded: int = 0
    """Identical duplicate events stored once (same id, every column equal)."""
    flagged: int = 0
    """Positions flagged as lone outliers in the run's window (`position_flags`): kept, and
    left out of every detector."""
    notes: dict[str, list[str]] = field(default_factory=dict)
    """Per kind: why it found nothing when it could not run or could not find anything, and
    what it ran without (e.g. no places: no port exclusion)."""
    blocked: dict[str, list[str]] = field(default_factory=dict)
    """Per kind, the notes that say it could not find any event in this run (a subset of
    `notes`): stored with the run, so that readers tell "could not be detected" from "looked
    and found nothing"."""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per kind, what its events record about the run beyond the places, e.g. what the
    encounters' crowded-cell cap left out (`anchorages.py`)."""
    window: dict[str, Any] = field(default_factory=dict)
    """A windowed run's window, the range it read around it and the margin (`window.py`);
    empty for a run over all the data."""
    buckets: int = 1
    """Buckets of vessels the run was detected in (`buckets.py`): 1 unless a DuckDB run
    read more than `BucketParams.positions_per_bucket` positions."""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (`cargotrace detect --json` prints it)."""
        return {
            "preset": self.preset,
            "data_end": None if self.data_end is None else str(self.data_end),
            "written": {str(k): v for k, v in self.written.items()},
            "replaced": self.replaced,
            "folded_duplicates": self.folded,
            "flagged_positions": self.flagged,
            "notes": {str(k): v for k, v in self.notes.items()},
            "blocked": {str(k): v for k, v in self.blocked.items()},
            "inputs": {str(k): v for k, v in self.inputs.items()},
            "window": self.window,
            "buckets": self.buckets,
            "duration_s": round(self.duration_s, 2),
        }


def detect(
    store: Store,
    kinds: list[str] | None = None,
    preset: str | Preset = "gfw",
    overrides: dict[str, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    engine: Engine | str = Engine.DUCKDB,
    progress: DetectProgress | None = None,
    buckets: BucketParams | None = None,
) -> DetectSummary:
    """Detect the requested kinds (all supported ones by default) and store their events.

    `preset` is a preset's name or a `Preset` (e.g. `GFW.with_overrides(...)`); `overrides`
    are `--set` texts applied on top of it. With `since`/`until`, the run reads each kind's
    margin (the preset's `window` caps, `window.margin_of`) around the window, detects there
    and stores only the events that start in [since, until), replacing the stored ones that
    do (`window.py`): a re-detect of a window gives the events a full detect gives there.
    `buckets`: how a large DuckDB run splits its vessels (`buckets.py`; the same events)."""
    started = time.perf_counter()
    wanted = parse_kinds(kinds, SUPPORTED) if kinds else list(SUPPORTED)
    unsupported = [k for k in wanted if k not in SUPPORTED]
    if unsupported:
        raise ParamsError(
            f"--kind {unsupported[0]}: not detected yet; detectable kinds: {', '.join(SUPPORTED)}"
        )
    chosen = resolve(preset, overrides or {})
    windowed = since is not None or until is not None
    read_since, read_until, margin = read_range(wanted, chosen, since, until)
    # a lake reads only the day partitions of the range read, margins included
    with store.reading_window(read_since, read_until):
        if not store.read_only:
            ensure_default_places(store)  # a store from before the world gazetteer gets it now
        tables = _read_tables(store, engine, read_since, read_until)
        data_end = _data_end(store, read_until)
        summary = DetectSummary(chosen.name, data_end, str(Engine(engine)))
        if windowed:
            summary.window = window_record(since, until, read_since, read_until, margin)
        inputs = Inputs.of(store, since, until)
        if data_end is None or not (inputs.positions or inputs.reports):
            for kind in wanted:  # nothing to detect on: every kind says so, nothing is replaced
                summary.written[kind] = 0
                summary.notes[kind] = [NO_POSITIONS]
            summary.duration_s = time.perf_counter() - started
            return summary
        readers = (EventKind.PORT_VISIT, EventKind.DARK_VOYAGE, EventKind.DRAUGHT_CHANGE,
                   EventKind.POSSIBLE_DARK_PORT_CALL, EventKind.SHUTTLE)
        share_track = any(k in wanted for k in readers)
        # a windowed run: a feed going on after the range read ends at its end (`feeds.py`)
        goes_on = None if read_until is None else (
            lambda sources: store.has_positions_from(data_end, sources))
        summary.buckets = _buckets(tables, engine, buckets or BucketParams())
        tell = progress or (lambda step, done, total: None)
        if summary.buckets > 1:
            steps = ["coverage", *(f"vessels {b}/{summary.buckets}"
                                   for b in range(1, summary.buckets + 1)), "across vessels"]
            run = detect_in_buckets(tables, chosen, data_end, wanted, summary.buckets,
                                    share_track, places_used(store),
                                    lambda step, done: tell(step, done, len(steps)), goes_on)
            ctx = run.context
            flags = run.flags
        else:
            ctx = Context(tables, chosen, data_end, share_track=share_track,
                          places_used=places_used(store), goes_on=goes_on)
            steps = ["outliers"] + [step_name(d) for d in chosen_detectors(wanted)]
        on_engine = OnEngine()
        try:
            if summary.buckets == 1:
                tell(steps[0], 0, len(steps))
                flags = ctx.flag_outliers()  # over the range read: the window's are stored
                on_engine = run_detectors(ctx, wanted, summary,
                                          lambda step, done: tell(step, done + 1, len(steps)))
            # the flags and notes are committed with the events, or not at all
            record_notes = functools.partial(_record_notes, store, wanted, inputs, chosen, ctx,
                                             summary, since, until, flags)
            _store_found(store, ctx, wanted, summary, since, until, on_engine, record_notes)
            tell("done", len(steps), len(steps))
        finally:
            on_engine.release()
            ctx.release()
        summary.duration_s = time.perf_counter() - started
        return summary


def _record_notes(store: Store, wanted: list[EventKind], inputs: Inputs, chosen: Preset,
                  ctx: Context, summary: DetectSummary, since: datetime | None,
                  until: datetime | None, flags: Any) -> None:
    """The run's outlier flags (`replace_flags`), then each wanted kind's notes, in the
    summary and with the run (`run_records`): inside the events' transaction."""
    summary.flagged = replace_flags(store, flags, since, until, in_transaction=True)
    for kind in wanted:
        blocked = why_nothing(kind, inputs, chosen, ctx, summary.written[kind])
        notes = run_notes(kind, inputs, ctx, blocked)
        if notes:
            summary.notes[kind] = notes
        if blocked:
            summary.blocked[kind] = blocked
    # inside the events' transaction (`_store_found`): no transaction of its own
    run_records.insert_runs(store, wanted, summary, since, until)


def _read_tables(store: Store, engine: Engine | str, since: datetime | None,
                 until: datetime | None) -> dict[str, Any]:
    """The run's tables on its engine, positions and vessel reports in [since, until)."""
    if Engine(engine) == Engine.SPARK:  # before the session starts its Python daemon
        from cargotrace.store.engines.python_daemon import preload_on_workers

        preload_on_workers(EXECUTOR_MODULES)
    tables = tables_on(engine, store, ["positions", "vessel_reports", "places"])
    for name in ("positions", "vessel_reports"):
        t = tables[name]
        if since is not None:
            t = t.filter(t.ts >= since)
        if until is not None:
            t = t.filter(t.ts < until)
        tables[name] = t
    return tables


def _data_end(store: Store, read_until: datetime | None) -> datetime | None:
    """Where the run's data ends: the last position read, or the end of the range read when
    there are positions after it (a windowed run reads on to its margin, no further)."""
    where, params = window_sql("ts", None, read_until)
    last: datetime | None = store.con.execute(f"SELECT max(ts) FROM positions WHERE {where}", params
                             ).fetchall()[0][0]
    if last is None or read_until is None:
        return last
    return read_until if store.has_positions_from(read_until) else last


def _buckets(tables: dict[str, Any], engine: Engine | str, params: BucketParams) -> int:
    """How many buckets of vessels the run uses: DuckDB runs by the positions they read
    (`buckets.py`); a Spark run is one piece (Spark partitions by itself)."""
    if Engine(engine) != Engine.DUCKDB:
        return 1
    from cargotrace.store.engines.results import to_arrow  # Ibis' to_pyarrow imports pandas

    counted = to_arrow(tables["positions"].count().name("positions"))
    return bucket_count(int(counted.column(0)[0].as_py()), params)


def _store_found(
    store: Store,
    ctx: Context,
    wanted: list[EventKind],
    summary: DetectSummary,
    since: datetime | None,
    until: datetime | None,
    on_engine: OnEngine,
    record_notes: Callable[[], None],
) -> None:
    """Store every wanted kind's events at once: one transaction (a failed run leaves the
    store as it was, not half the kinds replaced) and one delete and insert instead of one
    per kind. `store_events` keeps only the events that start in [since, until). Events left
    on Spark's engine are written by Spark on a lake, collected as rows otherwise
    (`event_writes.py`). `record_notes` (the `detected:` notes, which need the counts)
    runs inside that commit: a run killed or failing before it leaves the events and the
    notes as they were, never new events under old notes."""
    chosen = chosen_detectors(wanted)
    tables = [provenance(ctx, summary, detector, kind).rows(ctx.found[kind])
              for detector in chosen for kind in detector.kinds
              if kind in wanted and kind not in on_engine.kinds]
    stored = [k for d in chosen for k in d.kinds if k in wanted]

    def counted(replaced: Replaced) -> None:
        summary.replaced += replaced.removed
        summary.folded += replaced.folded
        for kind in stored:
            summary.written[kind] = (replaced.written_by_kind or {}).get(str(kind), 0)
            if kind in ctx.inputs:
                summary.inputs[kind] = ctx.inputs[kind]
        record_notes()

    write_events(store, tables, on_engine.frames, [str(k) for k in stored], since, until,
                 counted)
