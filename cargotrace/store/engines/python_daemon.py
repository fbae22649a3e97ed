"""Spark's Python worker daemon with cargotrace's executor code imported before it forks.

Why (issue 23, fixed cost): local Spark runs Python tasks (`mapInArrow`, `applyInArrow`: the
detectors' post-steps, identity's split, the outlier scan) in workers forked from one daemon
process per executor. PySpark's own daemon imports only PySpark, so every forked worker
imported pyarrow, Ibis and the detectors itself on its first task: about 1.5 CPU-seconds per
worker, several seconds of wall time on the first Python job of a run on a loaded 2-core
machine. Started as `spark.python.daemon.module`, this module imports them once in the daemon;
its forks inherit them (copy on write) and start at once. `warm_up` starts the daemon while
the driver is still planning, so even that import overlaps the run instead of delaying it.

Which modules: the callers' (`preload_on_workers`), not this module's. The store layer knows
nothing of what runs on the executors (the detectors' post-steps are detect's); detect names
its own modules before its run reads its tables. The list reaches the daemon as the
environment variable `PRELOAD_ENV`, set for the executors' Python (`spark.executorEnv.*` when
the session starts, `SparkContext.environment` afterwards), which Spark passes to the daemon
it starts; pyarrow, which every Arrow task imports, is always in it.

An import that fails here (a worker environment without cargotrace's extras) is ignored: the
worker then imports what its task needs, as with PySpark's daemon.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

PRELOAD_ENV = "CARGOTRACE_SPARK_PRELOAD"
"""The daemon's environment variable naming the modules it imports (comma-separated)."""

ALWAYS_PRELOADED = ("pyarrow",)
"""Imported by every Arrow task (`mapInArrow`, `applyInArrow`), whoever runs it."""

_wanted: dict[str, None] = dict.fromkeys(ALWAYS_PRELOADED)
"""The modules this process's callers asked for, in the order asked (an ordered set)."""
_wanted_lock = threading.Lock()


def preload_on_workers(modules: Iterable[str]) -> None:
    """Have Spark's Python daemon import `modules` before it forks workers: the modules a
    caller's executor code unpickles (detect names its post-steps'). Best called before the
    session starts (`spark_backend`), so that the daemon started by `warm_up` has them; asked
    later, the next Python job starts a daemon that imports them (Spark keeps one daemon per
    worker environment), once. Nothing to do on Spark Connect: its server's Python workers
    are its own."""
    with _wanted_lock:
        before = len(_wanted)
        _wanted.update(dict.fromkeys(modules))
        if len(_wanted) == before:
            return
    from cargotrace.store.engines.session import current_backend, is_connect_session

    backend = current_backend()
    session = getattr(backend, "_session", None)
    if session is not None and not is_connect_session(session):
        session.sparkContext.environment[PRELOAD_ENV] = preload_list()


def preload_list() -> str:
    """The value of `PRELOAD_ENV` for what the callers asked so far."""
    with _wanted_lock:
        return ",".join(_wanted)


def worker_config() -> dict[str, str]:
    """The session's settings that give the executors' Python `PRELOAD_ENV`."""
    return {f"spark.executorEnv.{PRELOAD_ENV}": preload_list()}


def preload(names: str | None = None) -> list[str]:
    """Import the modules `names` lists (comma-separated; default `$CARGOTRACE_SPARK_PRELOAD`,
    else `ALWAYS_PRELOADED`), once, in the daemon, before it forks workers; the ones imported."""
    if names is None:
        names = os.environ.get(PRELOAD_ENV) or ",".join(ALWAYS_PRELOADED)
    imported = []
    for name in filter(None, (n.strip() for n in names.split(","))):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a worker imports what it needs by itself
            continue
        imported.append(name)
    return imported


def preloaded(names: Iterable[str]) -> tuple[str, list[str]]:
    """Run in a Spark task (`parallelize([names], 1).map(preloaded)`): the worker's `PRELOAD_ENV`,
    and which of `names` the worker has imported before its task imported anything but
    this module, i.e. what its daemon preloaded. Checks that a deployment's workers get
    the callers' modules (tests/store/test_python_daemon.py)."""
    return os.environ.get(PRELOAD_ENV, ""), [name for name in names if name in sys.modules]


def warm_up(session: Any) -> threading.Thread:
    """Run one tiny Python task in a background thread, so that the daemon starts (and
    imports the preloaded modules) now, right after the session starts: it overlaps the driver's own
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
