"""A Spark run's detectors at the same time (`fan_out.py`, `run_detectors.py`) and `Context`'s
shared tables asked from several threads (computed once)."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.detect.context import Context
from cargotrace.detect.fan_out import PartialRun, run_together
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.presets import resolve
from cargotrace.detect.registry import SUPPORTED
from cargotrace.detect.run_detectors import chosen_detectors, needs
from cargotrace.ingest.world_gazetteer import places_used
from cargotrace.store.engines import tables_on

WAIT_S = 30.0
"""How long a step waits for its peer before the test calls them not concurrent (a bound, not
a sleep: the steps meet as soon as both run)."""


def test_independent_steps_run_at_once_and_results_keep_the_steps_order() -> None:
    both = threading.Barrier(2, timeout=WAIT_S)  # broken unless the two run at the same time
    seen: list[str] = []

    def meet(name: str) -> str:
        both.wait()
        seen.append(name)
        return name

    def after_a() -> str:
        assert "a" in seen  # started only once its need was done
        return "c"

    results = run_together([lambda: meet("a"), lambda: meet("b"), after_a],
                           [set(), set(), {0}], ["a", "b", "c"], session=None)
    assert results == ["a", "b", "c"]


def test_a_failed_step_fails_its_dependants_and_hands_back_what_finished() -> None:
    ran: list[str] = []

    def fails() -> str:
        raise ValueError("no places")

    def record(name: str) -> str:
        ran.append(name)
        return name

    with pytest.raises(PartialRun) as failed:
        run_together([lambda: record("a"), fails, lambda: record("c")],
                     [set(), set(), {1}], ["a", "b", "c"], session=None)
    assert isinstance(failed.value.cause, ValueError)
    assert failed.value.results == ["a", None, None]
    assert ran == ["a"]


def test_an_interrupted_run_does_not_wait_for_its_running_steps() -> None:
    """Ctrl-C while detectors run: the interrupt reaches the caller at once (a Spark run also
    cancels the steps' job groups), not when the running steps end."""
    release = threading.Event()

    def interrupt() -> str:
        os.kill(os.getpid(), signal.SIGINT)
        return "a"

    def long_step() -> str:
        assert release.wait(WAIT_S)
        return "b"

    try:
        with pytest.raises(KeyboardInterrupt):
            run_together([interrupt, long_step], [set(), set()], ["a", "b"], session=None)
        assert not release.is_set()  # came back while the long step still ran
    finally:
        release.set()


class _JobGroups:
    """What `run_together` calls on a classic session's SparkContext: the job-group calls.
    `cancelJobGroup` does what Spark's does to a running step (`on_cancel`: its job fails)."""

    def __init__(self, on_cancel: Any) -> None:
        self.on_cancel = on_cancel
        self.cancelled: list[str] = []

    def setLocalProperty(self, key: str, value: str | None) -> None:  # noqa: N802 - Spark's
        pass

    def cancelJobGroup(self, name: str) -> None:  # noqa: N802 - Spark's name
        self.cancelled.append(name)
        self.on_cancel()


class _ClassicSession:
    def __init__(self, context: _JobGroups) -> None:
        self.sparkContext = context


def _interrupt_once(running: threading.Event) -> str:
    """Ctrl-C, sent once the other step runs (so the pool has a running step to stop)."""
    assert running.wait(WAIT_S)
    os.kill(os.getpid(), signal.SIGINT)
    return "a"


def test_an_interrupt_cancels_the_spark_jobs_and_waits_for_the_cancelled_steps() -> None:
    """The caller releases the run's tables once the interrupt reaches it: by then the step
    whose job was cancelled has ended (not still running on released tables)."""
    running, cancelled, ended = threading.Event(), threading.Event(), threading.Event()
    context = _JobGroups(cancelled.set)

    def long_job() -> str:
        running.set()
        try:
            assert cancelled.wait(WAIT_S)
            raise RuntimeError("Job group b was cancelled")
        finally:
            ended.set()

    with pytest.raises(KeyboardInterrupt):
        run_together([lambda: _interrupt_once(running), long_job], [set(), set()],
                     ["a", "b"], session=_ClassicSession(context))
    assert ended.is_set()
    assert context.cancelled == ["a", "b"]


def test_an_interrupt_stays_the_error_when_cancelling_the_jobs_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    running, release = threading.Event(), threading.Event()

    def gateway_gone() -> None:
        raise ConnectionError("py4j gateway is gone")

    def long_step() -> str:
        running.set()
        assert release.wait(WAIT_S)
        return "b"

    try:
        with caplog.at_level("WARNING", logger="cargotrace.detect.fan_out"), \
                pytest.raises(KeyboardInterrupt):
            run_together([lambda: _interrupt_once(running), long_step], [set(), set()],
                         ["a", "b"], session=_ClassicSession(_JobGroups(gateway_gone)))
        assert not release.is_set()  # not cancelled: no wait for the running step
        assert "py4j gateway is gone" in caplog.text
    finally:
        release.set()


def test_a_step_cannot_wait_for_a_later_one() -> None:
    with pytest.raises(ValueError, match="later step"):
        run_together([lambda: 1, lambda: 2], [{1}, set()], ["a", "b"], session=None)


def test_detectors_wait_only_for_the_kinds_they_read() -> None:
    chosen = chosen_detectors(list(SUPPORTED))
    index = {kind: i for i, d in enumerate(chosen) for kind in d.kinds}
    waits = {chosen[i].kinds[0]: {chosen[j].kinds[0] for j in needed}
             for i, needed in enumerate(needs(chosen))}
    # the registry's own declarations, read independently of `needs`
    for detector in chosen:
        read = {*detector.reads, *detector.reads_on_engine}
        assert waits[detector.kinds[0]] == {chosen[index[k]].kinds[0] for k in read}
    assert waits[EventKind.DARK_VOYAGE] == {EventKind.PORT_VISIT, EventKind.GAP}
    for independent in (EventKind.IDENTITY, EventKind.GAP, EventKind.PORT_VISIT,
                        EventKind.ENCOUNTER, EventKind.LOITERING):
        assert waits[independent] == set()


COUNTED = ("track_table", "coverage_model", "split_segments", "resampled_tracks")
"""What `Context` computes for the resampled tracks: each must run once however many threads ask."""


def _ask_at_once(ask: Any, asked: list[int], gate: threading.Condition,
                 threads: int = 4) -> list[Any]:
    """`ask()` from `threads` threads released together (a barrier); `asked` counts the
    threads that have called it (under `gate`, which is told)."""
    start = threading.Barrier(threads, timeout=WAIT_S)
    answers: list[Any] = [None] * threads

    def one(i: int) -> None:
        start.wait()
        with gate:
            asked[0] += 1
            gate.notify_all()
        answers[i] = ask()

    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers


def test_shared_tables_asked_from_threads_are_made_once(
    mixed_with_ports: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four threads ask for the resampled tracks (which need the segmentation, the track and
    the coverage model) at the same moment: each computation runs once (counted), and every
    thread gets the same table; the track counts the positions it was made from (an
    independent count).

    Why it does not rely on luck: a computation starts only once all four threads have
    asked, so without `Context`'s locks the other three would find nothing made yet and
    compute it again (counted), every run, not only when the race happens to occur."""
    import cargotrace.detect.context as context

    threads = 4
    calls = dict.fromkeys(COUNTED, 0)
    asked = [0]
    gate = threading.Condition()

    def counted(name: str) -> Any:
        real = getattr(context, name)

        def computation(*args: Any, **kwargs: Any) -> Any:
            with gate:
                calls[name] += 1
                assert gate.wait_for(lambda: asked[0] >= threads, timeout=WAIT_S)
            return real(*args, **kwargs)
        return computation

    for name in COUNTED:
        monkeypatch.setattr(context, name, counted(name))
    with cargotrace.open_store(mixed_with_ports, read_only=True) as store:
        tables = tables_on("duckdb", store, ["positions", "vessel_reports", "places"])
        data_end = store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
        located = store.con.execute(
            "SELECT count(*) FROM positions WHERE lat IS NOT NULL AND lon IS NOT NULL"
        ).fetchall()[0][0]
        preset = resolve("gfw", {})
        ctx = Context(tables, preset, data_end, places_used=places_used(store))
        grid = (preset.encounter.resample_min, preset.encounter.max_interpolate_gap_h,
                preset.encounter.max_speed_kn)
        try:
            tracks = _ask_at_once(lambda: ctx.tracks(*grid), asked, gate, threads)
            assert calls == dict.fromkeys(COUNTED, 1)
            assert len({id(t) for t in tracks}) == 1
            asked[0] = 0
            coverages = _ask_at_once(ctx.coverage, asked, gate, threads)
            assert len({id(c) for c in coverages}) == 1 and calls["coverage_model"] == 1
            assert ctx.track().count().to_pyarrow().as_py() == located
        finally:
            ctx.release()
