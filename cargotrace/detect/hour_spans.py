"""Runs of unobserved hours as spans, so coverage costs follow the hours that hold data.

Why: coverage (`coverage.py`) listed every unobserved hour between the first position and the
data's end, and measured each silence against that whole list. A store holding a 20-minute
export of 2022 and three positions from 2012 has ~88,000 empty hours between them: each of
the ~30,000 silence checks walked all of them (detect took 16 CPU-s instead of 4.6 for the
same events; every real file together 26 instead of 5). Here the quiet hours are kept as
spans [start, end) in epoch seconds, one per run of consecutive quiet hours: there are at most
one more than the observed hours, however long the data's time span, and a silence is
measured against the few spans it meets (two binary searches), not every hour.

A span array has shape (n, 2), int64, sorted, disjoint and non-adjacent.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["NO_SPANS", "hour_starts", "in_spans", "intersect_spans", "overlap_s", "quiet_spans",
           "union_within"]

HOUR_S = 3600
NO_SPANS: NDArray[np.int64] = np.zeros((0, 2), dtype=np.int64)


def quiet_spans(first_hour_s: int, last_hour_s: int, observed_hour_s: NDArray[np.int64]
                ) -> NDArray[np.int64]:
    """The runs of hours from `first_hour_s` to `last_hour_s` (hour starts, both included)
    that are not in `observed_hour_s` (sorted, distinct hour starts)."""
    seen = observed_hour_s[(observed_hour_s >= first_hour_s) & (observed_hour_s <= last_hour_s)]
    starts = np.concatenate([[first_hour_s], seen + HOUR_S]).astype(np.int64)
    ends = np.concatenate([seen, [last_hour_s + HOUR_S]]).astype(np.int64)
    keep = ends > starts
    return np.stack([starts[keep], ends[keep]], axis=1) if keep.any() else NO_SPANS


def _within(spans: NDArray[np.int64], a: float, b: float) -> NDArray[np.int64]:
    """The spans that meet [a, b): two binary searches, no scan."""
    lo = int(np.searchsorted(spans[:, 1], a, side="right"))
    hi = int(np.searchsorted(spans[:, 0], b, side="left"))
    return spans[lo:max(lo, hi)]


def overlap_s(spans: NDArray[np.int64], a: float, b: float) -> float:
    """Seconds of [a, b) (Unix seconds) that fall in `spans`."""
    met = _within(spans, a, b)
    if met.size == 0:
        return 0.0
    return float(np.clip(np.minimum(b, met[:, 1]) - np.maximum(a, met[:, 0]), 0, None).sum())


def union_within(first: NDArray[np.int64], second: NDArray[np.int64], a: float, b: float
                 ) -> NDArray[np.int64]:
    """The union of two span arrays, as far as it meets [a, b) (the spans of both that do)."""
    met = np.concatenate([_within(first, a, b), _within(second, a, b)])
    if met.shape[0] < 2:
        return met
    met = met[np.argsort(met[:, 0], kind="stable")]
    reach = np.maximum.accumulate(met[:, 1])
    new = np.concatenate([[True], met[1:, 0] > reach[:-1]])
    starts = np.flatnonzero(new)
    return np.stack([met[starts, 0], np.maximum.reduceat(met[:, 1], starts)], axis=1)


def in_spans(hour_s: NDArray[np.int64], spans: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which of the hour starts `hour_s` fall in `spans`."""
    if spans.size == 0:
        return np.zeros(hour_s.shape, dtype=bool)
    i = np.searchsorted(spans[:, 0], hour_s, side="right") - 1
    ok = i >= 0
    inside = np.zeros(hour_s.shape, dtype=bool)
    inside[ok] = hour_s[ok] < spans[i[ok], 1]
    return inside


def hour_starts(spans: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every hour start in `spans` (for tests and inspection: as long as the spans are)."""
    if spans.size == 0:
        return np.array([], dtype=np.int64)
    return np.concatenate([np.arange(s, e, HOUR_S, dtype=np.int64) for s, e in spans])


def intersect_spans(first: NDArray[np.int64], second: NDArray[np.int64]) -> NDArray[np.int64]:
    """The hours quiet in both span arrays (a feed of several sources is quiet when every
    judged source is): one walk over both, as many steps as spans."""
    found: list[tuple[int, int]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        lo = max(int(first[i, 0]), int(second[j, 0]))
        hi = min(int(first[i, 1]), int(second[j, 1]))
        if lo < hi:
            found.append((lo, hi))
        if first[i, 1] < second[j, 1]:
            i += 1
        else:
            j += 1
    return np.array(found, dtype=np.int64).reshape(-1, 2) if found else NO_SPANS
