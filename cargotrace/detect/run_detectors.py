"""How a run's detectors are run: one after another on DuckDB, at the same time on Spark.

Apart from `run.py` because this is the one place that knows where a detector's events are
made (on the driver, or on Spark's executors: `on_executors.py`), what a later detector needs
kept from them, and which detectors wait for which (`fan_out.py`); `run.py` decides what a
run reads, and stores what it found.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cargotrace.detect.context import Context
from cargotrace.detect.fan_out import PartialRun, run_together
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.on_executors import (
    ExecutorEvents,
    Provenance,
    collect_rows,
    event_frame,
    events_from_rows,
)
from cargotrace.detect.registry import COVERAGE_READERS, DETECTORS, Detector
from cargotrace.store.engines import Engine

if TYPE_CHECKING:
    from cargotrace.detect.run import DetectSummary

__all__ = ["EXECUTOR_MODULES", "OnEngine", "chosen_detectors", "needs", "provenance",
           "run_detectors", "step_name"]

EXECUTOR_MODULES = ("cargotrace.detect.registry", "cargotrace.detect.on_executors",
                    "cargotrace.detect.split_on_executors")
"""What the detectors' Python tasks on Spark's executors unpickle (the registry imports every
detector's post-step): imported once by Spark's Python daemon before it forks its workers
(`store/engines/python_daemon.py`, which detect tells with `preload_on_workers`)."""


def step_name(detector: Detector) -> str:
    """A detector's step as the progress bar names it: the kinds it finds."""
    return ", ".join(str(k) for k in detector.kinds)


def chosen_detectors(wanted: list[EventKind]) -> list[Detector]:
    """The detectors a run of the `wanted` kinds runs, in order."""
    return [d for d in DETECTORS if any(k in wanted for k in d.kinds)]


@dataclass
class OnEngine:
    """The events a Spark run left on the engine (`frames`, released by the caller) and the
    kinds they hold (not stored again from the driver's `ctx.found`)."""

    frames: list[ExecutorEvents] = field(default_factory=list)
    kinds: set[EventKind] = field(default_factory=set)

    def add(self, made: tuple[ExecutorEvents, set[EventKind]] | None) -> None:
        if made is not None:
            self.frames.append(made[0])
            self.kinds.update(made[1])

    def release(self) -> None:
        for made in self.frames:
            made.release()


def run_detectors(ctx: Context, wanted: list[EventKind], summary: DetectSummary,
                   tell: Callable[[str, int], None]) -> OnEngine:
    """Run the chosen detectors over the whole run (one bucket): in order on DuckDB, at the
    same time on Spark, each once the detectors it reads are done (`fan_out.py`).

    On Spark, a detector with an executor path (`Detector.on_spark`) leaves its candidates on
    the engine and its events are made there (`on_executors.py`); they come back to the
    driver only when a later detector reads them in Python (`Detector.reads`) or the store
    lives on the client (a DuckDB file); a lake is written by Spark (`lake/spark_events.py`)."""
    chosen = chosen_detectors(wanted)
    spark = summary.engine == str(Engine.SPARK)
    there = _on_executors(chosen) if spark else [False] * len(chosen)
    on_engine = OnEngine()
    steps = [functools.partial(_run_one, ctx, summary, chosen, there, i, wanted)
             for i in range(len(chosen))]
    if not spark:
        try:
            for done, step in enumerate(steps):
                tell(step_name(chosen[done]), done)
                on_engine.add(step())
        except BaseException:
            on_engine.release()
            raise
        return on_engine
    begun = iter(range(len(chosen)))
    try:
        made = run_together(steps, needs(chosen), [step_name(d) for d in chosen],
                            _spark_session(ctx), lambda name: tell(name, next(begun)))
    except PartialRun as failed:
        for frame in failed.results:
            on_engine.add(frame)
        on_engine.release()
        raise failed.cause from None
    for frame in made:  # in the detectors' order, whichever finished first
        on_engine.add(frame)
    return on_engine


def _run_one(ctx: Context, summary: DetectSummary, chosen: list[Detector], there: list[bool],
             index: int, wanted: list[EventKind]) -> tuple[ExecutorEvents, set[EventKind]] | None:
    """Run `chosen[index]`: its events on the driver (`ctx.found`), or, with an executor
    path, on the executors (returned with its kinds, not yet computed)."""
    detector = chosen[index]
    if not (there[index] and detector.on_spark is not None):
        ctx.found.update(detector.run(ctx))
        return None
    candidates = detector.on_spark(ctx)
    made = event_frame(candidates, {str(k): provenance(ctx, summary, detector, k)
                                    for k in candidates.kinds})
    try:
        later = list(zip(chosen[index + 1:], there[index + 1:], strict=True))
        in_python = {k for d, on in later if not on for k in d.reads}
        on_executors = {k for d, on in later if on for k in d.reads_on_engine}
        made_here = set(candidates.kinds)
        if (in_python | on_executors) & made_here:
            made.compute()  # read again: made once, kept on the executors
        if on_executors & made_here:
            ctx.engine_events.update({k: made.frame for k in candidates.kinds})
        if in_python & made_here:  # read in Python: events, not candidates
            found = events_from_rows(collect_rows(made))
            ctx.found.update({k: [e for e in found if e.kind == k] for k in candidates.kinds})
    except BaseException:
        made.release()
        raise
    made.only([str(k) for k in candidates.kinds if k in wanted])
    return made, set(detector.kinds)


def needs(chosen: list[Detector]) -> list[set[int]]:
    """Per chosen detector, the earlier ones whose events it reads (in Python or on the
    engine): it starts when they are done."""
    return [{j for j, earlier in enumerate(chosen[:i])
             if set(earlier.kinds) & {*detector.reads, *detector.reads_on_engine}}
            for i, detector in enumerate(chosen)]


def _spark_session(ctx: Context) -> Any:
    """The Spark session the run's tables are on (for the scheduler pools)."""
    import ibis

    return getattr(ibis.get_backend(ctx.tables["positions"]), "_session", None)


def _on_executors(chosen: list[Detector]) -> list[bool]:
    """Per chosen detector, whether a Spark run makes its events on the executors: it has an
    executor path and every kind that path reads on the engine is made there before it."""
    made: set[EventKind] = set()
    there = []
    for detector in chosen:
        on = detector.on_spark is not None and set(detector.reads_on_engine) <= made
        there.append(on)
        if on:
            made.update(detector.kinds)
    return there


def provenance(ctx: Context, summary: DetectSummary, detector: Detector,
                kind: EventKind) -> Provenance:
    """What a kind's events record: preset, parameters, places and other inputs, and the
    coverage model's parameters for the kinds that ask it."""
    return Provenance(summary.preset, ctx.preset.params_of(detector.params_key),
                      {"places": ctx.places_used, **ctx.inputs.get(kind, {})},
                      {"coverage": dataclasses.asdict(ctx.preset.coverage)}
                      if kind in COVERAGE_READERS else None)
