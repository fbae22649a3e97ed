"""Detection over buckets of vessels: a large store detected in pieces that fit in memory.

Why: every detector orders each vessel's track (window functions partitioned by MMSI), and
DuckDB's window operator sorts its whole input; past the memory limit it spills and sorts on
disk, and the run's cost grows faster than the data (session 8: 9.5M positions in 7.5 s,
100M in 529 s). Nearly every detector reads one vessel at a time, so a large run splits the
vessels into `count` buckets (`mmsi % count`), detects each bucket with its positions kept
as a temporary table of their own, and concatenates the events: each bucket's sorts fit in
memory, and the run's cost grows with the data.

What may be split, kind by kind (the rule; read each detector before adding one):
- Per vessel, detected bucket by bucket: lone outliers (one MMSI's track), identity's shared
  MMSIs and teleports (the segments of one MMSI) and its name / IMO / call-sign changes (one
  MMSI's reports), gaps and coverage exits, port visits, possible dark port calls (a vessel's
  gaps and visits), dark voyages, draught changes (a vessel's reports and silences), loitering
  (one vessel's resampled track), and the slow resampled steps that encounters pair.
- Run-wide context, computed once over every vessel and shared by all buckets: the coverage
  model (hours heard, footprint, receivers' reach: each counts vessels across the feed), the
  data end and the places. The coverage model counts the positions without their outliers,
  found bucket by bucket: it is drawn over every position first and checked once the
  outliers are known (`detect_in_buckets`).
- Across vessels, once after the buckets: identity's flag changes (an IMO number moving from
  one MMSI to another compares the reports of both), encounters' crowded cells and pairs (over
  the slow steps of every bucket gathered: a pair or a crowd is never split) and shuttles (a
  group shuttle joins vessels on one route; a pure function over the calls found).

DuckDB only: Spark partitions and spills by itself, and a `--engine spark` run is one bucket.
Small runs are one bucket too (`BucketParams.positions_per_bucket`), detected exactly as
before; a test forcing several buckets checks the events are the same as one bucket's.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from cargotrace.detect.context import Context
from cargotrace.detect.coverage import CoverageModel, coverage_model
from cargotrace.detect.encounters import scan_slow_steps, slow_steps
from cargotrace.detect.feeds import GoesOn
from cargotrace.detect.identity import detect_identity, reflag_candidates, reflag_events
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.outliers import FLAG_SCHEMA, without_flagged
from cargotrace.detect.presets import Preset
from cargotrace.detect.registry import DETECTORS, Detector
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

__all__ = ["BucketParams", "BucketRun", "bucket_count", "detect_in_buckets", "in_bucket"]

_SLOW_STEPS = "_bucket_slow_steps"


@dataclass(frozen=True)
class BucketParams:
    """How a DuckDB detection run splits its vessels (`detect(..., buckets=...)`)."""

    positions_per_bucket: int = 10_000_000
    """Target positions per bucket: a run reading more is split into ceil(positions / this)
    buckets of vessels. 10M: a run of that size detects in one piece at a ~3 GB peak
    (measured at 11.3M), inside the 6 GB memory limit of the 8 GB scale target with room
    for Python's share, so no bucket spills; stores up to 10M (the 9.5M bench store) are
    detected in one piece exactly as before. More buckets cost a scan of the positions each
    and a few seconds of planning per bucket."""

    def __post_init__(self) -> None:
        if self.positions_per_bucket < 1:
            raise ValueError("positions_per_bucket must be at least 1")


def bucket_count(positions: int, params: BucketParams) -> int:
    """How many buckets a run over `positions` positions uses: 1 up to one bucket's worth."""
    return max(1, math.ceil(positions / params.positions_per_bucket))


def in_bucket(table: Any, bucket: int, count: int) -> Any:
    """The rows of `table` (an Ibis table with `mmsi`) whose vessel is in `bucket` of `count`:
    every row of one MMSI lands in the same bucket (MMSIs are spread evenly enough by their
    last digits; a shared MMSI's ships stay together, as identity needs)."""
    if count == 1:
        return table
    return table.filter(table.mmsi % count == bucket)


@dataclass
class BucketRun:
    """What a bucketed run found, shaped as a one-piece run's `Context` is after its detectors:
    `context` sees every vessel's positions (without outliers), the shared coverage model and
    every bucket's events (`run.py` stores them and explains empty kinds from it)."""

    context: Context
    flags: pa.Table
    buckets: int
    found: dict[EventKind, list[Event]] = field(default_factory=dict)


