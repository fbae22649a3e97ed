"""Which hours of the data were really observed, so a feed outage is not read as silence.

A gap is evidence only while the vessel could have been heard. Real datasets have holes that
have nothing to do with any one ship: a receiver network down for a night, an export cut after
its first N rows (the MarineCadastre sample in ../shared/data has 99.6 % of its rows in the first
21 minutes of the day and a few stragglers up to midnight). Without this, such a file makes an
"open gap" for almost every vessel in it.

The measure is deliberately simple and data-driven: the number of distinct vessels heard in
each hour. An hour is *observed* when it hears at least `min_hour_fraction` of the busiest hour
(distinct vessels cannot spike the way message counts can); hours below that, or with no data
at all, are *unobserved*, and a gap's unobserved hours do not count towards its thresholds.
With fewer than `min_busy_hour_vessels` vessels in the busiest hour (a single ship's export, a
small test), coverage cannot be judged from the data and every hour counts as observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cargotrace.detect.track import epoch_s
from cargotrace.store.engines import to_arrow

HOUR_S = 3600


@dataclass(frozen=True)
class Coverage:
    """Hours (as epoch seconds of their start) in which the data as a whole went quiet."""

    unobserved_hour_starts_s: NDArray[np.int64]
    busy_hour_vessels: float
    threshold_vessels: float

    def unobserved_h(self, start: datetime, end: datetime) -> float:
        """Hours of [start, end) that fall in unobserved hours (partial hours count in part)."""
        u = self.unobserved_hour_starts_s
        if u.size == 0:
            return 0.0
        a, b = start.timestamp(), end.timestamp()
        overlap = np.clip(np.minimum(b, u + HOUR_S) - np.maximum(a, u), 0, None)
        return float(overlap.sum()) / HOUR_S


ALL_OBSERVED = Coverage(np.array([], dtype=np.int64), 0.0, 0.0)


def data_coverage(
    positions: Any, data_end: datetime, min_hour_fraction: float, min_busy_hour_vessels: int
) -> Coverage:
    """The unobserved hours between the first position and `data_end` (see the module doc)."""
    # the hour from whole epoch seconds: DuckDB's date_trunc on a TIMESTAMPTZ goes through
    # ICU's calendar, 6x slower over every position
    hour_s = (epoch_s(positions.ts) // HOUR_S) * HOUR_S
    hourly = positions.group_by(hour_s=hour_s).agg(vessels=positions.mmsi.nunique())
    counts = to_arrow(hourly.select("hour_s", "vessels"), order_by=["hour_s"])
    if counts.num_rows == 0:
        return ALL_OBSERVED
    # through Python lists (a few thousand hours): pyarrow's to_numpy() imports pandas, 0.3 s
    hour_s = np.asarray(counts.column("hour_s").to_pylist(), dtype=np.int64)
    vessels = np.asarray(counts.column("vessels").to_pylist(), dtype=np.float64)
    busy = float(vessels.max())
    if busy < min_busy_hour_vessels:
        return Coverage(ALL_OBSERVED.unobserved_hour_starts_s, busy, 0.0)
    threshold = min_hour_fraction * busy
    # the hour holding the last instant before data_end (an end on the hour opens no new hour)
    last_hour_s = (math.ceil(data_end.timestamp()) - 1) // HOUR_S * HOUR_S
    every_hour = np.arange(hour_s[0], last_hour_s + 1, HOUR_S, dtype=np.int64)
    observed = hour_s[vessels >= threshold]
    unobserved = np.setdiff1d(every_hour, observed, assume_unique=True)
    return Coverage(unobserved, busy, threshold)
