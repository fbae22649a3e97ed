"""Identity segments: one MMSI split into the ships (or bogus positions) that transmit it.

Why first: two ships sharing an MMSI make one impossible track. Every later detector (gaps,
port visits, encounters) would see jumps of hundreds of km and silences that are really the
other ship talking, so the split has to come before everything else.

How (the idea of Global Fishing Watch's segmenter): walk an MMSI's located positions in time
order; a position joins the open segment whose last position it can reach (a jump of at most
`min_jump_km`, or at most `max_speed_kn`), and opens a new segment when it can reach none.
When several can, the segment with the most positions wins (then the most recent), so a lone
bogus position never captures the track that follows it; a segment unheard for
`max_segment_gap_h` is closed, so an old jump does not capture a ship that appears days later.

This is sequential, so it is not an Ibis window expression. It runs as a numpy pass over Arrow
data, and only on the MMSIs that need it: one portable Ibis query (a `lag` per MMSI) finds the
MMSIs with at least one impossible step, usually a tiny fraction. Within an MMSI, the pass works
on *runs* (stretches between two impossible steps, which always stay in one segment), so its
Python loop is over jumps, not positions. The result goes back into Ibis as a small table of
runs keyed on each position's `row_number()` in (ts, lat, lon) order, which the store's dedup
key makes a total order; `identity_segments` joins it to the positions on either engine.

From the segments come two identity events: `shared_mmsi` (two segments of more than
`max_teleport_positions` positions transmitting concurrently for at least `min_overlap_h`) and
`teleport` (a segment of 2 to `max_teleport_positions` positions, between two positions of one
other segment that are consistent with each other: a sustained jump; a segment of one such
position is a lone outlier, flagged by `outliers.py` and no event).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.coverage import ALL_OBSERVED, CoverageModel
from cargotrace.detect.kinds import EventKind, IdentityKind
from cargotrace.detect.params import IdentityParams
from cargotrace.detect.track import epoch_s, in_runs
from cargotrace.geo import sphere
from cargotrace.geo.expr import haversine_km
from cargotrace.geo.sphere import KM_PER_NM
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event

RUNS_SCHEMA = pa.schema([
    ("mmsi", pa.int64()), ("first_rn", pa.int64()), ("last_rn", pa.int64()),
    ("segment", pa.int64()),
])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_DT_S = 1.0  # implied speeds divide by at least this, so simultaneous jumps stay finite
BOUND_KM_PER_DEG = sphere.KM_PER_DEG * (1 + 1e-6)  # rounding slack


@dataclass
class Segmentation:
    """What the split found: the runs table for `identity_segments`, and the events."""

    runs: pa.Table  # RUNS_SCHEMA; only the MMSIs that were split
    events: list[Event] = field(default_factory=list)
    mmsis_checked: int = 0


def _located(positions: Any) -> Any:
    return positions.filter(positions.lat.notnull() & positions.lon.notnull())


def _track_window(p: Any) -> Any:
    return ibis.window(group_by=p.mmsi, order_by=[p.ts, p.lat, p.lon])


def jumping_mmsis(positions: Any, params: IdentityParams, track: Any = None) -> Any:
    """The MMSIs with at least one impossible step (an Ibis expression, one column `mmsi`).

    Each step is tested on the row of its first position (with the next one's values).
    `track`: the positions' `track.track_table`, when the caller already has it."""
    p = track if track is not None else _steps(positions)
    # whole seconds on both engines: count one fewer, so that this never misses a jump the
    # exact pass would find (an MMSI selected for nothing only costs its pass)
    allowed_km = ibis.greatest(
        params.min_jump_km, params.max_speed_kn * KM_PER_NM * (p.next_t_s - p.t_s - 1) / 3600.0)
    # the great circle is never longer than a degree of latitude per degree of latitude or
    # longitude moved: a cheap bound that clears almost every step before the trigonometry
    # (a CASE, so the engine evaluates the haversine only where the bound does not clear it)
    bound_km = ((p.next_lat - p.lat).abs() + (p.next_lon - p.lon).abs()) * BOUND_KM_PER_DEG
    km = haversine_km(p.lat, p.lon, p.next_lat, p.next_lon)
    impossible = ibis.ifelse(
        bound_km > allowed_km,
        (km > params.min_jump_km)
        & (km / KM_PER_NM > params.max_speed_kn * (p.next_t_s - p.t_s - 1) / 3600.0),
        False,
    )
    return p.filter(impossible).select("mmsi").distinct()


def _steps(positions: Any) -> Any:
    """Each located position with the next one of its MMSI: the part of `track.track_table`
    the jump test reads (one sort, and no more window functions)."""
    p = _located(positions)
    p = p.select("mmsi", "ts", "lat", "lon", t_s=epoch_s(p.ts))
    w = _track_window(p)
    return p.mutate(next_lat=p.lat.lead().over(w), next_lon=p.lon.lead().over(w),
                    next_t_s=p.t_s.lead().over(w))


_km = sphere.haversine_km


def implied_speed_kn(km: float, dt_s: float) -> float:
    """The speed a step of `km` in `dt_s` seconds implies, the time floored at `MIN_DT_S` (two
    positions stamped with one second give a huge speed, not a division by zero)."""
    return float(km / KM_PER_NM / (max(float(dt_s), MIN_DT_S) / 3600.0))


@dataclass
class MmsiTrack:
    """One MMSI's located positions in (ts, lat, lon) order, and their segment numbers."""

    mmsi: int
    ts_us: np.ndarray  # microseconds since the epoch
    lat: np.ndarray
    lon: np.ndarray
    segment: np.ndarray = field(init=False)
    run_starts: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.t = self.ts_us / 1e6  # seconds since the epoch

    def ts(self, i: int) -> datetime:
        return EPOCH + timedelta(microseconds=int(self.ts_us[i]))

    def reachable(self, i: int, j: int, params: IdentityParams) -> bool:
        """Could the ship at position i be at position j (j later)?"""
        km = float(_km(self.lat[i], self.lon[i], self.lat[j], self.lon[j]))
        dt_s = self.t[j] - self.t[i]
        return km <= params.min_jump_km or km / KM_PER_NM <= params.max_speed_kn * dt_s / 3600.0

    def split(self, params: IdentityParams, coverage: CoverageModel = ALL_OBSERVED) -> None:
        step_km = _km(self.lat[:-1], self.lon[:-1], self.lat[1:], self.lon[1:])
        dt_s = np.diff(self.t)
        jump = (step_km > params.min_jump_km) & (
            step_km / KM_PER_NM > params.max_speed_kn * dt_s / 3600.0
        )
        self.run_starts = np.concatenate(([0], np.flatnonzero(jump) + 1)).astype(np.int64)
        run_ends = np.concatenate((self.run_starts[1:], [self.t.size])) - 1
        self.segment = np.empty(self.t.size, dtype=np.int64)
        last: list[int] = []  # per segment: index of its last position so far
        size: list[int] = []  # per segment: positions so far
        open_segments: list[int] = []  # heard within max_segment_gap_h: joinable
        max_gap_s = params.max_segment_gap_h * 3600
        for start, end in zip(self.run_starts.tolist(), run_ends.tolist(), strict=True):
            # hours the feed was quiet do not age a segment: a ship heard again after an
            # outage continues its own track (they only ever subtract, so a segment heard
            # within max_gap_s stays open without asking the coverage model)
            open_segments = [s for s in open_segments
                             if (gap := self.t[start] - self.t[last[s]]) <= max_gap_s
                             or gap - self._quiet_s(coverage, last[s], start) <= max_gap_s]
            options = [s for s in open_segments if self.reachable(last[s], start, params)]
            if options:
                seg = max(options, key=lambda s: (size[s], last[s]))
            else:
                seg = len(last)
                last.append(start)
                size.append(0)
                open_segments.append(seg)
            self.segment[start:end + 1] = seg
            last[seg] = end
            size[seg] += end - start + 1

    def _quiet_s(self, coverage: CoverageModel, i: int, j: int) -> float:
        """Seconds between positions i and j in which the feed was quiet, judged on the feed
        that heard the vessel when it fell silent (at i), as gaps judge a silence
        (`CoverageModel.for_vessel`): a vessel heard by two feeds at different times is not
        judged on the other feed's hours (its first feed's, before)."""
        feed = coverage.for_vessel(self.mmsi, self.ts(i)) if coverage.feeds else coverage
        return feed.unobserved_s(float(self.t[i]), float(self.t[j]))

    def runs(self) -> list[tuple[int, int, int, int]]:
        """(mmsi, first row number, last row number, segment), row numbers 0-based."""
        # consecutive runs of the same segment (a jump and straight back) are merged
        keep = np.concatenate(([True], self.segment[self.run_starts[1:]]
                               != self.segment[self.run_starts[:-1]]))
        starts = self.run_starts[keep]
        ends = np.concatenate((starts[1:], [self.t.size])) - 1
        return [(self.mmsi, int(a), int(b), int(self.segment[a]))
                for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]

    def events(self, params: IdentityParams) -> list[Event]:
        sizes = np.bincount(self.segment)
        members = self.members()
        # a segment of one position is a lone outlier (outliers.py: flagged, not an event)
        found = [e for s in range(sizes.size) if 2 <= sizes[s] <= params.max_teleport_positions
                 for e in self._teleport(s, members, params)]
        ships = [s for s in range(sizes.size) if sizes[s] > params.max_teleport_positions]
        return found + self._shared(ships, members, params)

    def surrounding(self, seg: int, members: list[np.ndarray],
                    params: IdentityParams) -> tuple[int, int] | None:
        """The positions (a, b) of another segment's track just before and just after the short
        segment `seg`, when they are consistent with each other and neither can reach it; None
        when no track surrounds it so (e.g. at an end of the data: nothing to judge it by).
        The other track need not be its stream neighbour (a second ship may be talking in
        between), so the neighbours' segments and the three largest are tried, largest first."""
        i, j = int(members[seg][0]), int(members[seg][-1])
        if i == 0 or j + 1 >= self.t.size:
            return None
        largest = sorted(range(len(members)), key=lambda s: (-members[s].size, s))
        tried = {int(self.segment[i - 1]), int(self.segment[j + 1]), *largest[:3]} - {seg}
        for other in sorted(tried, key=lambda s: (-members[s].size, s)):
            track = members[other]
            k = int(np.searchsorted(track, i))
            if k == 0 or k >= track.size or track[k] <= j:
                continue  # the other track does not surround this one
            a, b = int(track[k - 1]), int(track[k])
            if (self.reachable(a, b, params) and not self.reachable(a, i, params)
                    and not self.reachable(j, b, params)):
                return a, b
        return None

    def _teleport(self, seg: int, members: list[np.ndarray],
                  params: IdentityParams) -> list[Event]:
        """A short segment inside the track of another (`surrounding`)."""
        around = self.surrounding(seg, members, params)
        if around is None:
            return []
        i, j = int(members[seg][0]), int(members[seg][-1])
        return [self._teleport_event(seg, i, j, *around, int(members[seg].size))]

    def members(self) -> list[np.ndarray]:
        """Per segment: the indices of its positions, in order."""
        order = np.argsort(self.segment, kind="stable")
        return np.split(order, np.cumsum(np.bincount(self.segment))[:-1])

    def _teleport_event(self, seg: int, i: int, j: int, a: int, b: int, size: int) -> Event:
        out_km = float(_km(self.lat[a], self.lon[a], self.lat[i], self.lon[i]))
        back_km = float(_km(self.lat[j], self.lon[j], self.lat[b], self.lon[b]))
        return Event(
            EventKind.IDENTITY, self.mmsi, self.ts(i), self.ts(j),
            lat=float(self.lat[i]), lon=float(self.lon[i]),
            attrs={
                "identity_kind": str(IdentityKind.TELEPORT),
                "jump_km": round(out_km, 3),
                "implied_speed_kn": round(implied_speed_kn(out_km, self.t[i] - self.t[a]), 1),
                "return_km": round(back_km, 3),
                "return_speed_kn": round(implied_speed_kn(back_km, self.t[b] - self.t[j]), 1),
                "n_positions": size,
                "segment": seg,
                "track_segment": int(self.segment[a]),
            },
        )

    def _shared(self, ships: list[int], members: list[np.ndarray],
                params: IdentityParams) -> list[Event]:
        """Periods when two ship segments transmit at once, merged per MMSI."""
        spans: list[tuple[float, float, set[int]]] = []
        for a_pos, a in enumerate(ships):
            for b in ships[a_pos + 1:]:
                lo = max(self.t[members[a][0]], self.t[members[b][0]])
                hi = min(self.t[members[a][-1]], self.t[members[b][-1]])
                if hi - lo >= params.min_overlap_h * 3600:
                    spans.append((lo, hi, {a, b}))
        spans.sort(key=lambda s: s[0])
        merged: list[tuple[float, float, set[int]]] = []
        for lo, hi, segs in spans:
            if merged and lo <= merged[-1][1]:
                m_lo, m_hi, m_segs = merged[-1]
                merged[-1] = (m_lo, max(m_hi, hi), m_segs | segs)
            else:
                merged.append((lo, hi, segs))
        sizes = np.array([m.size for m in members])
        return [self._shared_event(lo, hi, segs, sizes) for lo, hi, segs in merged]

    def _shared_event(self, lo: float, hi: float, segs: set[int], sizes: np.ndarray) -> Event:
        i = int(np.searchsorted(self.t, lo))
        j = int(np.searchsorted(self.t, hi, side="right")) - 1
        # jumps between the involved segments inside the period measure how far apart they are
        starts = self.run_starts[(self.run_starts > i) & (self.run_starts <= j)]
        prev, cur = self.segment[starts - 1], self.segment[starts]
        between = starts[(prev != cur) & np.isin(prev, list(segs)) & np.isin(cur, list(segs))]
        km = _km(self.lat[between - 1], self.lon[between - 1], self.lat[between], self.lon[between])
        dt_s = np.maximum(self.t[between] - self.t[between - 1], MIN_DT_S)
        speed = km / KM_PER_NM / (dt_s / 3600.0)
        # the event is placed where the smaller segment first transmits in the period
        second = min(segs, key=lambda s: (int(sizes[s]), s))
        k = i + int(np.flatnonzero(self.segment[i:j + 1] == second)[0])
        return Event(
            EventKind.IDENTITY, self.mmsi, self.ts(i), self.ts(j),
            lat=float(self.lat[k]), lon=float(self.lon[k]),
            attrs={
                "identity_kind": str(IdentityKind.SHARED_MMSI),
                "n_segments": len(segs),
                "segments": sorted(segs),
                "overlap_h": round(float(hi - lo) / 3600, 3),
                "n_jumps": int(between.size),
                "max_implied_speed_kn": round(float(speed.max()), 1) if speed.size else None,
                "min_implied_speed_kn": round(float(speed.min()), 1) if speed.size else None,
                "separation_km": round(float(np.median(km)), 1) if km.size else None,
            },
        )


def tracks_of(data: pa.Table) -> list[MmsiTrack]:
    """One `MmsiTrack` per MMSI of `data` (mmsi, ts, lat, lon), sorted in track order."""
    data = data.sort_by([("mmsi", "ascending"), ("ts", "ascending"), ("lat", "ascending"),
                         ("lon", "ascending")])
    mmsi = data.column("mmsi").to_numpy()
    ts_us = pc.cast(data.column("ts"), pa.int64()).to_numpy()
    lat = data.column("lat").to_numpy()
    lon = data.column("lon").to_numpy()
    bounds = np.flatnonzero(np.diff(mmsi)) + 1
    tracks = []
    for a, b in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [mmsi.size])),
                    strict=True):
        tracks.append(MmsiTrack(int(mmsi[a]), ts_us[a:b], lat[a:b], lon[a:b]))
    return tracks


