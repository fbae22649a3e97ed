"""A Spark run's detectors at the same time: each in its own thread, once those it reads are done.

Why (issue 23, fixed cost): on small data a Spark run is some 90 small jobs, each a second or
less of planning on the driver and a task or two on the executors, run one after another, so
one core waits while the other plans. Most detectors are independent (gaps, port visits,
encounters and identity's change candidates read the same shared tables, not each other), so
their jobs can overlap. Each detector runs in a thread of its own, in a FAIR scheduler pool of
its own (`spark.scheduler.mode=FAIR`, set for local mode in `store/engines/session.py`), so a
long job of one detector does not hold up the small jobs of another; a detector that reads
another's events (dark voyages read port visits) starts when that one is done. The shared
tables (track, segmentation, resampled tracks) are computed once under `Context`'s locks.

What each detector gives is kept per detector and handed back in the run's fixed order, so
the events written, their order and the summary are the same as a run one after another.
DuckDB runs its detectors one after another (`run.py`): one DuckDB connection runs one query
at a time, and its queries already use every core.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["MAX_THREADS", "run_together"]

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_THREADS = 4
"""Detectors running at once. Each thread mostly waits for Spark; four keep both local
cores busy with one detector's tasks while others plan, and the driver's memory is small."""

POOL_PROPERTY = "spark.scheduler.pool"
GROUP_PROPERTY = "spark.jobGroup.id"


def run_together(steps: Sequence[Callable[[], T]], needs: Sequence[set[int]],
                 names: Sequence[str], session: Any,
                 started: Callable[[str], None] | None = None) -> list[T]:
    """Run `steps[i]` once every step in `needs[i]` (indices before `i`) is done; their
    results in the order of `steps`. A step that fails fails the run: the steps that need it
    fail too, the others are waited for, and `PartialRun` is raised with the first failure
    (in the steps' order) and what the finished steps gave (for the caller to release).
    An interrupt (Ctrl-C) is raised as it is, once the steps' Spark jobs are cancelled and
    the steps have ended (`_stop_running`, a bounded wait).
    `started` is told each step's name as it starts (one call at a time)."""
    for index, needed in enumerate(needs):
        if any(n >= index for n in needed):
            raise ValueError(f"step {names[index]} needs a later step: {sorted(needed)}")
    told = threading.Lock()
    futures: list[Future[T]] = []
    # the steps under way, kept by the steps themselves: an interrupt can arrive inside
    # `pool.submit`, before its future is in `futures`, so those cannot tell what runs
    running = _Running()

    def run(index: int) -> T:
        with running.step():
            for needed in needs[index]:
                futures[needed].result()  # re-raises a needed step's failure
            if started is not None:
                with told:
                    started(names[index])
            with _scheduler_pool(session, names[index]):
                return steps[index]()

    pool = ThreadPoolExecutor(max_workers=min(MAX_THREADS, max(1, len(steps))),
                              thread_name_prefix="cargotrace-detect")
    try:
        # submitted in order: a step waits only for earlier ones, which a worker already runs
        for index in range(len(steps)):
            futures.append(pool.submit(run, index))
        done = [_wait(f) for f in futures]
    except BaseException:  # interrupted (Ctrl-C): the steps' Spark jobs cancelled first
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_running(running, session, names)
        raise
    pool.shutdown()
    failed = [error for _, error in done if error is not None]
    if failed:
        raise PartialRun([value for value, _ in done], failed[0])
    return [value for value, _ in done]


class PartialRun(Exception):
    """A step failed: `results` holds what each step gave (None where it did not finish),
    so the caller can release what the finished ones kept on the engine."""

    def __init__(self, results: list[Any], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.results = results
        self.cause = cause


def _wait(future: Future[Any]) -> tuple[Any, BaseException | None]:
    """A step's result or its failure; an interrupt of the waiting thread itself propagates."""
    error = future.exception()
    return (None, error) if error is not None else (future.result(), None)


CANCELLED_WAIT_S = 10.0
"""How long an interrupted run waits for its steps once their Spark jobs are cancelled.

Why wait at all: the caller releases the run's tables (cached frames, views) as the
interrupt reaches it; a step still running would then fail on a table gone under it, with
Spark's traces on the terminal after the interrupt. A cancelled job fails within a second or
so (its step then ends); the bound keeps a step stuck elsewhere (planning, a driver-side
collect) from holding the interrupt up. A second Ctrl-C ends the wait at once."""


class _Running:
    """How many steps are under way, and a wait until none is (`_stop_running`)."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        with self.changed:
            self.count += 1
        try:
            yield
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_idle(self, timeout_s: float) -> int:
        """Steps still under way after waiting at most `timeout_s`."""
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=timeout_s)
            return self.count


def _stop_running(running: _Running, session: Any, names: Sequence[str]) -> None:
    """After an interrupt: cancel the steps' Spark jobs, then wait (`CANCELLED_WAIT_S` at
    most) for the running steps to end. Nothing here replaces the interrupt: a failure to
    cancel is logged. Without a classic Spark session nothing was cancelled, so nothing
    would end sooner: no wait, the interrupt goes on at once."""
    try:
        cancelled = _cancel(session, names)
    except Exception as exc:  # noqa: BLE001 - the interrupt, not this, is what the user sees
        log.warning("could not cancel the detectors' Spark jobs after the interrupt (%s)", exc)
        cancelled = False
    if cancelled:
        still = running.wait_idle(CANCELLED_WAIT_S)
        if still:
            log.warning("%d detector(s) still running %.0f s after their Spark jobs were "
                        "cancelled", still, CANCELLED_WAIT_S)


def _cancel(session: Any, names: Sequence[str]) -> bool:
    """Cancel the Spark jobs of every step (their job groups), so an interrupted run stops
    now rather than when its running jobs end; whether there were jobs to cancel (a classic
    session: a Spark Connect server's jobs are its own)."""
    if not _classic(session):
        return False
    for name in names:
        session.sparkContext.cancelJobGroup(name)
    return True


class _scheduler_pool:  # noqa: N801 - used as a context manager, like a function
    """This thread's Spark jobs in their own FAIR pool and job group (named after the step,
    which also names them in Spark's UI and status tracker); a classic session only: a Spark
    Connect server's scheduler is its own configuration's."""

    def __init__(self, session: Any, name: str) -> None:
        self.context = getattr(session, "sparkContext", None) if _classic(session) else None
        self.name = name

    def __enter__(self) -> None:
        if self.context is not None:
            self.context.setLocalProperty(POOL_PROPERTY, self.name)
            self.context.setLocalProperty(GROUP_PROPERTY, self.name)

    def __exit__(self, *exc: object) -> None:
        if self.context is not None:
            self.context.setLocalProperty(POOL_PROPERTY, None)
            self.context.setLocalProperty(GROUP_PROPERTY, None)


def _classic(session: Any) -> bool:
    from cargotrace.store.engines.session import is_connect_session

    return session is not None and not is_connect_session(session)
