"""`detect(progress=)`: the steps a progress bar shows, in the order they run."""

from __future__ import annotations

from pathlib import Path

import cargotrace
from cargotrace.detect.run import detect

from .factories import copy_store


def test_progress_reports_each_step_once_in_order_then_done(
    solent_store: Path, tmp_path: Path
) -> None:
    calls: list[tuple[str, int, int]] = []
    with cargotrace.open_store(copy_store(solent_store, tmp_path)) as store:
        summary = detect(store, kinds=["gap", "port_visit", "encounter"],
                         progress=lambda step, done, total: calls.append((step, done, total)))
    total = calls[0][2]
    assert calls[0] == ("outliers", 0, total)
    assert calls[-1] == ("done", total, total)
    assert [done for _, done, _ in calls] == list(range(total + 1))
    assert {n for _, _, n in calls} == {total}
    steps = [step for step, _, _ in calls[1:-1]]
    # every kind asked for is named by the step that found it, and was written by the run
    assert steps == ["gap, left_coverage", "port_visit", "encounter"]
    assert set(summary.written) == {"gap", "port_visit", "encounter"}
