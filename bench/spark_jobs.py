"""Count the Spark jobs, stages, tasks, checkpoints and collections of a whole
`detect --engine spark`, per step (issue 23: on small data the fixed cost is jobs, not rows).

    PYTHONPATH=$PWD python bench/spark_jobs.py COPY_OF_A_STORE.duckdb [--jobs jobs.tsv]

Detects every kind on the store (its events are replaced: give it a copy). Rows collected: what the
collections returned to the driver (the driver's share of the data). Steps are the
progress steps of `detect` plus the parts around them (the tables handed to Spark, the events
written, the notes), marked by wrapping those functions. Jobs are read from the SparkContext's
status store before and after each step and counted there, or under the job group a
detector's thread sets (detectors run together, `detect/fan_out.py`: their indented rows count
jobs and job seconds, not wall time); checkpoints and collections by wrapping PySpark's
DataFrame methods (those of detectors running together land on the "detectors" row). Prints
a Markdown table; `--jobs` also writes each job's step, id, call site, tasks and seconds.
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import time
from collections.abc import Callable
from typing import Any

import cargotrace.detect.run as run
from cargotrace.detect import notes
from cargotrace.store.engines.session import spark_backend
from cargotrace.store.store import open_store

COUNTED = {"localCheckpoint": "checkpoints", "checkpoint": "checkpoints", "cache": "caches",
           "toArrow": "collections", "collect": "collections", "toPandas": "collections"}
COLUMNS = ("secs", "job secs", "jobs", "stages", "tasks", "checkpoints", "collections",
           "rows collected")


class Steps:
    """Jobs and calls per step, closed each time the run moves to the next step."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.tracker = context.statusTracker()
        self.seen = set(_job_ids(context))
        self.step, self.started = "start", time.perf_counter()
        self.rows: dict[str, collections.Counter[str]] = {}
        self.jobs: list[tuple[str, int, str, int, float]] = []

    def row(self) -> collections.Counter[str]:
        return self.rows.setdefault(self.step, collections.Counter())

    def close(self, next_step: str) -> None:
        ids = sorted(set(_job_ids(self.context)) - self.seen)
        self.seen.update(ids)
        self.row()["secs"] += time.perf_counter() - self.started
        for job in ids:
            info = self.tracker.getJobInfo(job)
            stages = list(info.stageIds) if info else []
            tasks = sum(s.numTasks for s in map(self.tracker.getStageInfo, stages) if s)
            data = self.context._jsc.sc().statusStore().job(job)
            group = data.jobGroup()  # a detector's jobs, when detectors run together
            step = f"  {group.get()}" if group.isDefined() else self.step
            row = self.rows.setdefault(step, collections.Counter())
            row["jobs"] += 1
            row["stages"] += len(stages)
            row["tasks"] += tasks
            seconds = _seconds(data)
            row["job secs"] += seconds
            self.jobs.append((step, job, str(data.name()), tasks, round(seconds, 3)))
        self.step, self.started = next_step, time.perf_counter()


def _job_ids(context: Any) -> list[int]:
    """Every job the SparkContext knows of, in any job group."""
    jobs = context._jsc.sc().statusStore().jobsList(None)
    return [jobs.apply(i).jobId() for i in range(jobs.size())]


def _seconds(job: Any) -> float:
    """A finished job's wall time, submission to completion (0 when either is unknown)."""
    submitted, completed = job.submissionTime(), job.completionTime()
    if submitted.isEmpty() or completed.isEmpty():
        return 0.0
    return float(completed.get().getTime() - submitted.get().getTime()) / 1000


def _counting(steps: Steps, method: Callable[..., Any], what: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def counted(*args: Any, **kwargs: Any) -> Any:
        steps.row()[what] += 1
        result = method(*args, **kwargs)
        if what == "collections":  # rows that reached the driver (an Arrow table or a list)
            steps.row()["rows collected"] += int(getattr(result, "num_rows", None)
                                                 or len(result or []))
        return result
    return counted


def _phase(steps: Steps, owner: Any, name: str, label: str) -> None:
    function = getattr(owner, name)

    @functools.wraps(function)
    def marked(*args: Any, **kwargs: Any) -> Any:
        steps.close(label)
        try:
            return function(*args, **kwargs)
        finally:
            steps.close(f"between steps after {label}")
    setattr(owner, name, marked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--jobs", help="write each job (step, id, call site, tasks) here")
    args = parser.parse_args()
    from pyspark.sql.classic.dataframe import DataFrame

    started = time.perf_counter()
    backend = spark_backend()
    print(f"session start: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    steps = Steps(backend._session.sparkContext)
    for method, what in COUNTED.items():
        if method in DataFrame.__dict__:
            setattr(DataFrame, method, _counting(steps, DataFrame.__dict__[method], what))
    for owner, name, label in [(run, "_read_tables", "tables handed to Spark"),
                               (run, "_store_found", "events written"),
                               (run, "why_nothing", "notes"), (run, "run_notes", "notes"),
                               (notes.Inputs, "of", "inputs counted")]:
        _phase(steps, owner, name, label)
    def progress(step: str, done: int, total: int) -> None:
        # detectors run together (detect/fan_out.py): their jobs are counted by job group
        if step in ("outliers", "done") or not steps.step.startswith("detectors"):
            steps.close("detectors (together; wall)" if step not in ("outliers", "done")
                        else step)

    with open_store(args.store) as store:
        run.detect(store, engine="spark", progress=progress)
    steps.close("end")
    total: collections.Counter[str] = collections.Counter()
    print("| step | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for step, row in steps.rows.items():
        if any(row[c] for c in COLUMNS[1:]):
            total.update(row)
            print(f"| {step} | " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |")
    print("| total | " + " | ".join(_cell(total[c]) for c in COLUMNS) + " |")
    if args.jobs:
        with open(args.jobs, "w") as out:
            for line in steps.jobs:
                print(*line, sep="\t", file=out)


def _cell(value: float) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
