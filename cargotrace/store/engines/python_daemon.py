"""Spark's Python worker daemon with cargotrace's executor code imported before it forks.

Why (issue 23, fixed cost): local Spark runs Python tasks (`mapInArrow`, `applyInArrow`: the
detectors' post-steps, identity's split, the outlier scan) in workers forked from one daemon
process per executor. PySpark's own daemon imports only PySpark, so every forked worker
imported pyarrow, Ibis and the detectors itself on its first task: about 1.5 CPU-seconds per
worker, several seconds of wall time on the first Python job of a run on a loaded 2-core
machine. Started as `spark.python.daemon.module`, this module imports them once in the daemon;
its forks inherit them (copy on write) and start at once. `warm_up` starts the daemon while
the driver is still planning, so even that import overlaps the run instead of delaying it.

An import that fails here (a worker environment without cargotrace's extras) is ignored: the
worker then imports what its task needs, as with PySpark's daemon.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

PRELOADED = ("pyarrow", "cargotrace.detect.registry", "cargotrace.detect.on_executors",
             "cargotrace.detect.split_on_executors")
"""What the executors' Python tasks unpickle: the registry imports every detector's post-step."""


def preload() -> None:
    """Import `PRELOADED` (once, in the daemon, before it forks workers)."""
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a worker imports what it needs by itself
            continue


def warm_up(session: Any) -> threading.Thread:
    """Run one tiny Python task in a background thread, so that the daemon starts (and
    imports `PRELOADED`) now, right after the session starts: it overlaps the driver's own
    work (the tables' hand-off, the first plans) instead of delaying the first Python job.
    A failure only loses the head start: the first Python job starts the daemon again."""

    def start() -> None:
        try:
            session.sparkContext.parallelize([0], 1).map(_same).collect()
        except Exception as exc:  # noqa: BLE001 - a head start, not a requirement
            log.info("Python workers not started ahead (%s)", exc)

    thread = threading.Thread(target=start, name="cargotrace-spark-warm-up", daemon=True)
    thread.start()
    return thread


def _same(value: Any) -> Any:
    return value


if __name__ == "__main__":
    preload()
    from pyspark import daemon

    daemon.manager()  # type: ignore[no-untyped-call]