def split_segments(positions: Any, params: IdentityParams, track: Any = None,
                   jumping: pa.Table | None = None,
                   coverage: CoverageModel = ALL_OBSERVED) -> Segmentation:
    """Split every MMSI with an impossible step; the runs and the shared/teleport events.
    `track`: the positions' `track.track_table`, when the caller already has it; `jumping`:
    the located positions (mmsi, ts, lat, lon) of the MMSIs with an impossible step under
    these speeds, when the caller already fetched them (the run's outlier scan); `coverage`:
    the feed's (`coverage.py`), whose quiet hours do not count towards `max_segment_gap_h`."""
    data = jumping
    if data is None:
        p = track if track is not None else _located(positions)
        expr = (p.semi_join(jumping_mmsis(positions, params, track), "mmsi")
                .select("mmsi", "ts", "lat", "lon"))
        if ibis.get_backend(expr).name == "pyspark":
            # on Spark the positions stay on the executors: split there, per MMSI
            from cargotrace.detect.split_on_executors import split_on_executors

            return split_on_executors(expr, params, coverage)
        data = to_arrow(expr)
    return split_tracks(data, params, coverage)


def split_tracks(data: pa.Table, params: IdentityParams,
                 coverage: CoverageModel = ALL_OBSERVED) -> Segmentation:
    """The split of the MMSIs of `data` (their located positions: mmsi, ts, lat, lon, any
    order): the part of `split_segments` that needs nothing but the positions, so that it
    runs on the driver or, per MMSI, on Spark's executors (`split_on_executors.py`)."""
    runs: list[tuple[int, int, int, int]] = []
    events: list[Event] = []
    tracks = tracks_of(data) if data.num_rows else []
    for track in tracks:
        track.split(params, coverage)
        runs.extend(track.runs())
        events.extend(track.events(params))
    table = pa.table({name: [r[i] for r in runs] for i, name in enumerate(RUNS_SCHEMA.names)},
                     schema=RUNS_SCHEMA)
    return Segmentation(table, events, len(tracks))