def detect_in_buckets(
    tables: dict[str, Any], preset: Preset, data_end: datetime, wanted: list[EventKind],
    count: int, share_track: bool, places_used: dict[str, Any],
    tell: Callable[[str, int], None] | None = None, goes_on: GoesOn | None = None,
) -> BucketRun:
    """Run the detectors of the `wanted` kinds over `count` buckets of vessels (module rule):
    the coverage model once, each bucket's outliers and per-vessel kinds, then the kinds that
    compare vessels over everything the buckets gathered. `tell(step, done)` is called before
    each step (coverage, each bucket, the cross-vessel kinds).

    The coverage model counts the positions without their outliers, which are found bucket by
    bucket: it is drawn first over every position, and drawn again once the outliers are
    known; only when they changed it (an outlier heard alone in a cell or an hour) are the
    buckets detected a second time, with the model drawn without them. Outliers are rare, and
    the one pass is what keeps a bucket's sorted track computed once."""
    say = tell or (lambda step, done: None)
    raw = tables["positions"]
    whole = Context(dict(tables), preset, data_end, share_track=share_track,
                    places_used=places_used, goes_on=goes_on)
    detectors = [d for d in DETECTORS if any(k in wanted for k in d.kinds)]
    say("coverage", 0)
    coverage = whole.coverage()  # over every vessel: what each bucket's silences ask
    found, flags, slow = _every_bucket(tables, count, whole, coverage, detectors, say)
    if flags.num_rows:
        clean = without_flagged(raw, flags)
        redrawn = coverage_model(clean, data_end, preset.coverage, goes_on)
        if not _same_model(coverage, redrawn):
            coverage = redrawn
            found, _, slow = _every_bucket(tables, count, whole, coverage, detectors, say)
        whole.tables["positions"] = clean
    whole.share_coverage(coverage, None)
    say("across vessels", count + 1)
    whole.found = found
    if EventKind.IDENTITY in found:
        found[EventKind.IDENTITY] += reflag_events(to_arrow(
            reflag_candidates(whole.tables["positions"], tables["vessel_reports"])))
    if EventKind.ENCOUNTER in wanted:
        found[EventKind.ENCOUNTER] = _encounters(tables, preset, slow, whole)
    if EventKind.SHUTTLE in wanted:
        found.update(_run(EventKind.SHUTTLE)(whole))
    return BucketRun(whole, flags, count, found)


def _same_model(a: CoverageModel, b: CoverageModel) -> bool:
    """Whether two coverage models hold the same hours, footprint and reaches (their pickled
    bytes: numpy arrays compare element-wise, not as one truth value)."""
    return pickle.dumps(a) == pickle.dumps(b)


def _every_bucket(
    tables: dict[str, Any], count: int, whole: Context, coverage: CoverageModel,
    detectors: list[Detector], say: Callable[[str, int], None],
) -> tuple[dict[EventKind, list[Event]], pa.Table, list[pa.Table]]:
    """Every bucket's events per kind, outlier flags and slow steps (for encounters)."""
    found: dict[EventKind, list[Event]] = {}
    flags: list[pa.Table] = [FLAG_SCHEMA.empty_table()]
    slow: list[pa.Table] = []
    for b in range(count):
        say(f"vessels {b + 1}/{count}", b + 1)
        part, bucket_flags = _detect_bucket(tables, b, count, whole, coverage, detectors, slow)
        flags.append(bucket_flags)
        for kind, events in part.items():
            found.setdefault(kind, []).extend(events)
    return found, pa.concat_tables(flags), slow


def _detect_bucket(
    tables: dict[str, Any], bucket: int, count: int, whole: Context, coverage: CoverageModel,
    detectors: list[Detector], slow_parts: list[pa.Table],
) -> tuple[dict[EventKind, list[Event]], pa.Table]:
    """One bucket's per-vessel events and outlier flags (and its slow steps, added to
    `slow_parts`, when encounters are wanted), its positions kept as a temporary table while
    it runs: the outliers, then each detector, as a run in one piece does them."""
    positions = in_bucket(tables["positions"], bucket, count).cache()
    mine = {**tables, "positions": positions,
            "vessel_reports": in_bucket(tables["vessel_reports"], bucket, count)}
    ctx = Context(mine, whole.preset, whole.data_end, share_track=whole.share_track,
                  places_used=whole.places_used)
    ctx.share_coverage(coverage, None)
    try:
        flags = ctx.flag_outliers()
        for detector in detectors:
            if EventKind.IDENTITY in detector.kinds:
                ctx.found[EventKind.IDENTITY] = detect_identity(
                    ctx.tables["positions"], mine["vessel_reports"], whole.preset.identity,
                    ctx.segmentation(), reflags=False)
            elif EventKind.ENCOUNTER in detector.kinds:
                params = whole.preset.encounter
                tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h,
                                    params.max_speed_kn)
                slow_parts.append(to_arrow(slow_steps(None, tables["places"], params, tracks)))
            elif EventKind.SHUTTLE in detector.kinds:
                for needed in (EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL):
                    if needed not in ctx.found:  # the calls shuttles read, gathered
                        ctx.found.update(_run(needed)(ctx))
            else:
                ctx.found.update(detector.run(ctx))
    finally:
        ctx.release()
        positions.release()
    return ctx.found, flags


def _run(kind: EventKind) -> Callable[[Context], dict[EventKind, list[Event]]]:
    """The registry's adapter for `kind` (a dependency a bucket must find itself)."""
    return next(d.run for d in DETECTORS if kind in d.kinds)


def _encounters(tables: dict[str, Any], preset: Preset, slow_parts: list[pa.Table],
                whole: Context) -> list[Event]:
    """Encounters over every bucket's slow steps, gathered in one temporary table on the
    store's engine (a pair's two vessels may sit in different buckets)."""
    params = preset.encounter
    slow = pa.concat_tables(slow_parts)
    backend = tables["places"].get_backend()
    table = backend.create_table(_SLOW_STEPS, ibis.memtable(slow), temp=True, overwrite=True)
    try:
        scan = scan_slow_steps(table, tables["places"], params)
    finally:
        backend.drop_table(_SLOW_STEPS, force=True)
    whole.inputs[EventKind.ENCOUNTER] = {"crowding": scan.crowding}
    return scan.events
