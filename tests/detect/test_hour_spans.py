"""Quiet hours as spans (`hour_spans.py`) against the plain list of every quiet hour, the
representation they replaced: random observed hours, every operation checked hour by hour."""

from __future__ import annotations

import numpy as np

from cargotrace.detect.hour_spans import (
    hour_starts,
    in_spans,
    intersect_spans,
    overlap_s,
    quiet_spans,
    union_within,
)

H = 3600


def _quiet(rng: np.random.Generator, first: int, last: int) -> tuple[np.ndarray, set[int]]:
    hours = np.arange(first, last + H, H)
    observed = np.sort(rng.choice(hours, size=int(rng.integers(0, len(hours))), replace=False))
    spans = quiet_spans(first, last, observed.astype(np.int64))
    return spans, set(hours.tolist()) - set(observed.tolist())


def _seconds_in(hours: set[int], a: float, b: float) -> float:
    return sum(max(0.0, min(b, h + H) - max(a, h)) for h in hours)


def test_spans_hold_exactly_the_quiet_hours_and_measure_like_them() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        first = int(rng.integers(0, 50)) * H
        last = first + int(rng.integers(0, 60)) * H
        one, quiet_one = _quiet(rng, first, last)
        two, quiet_two = _quiet(rng, first, last)
        assert set(hour_starts(one).tolist()) == quiet_one
        # sorted, disjoint, never adjacent
        assert all(one[i, 1] < one[i + 1, 0] for i in range(len(one) - 1))
        a = first + float(rng.integers(-2 * H, 70 * H))
        b = a + float(rng.integers(0, 40 * H))
        assert overlap_s(one, a, b) == _seconds_in(quiet_one, a, b)
        assert overlap_s(union_within(one, two, a, b), a, b) == _seconds_in(
            quiet_one | quiet_two, a, b)
        both = intersect_spans(one, two)
        assert set(hour_starts(both).tolist()) == quiet_one & quiet_two
        assert all(both[i, 1] < both[i + 1, 0] for i in range(len(both) - 1))
        probe = np.arange(first - 2 * H, last + 3 * H, H, dtype=np.int64)
        assert in_spans(probe, one).tolist() == [int(h) in quiet_one for h in probe]