def identity_segments(
    positions: Any, params: IdentityParams, segmentation: Segmentation | None = None
) -> Any:
    """`positions` with a `segment` column: 0 for MMSIs transmitted by one ship, 0, 1, ... (in
    order of first appearance) for split ones; NULL for positions without coordinates on a
    split MMSI (which ship sent those cannot be told)."""
    seg = segmentation or split_segments(positions, params)
    columns = positions.columns
    if seg.runs.num_rows == 0:
        return positions.mutate(segment=ibis.literal(0, "int64"))
    runs = ibis.memtable(seg.runs)
    split = runs.select(split_mmsi=runs.mmsi).distinct()
    located = _located(positions)
    numbered = located.semi_join(split, located.mmsi == split.split_mmsi)
    numbered = numbered.mutate(rn=ibis.row_number().over(_track_window(numbered)))
    joined = in_runs(numbered, seg.runs).select(*columns, "segment")
    rest = positions.anti_join(split, positions.mmsi == split.split_mmsi).mutate(
        segment=ibis.literal(0, "int64"))
    unlocated = positions.filter(positions.lat.isnull() | positions.lon.isnull())
    unlocated = unlocated.semi_join(split, unlocated.mmsi == split.split_mmsi).mutate(
        segment=ibis.null("int64"))
    return ibis.union(rest, joined, unlocated)


__all__ = [
    "MIN_DT_S",
    "MmsiTrack",
    "Segmentation",
    "identity_segments",
    "implied_speed_kn",
    "jumping_mmsis",
    "split_segments",
    "split_tracks",
    "tracks_of",
]
