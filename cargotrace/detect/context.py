"""The run's shared state: what every detector of one `detect` run sees and reuses.

Detectors share expensive intermediate tables (the sorted track, the identity segmentation,
the resampled tracks, the coverage model) so that a run of all kinds sorts the positions once;
each is computed on first ask and released at the end of the run. A Spark run asks from
several threads at once (`fan_out.py`): each shared table is computed under its own lock, so
the first thread to ask computes it and the others wait for that one answer. Apart from
`run.py` because this is the one place that decides what is computed once and kept on the
engine (and released), while `run.py` decides what is run and stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.coverage import CoverageModel, coverage_model
from cargotrace.detect.feeds import GoesOn
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.loitering import resampled_tracks
from cargotrace.detect.outliers import scan_outliers, without_flagged
from cargotrace.detect.presets import Preset
from cargotrace.detect.segments import Segmentation, identity_segments, split_segments
from cargotrace.detect.track import (
    retracked,
    segmented_track,
    split_track,
    tied_mmsis,
    track_table,
)
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

T = TypeVar("T")


@dataclass
class Context:
    """What a detector sees: tables on the chosen engine, parameters, and earlier results."""

    tables: dict[str, Any]
    preset: Preset
    data_end: datetime
    found: dict[EventKind, list[Event]] = field(default_factory=dict)
    share_track: bool = True
    """Keep one sorted track for the run (`track`): worth its sort and memory only when a
    detector reads it whole (port visits, dark voyages); without one, identity and the
    resampling for encounters and loitering sort only what they read, as on their own."""
    goes_on: GoesOn | None = None
    """A windowed run: whether a feed has positions after the range read (`feeds.py`)."""
    _segmentation: Segmentation | None = None
    _coverage: CoverageModel | None = None
    _track: Any = None
    _split: Any = None
    _tracks: dict[tuple[int, float, float], Any] = field(default_factory=dict)
    _jumping: pa.Table | None = None
    _answers: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    places_used: dict[str, Any] = field(default_factory=dict)
    """The gazetteer version and places per origin the run judged against (events' params)."""
    engine_events: dict[EventKind, Any] = field(default_factory=dict)
    """On Spark: per kind, its events as a DataFrame of event rows kept on the executors,
    for a later detector that reads them there (`Detector.reads_on_engine`)."""
    inputs: dict[EventKind, dict[str, Any]] = field(default_factory=dict)
    """Per kind, what else its events record about the run's inputs (e.g. what encounters'
    crowded-cell cap left out), beside `places_used`."""
    _locks: dict[tuple[Any, ...], threading.RLock] = field(default_factory=dict, repr=False)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def _computing(self, *key: Any) -> Iterator[None]:
        """Hold `key`'s lock: one thread computes a shared table, the others wait for it.
        One lock per table, not one for the context, so that independent tables (the
        coverage model, the track) are made at the same time; they are always taken in one
        order (resampled tracks, split, segmentation, then track or coverage), never a cycle."""
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            yield

    def flag_outliers(self) -> pa.Table:
        """Find the lone outlier positions (`outliers.py`) and leave them out of `positions`
        (and of the shared track) for every detector; the flags. The scan's sort and fetch
        are not repeated: it reads the run's track when there is one (only the flagged
        MMSIs are numbered again), and with nothing flagged the identity split reuses the
        positions it fetched."""
        raw = self.tables["positions"]
        params = self.preset.outlier
        scan = scan_outliers(raw, params, self.track() if self.share_track else None)
        if scan.flags.num_rows == 0:
            identity = self.preset.identity
            same_steps = (identity.max_speed_kn, identity.min_jump_km) == (
                params.max_speed_kn, params.min_jump_km)
            if params.enabled and same_steps:
                self._jumping = scan.jumping
            return scan.flags
        self.tables["positions"] = without_flagged(raw, scan.flags)
        if self._track is not None:
            mmsis = pa.table({"mmsi": pc.unique(scan.flags.column("mmsi"))})
            track = _nullable(retracked(self._track, self.tables["positions"], mmsis)).cache()
            self._track.release()
            self._track = track
        return scan.flags

    def share_coverage(self, coverage: CoverageModel, jumping: pa.Table | None) -> None:
        """Use a coverage model computed over more vessels than this context's (a bucket of
        a run over buckets, `buckets.py`: the feed's hours and reach are judged on every
        vessel), and the jumping MMSIs' positions its outlier pass kept for identity."""
        self._coverage = coverage
        self._jumping = jumping

    def coverage(self) -> CoverageModel:
        """The feed's coverage (`coverage.py`), computed once for every silence detector."""
        with self._computing("coverage"):
            if self._coverage is None:
                self._coverage = coverage_model(self.tables["positions"], self.data_end,
                                                self.preset.coverage, self.goes_on)
            return self._coverage

    def track(self) -> Any:
        """Every located position with the next one along its MMSI's track, sorted once and
        kept on the engine (a temporary table on DuckDB, a persisted frame on Spark) for every
        detector that needs the order: identity, port visits, dark voyages."""
        with self._computing("track"):
            if self._track is None:
                # sorted on time alone (the cheaper sort), then the few MMSIs with two positions
                # at one time numbered again in the full (ts, lat, lon) order: the same track
                positions = self.tables["positions"]
                track = _nullable(track_table(positions, by_time_only=True)).cache()
                tied = to_arrow(tied_mmsis(track), order_by=["mmsi"])
                if tied.num_rows:
                    exact = _nullable(retracked(track, positions, tied)).cache()
                    track.release()
                    track = exact
                self._track = track
            return self._track

    def once(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`'s answer, asked of the engine once per run for `key`: the notes ask
        the same small questions for several kinds (the first position's time, the longest
        track), and on Spark each answer is a job of a second or more on a cold JVM."""
        with self._computing("once", *key):
            if key not in self._answers:
                self._answers[key] = compute()
            answer: T = self._answers[key]
            return answer

    def has_track(self) -> bool:
        """Whether `track` is already on the engine (detectors that can do without it ask)."""
        return self._track is not None

    def segmentation(self) -> Segmentation:
        """MMSIs split into one segment per ship, computed once for every detector."""
        with self._computing("segmentation"):
            if self._segmentation is None:
                self._segmentation = split_segments(
                    self.tables["positions"], self.preset.identity,
                    self.track() if self.share_track else None, self._jumping,
                    self.coverage(),
                )
            return self._segmentation

    def segmented_track(self) -> Any:
        """Located positions with each one's identity `segment` (two ships on one MMSI stay
        apart): the shared `track` renumbered per segment, or, without a shared track, the
        positions joined to their segments."""
        if not self.share_track:
            positions = self.tables["positions"]
            return identity_segments(positions, self.preset.identity, self.segmentation())
        with self._computing("split"):
            runs = self.segmentation().runs
            if runs.num_rows and self._split is None:
                # the split MMSIs renumbered once for the run (port visits and the resampled
                # tracks both read them): a few positions, kept rather than joined and sorted
                # twice
                self._split = _nullable(split_track(self.track(), runs)).cache()
            return segmented_track(self.track(), runs, self._split)

    def tracks(self, resample_min: int, max_interpolate_gap_h: float, slow_kn: float) -> Any:
        """Segmented positions resampled on a grid, computed once and kept on the engine for
        every detector that asks with the same grid: encounters and loitering share it under
        both presets."""
        key = (resample_min, max_interpolate_gap_h, slow_kn)
        with self._computing("tracks", *key):
            if key not in self._tracks:
                self._tracks[key] = resampled_tracks(
                    self.segmented_track(), resample_min, max_interpolate_gap_h, slow_kn
                ).cache()
            return self._tracks[key]

    def release(self) -> None:
        """Drop what `track` and `tracks` kept on the engine."""
        for table in self._tracks.values():
            table.release()
        self._tracks.clear()
        if self._split is not None:
            self._split.release()
            self._split = None
        if self._track is not None:
            self._track.release()
            self._track = None


def _nullable(table: Any) -> Any:
    """`table` with every column nullable, for a cached copy: Ibis guesses lead() of a NOT NULL
    column NOT NULL, and the copy would refuse the NULL at the end of each track."""
    return table.cast(ibis.schema({n: t.copy(nullable=True) for n, t in table.schema().items()}))
