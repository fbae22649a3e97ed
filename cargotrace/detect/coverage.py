"""When the feed could hear a vessel, so a feed outage is not read as a silence.

A silence is evidence only while the vessel could have been heard. Real datasets have holes
that have nothing to do with any one ship: a receiver network down for a night, an export cut
after its first N rows (the MarineCadastre sample in ../shared/data has 99.6 % of its rows in
the first 21 minutes of the day and a few stragglers up to midnight), a ship sailing out of a
regional feed's reach. Every detector that reasons about silence (gaps, left coverage, dark
voyages, possible dark port calls, port visits, identity) asks one `CoverageModel`, computed
once per detection run (`run.Context.coverage`), so they cannot disagree about the same hours.

*When* (this module): the number of distinct vessels heard in each hour. An hour is observed
when it hears at least `min_hour_fraction` of the busiest hour (distinct vessels cannot spike
the way message counts can); hours below that, or with no data at all, are unobserved. The same
is judged per receiver (`positions.station`, the NMEA tag block's `s:`) for every receiver
whose busiest hour hears at least `min_busy_hour_vessels` vessels: a silence that began after a
vessel was last heard by receiver R also counts R's quiet hours as unobserved. With fewer
vessels than that in the busiest hour (a single ship's export, a small test), the hours cannot
be judged from the data and every hour counts as observed.

*Whose* (`feeds.py`): a store of several sources (`positions.source`, the file) judges each
source on its own busiest hour, and groups the sources that hear the same waters into feeds;
a vessel's silence is judged on its feed (`CoverageModel.for_vessel`), so a busy national
snapshot cannot make a regional log's hours unobserved. A store of one source is one feed.

*Where* (`footprint.py`): the cells in which positions are received at all, and, when positions
name their receiver, how far each receiver hears (`reach.py`); a silence that begins at the
edge heading out is the vessel leaving coverage (`left_coverage.py`), not going dark.

Whole-feed and per-receiver hours come from one group-by over the positions (receiver, vessel
and hour: `vessel_hours`, which the footprint's sparse share reads too), the footprint from a
second (cell), the receivers' reach from a third (receiver and cell, on a regional feed only);
each returns at most a few thousand rows per receiver, vessel and hour.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cargotrace.detect.feeds import GoesOn, feeds_of, source_names
from cargotrace.detect.footprint import NO_FOOTPRINT, Footprint, data_footprint
from cargotrace.detect.hour_spans import (
    NO_SPANS,
    hour_starts,
    intersect_spans,
    overlap_s,
    quiet_spans,
    union_within,
)
from cargotrace.detect.params import CoverageParams
from cargotrace.detect.reach import NO_REACHES, Reaches, station_reaches
from cargotrace.detect.track import epoch_s
from cargotrace.store.engines import to_arrow

__all__ = ["ALL_OBSERVED", "Coverage", "CoverageModel", "coverage_model", "data_coverage",
           "source_hours", "union_coverage", "vessel_hours"]

HOUR_S = 3600


@dataclass(frozen=True)
class Coverage:
    """The hours in which one feed (the whole data, or one receiver) went quiet, as spans of
    consecutive quiet hours (`hour_spans.py`: as many as the observed hours at most, however
    long the data's time span), and the end of its last observed hour."""

    unobserved_spans_s: NDArray[np.int64]
    """[start, end) epoch seconds of each run of quiet hours, in order."""
    busy_hour_vessels: float
    threshold_vessels: float
    observed_end_s: float = math.inf
    """The end of the last observed hour (inf when every hour is observed)."""

    @property
    def unobserved_hour_starts_s(self) -> NDArray[np.int64]:
        """Every quiet hour's start (for tests and inspection; detectors use the spans)."""
        return hour_starts(self.unobserved_spans_s)

    def unobserved_h(self, start: datetime, end: datetime) -> float:
        """Hours of [start, end) that fall in unobserved hours (partial hours count in part)."""
        return _overlap_h(self.unobserved_spans_s, start, end)


def _overlap_h(spans: NDArray[np.int64], start: datetime, end: datetime) -> float:
    return overlap_s(spans, start.timestamp(), end.timestamp()) / HOUR_S


def _last_hour_s(data_end: datetime) -> int:
    """The hour holding the last instant before data_end (an end on the hour opens no new
    hour)."""
    return (math.ceil(data_end.timestamp()) - 1) // HOUR_S * HOUR_S


def _hours(hour_s: NDArray[np.int64], vessels: NDArray[np.float64], data_end: datetime,
           min_hour_fraction: float, min_busy_hour_vessels: int,
           first_hour_s: int | None = None) -> Coverage:
    """The coverage of one feed (or source) from its distinct vessels per hour (hours in
    order), from its first hour or `first_hour_s` (its feed's first, when earlier)."""
    busy = float(vessels.max())
    if busy < min_busy_hour_vessels:
        return Coverage(NO_SPANS, busy, 0.0)
    threshold = min_hour_fraction * busy
    last_hour_s = _last_hour_s(data_end)
    start_s = int(hour_s[0]) if first_hour_s is None else min(int(hour_s[0]), first_hour_s)
    observed = hour_s[vessels >= threshold]
    # the quiet runs between the first hour and the last, never every hour between them
    unobserved = quiet_spans(start_s, last_hour_s, observed)
    observed_end = math.inf
    heard = observed[observed <= last_hour_s]
    if unobserved.size and heard.size and unobserved[-1, 1] == last_hour_s + HOUR_S:
        observed_end = float(heard.max() + HOUR_S)
    return Coverage(unobserved, busy, threshold, observed_end)


def _hour_s(positions: Any) -> Any:
    # the hour from whole epoch seconds: DuckDB's date_trunc on a TIMESTAMPTZ goes through
    # ICU's calendar, 6x slower over every position
    return (epoch_s(positions.ts) // HOUR_S) * HOUR_S


def vessel_hours(positions: Any) -> Any:
    """One row per source, receiver (`station`, NULL when untagged), vessel and hour heard:
    how many positions (`n`) and the fastest reported speed (`fastest`). The feed's hours,
    each source's and receiver's hours and the footprint's sparse share are all counted from
    it: one group-by over every position instead of one each."""
    return positions.group_by(source=positions.source, station=positions.station,
                              mmsi=positions.mmsi,
                              hour_s=_hour_s(positions)).agg(
        n=positions.count(), fastest=positions.sog.max())


def data_coverage(
    positions: Any, data_end: datetime, min_hour_fraction: float, min_busy_hour_vessels: int,
    hours: Any = None,
) -> Coverage:
    """The unobserved hours of the whole feed between the first position and `data_end`.
    `hours`: the positions' `vessel_hours`, when the caller keeps them."""
    h = hours if hours is not None else vessel_hours(positions)
    hourly = h.group_by("hour_s").agg(vessels=h.mmsi.nunique())
    counts = to_arrow(hourly.select("hour_s", "vessels"), order_by=["hour_s"])
    if counts.num_rows == 0:
        return Coverage(NO_SPANS, 0.0, 0.0)
    # through Python lists (a few thousand hours): pyarrow's to_numpy() imports pandas, 0.3 s
    hour_s = np.asarray(counts.column("hour_s").to_pylist(), dtype=np.int64)
    vessels = np.asarray(counts.column("vessels").to_pylist(), dtype=np.float64)
    return _hours(hour_s, vessels, data_end, min_hour_fraction, min_busy_hour_vessels)


def station_coverage(positions: Any, data_end: datetime, params: CoverageParams,
                     hours: Any = None) -> dict[str, Coverage]:
    """Per receiver (`station`) with enough traffic to judge: its unobserved hours.
    `hours`: the positions' `vessel_hours`, when the caller keeps them."""
    h = hours if hours is not None else vessel_hours(positions)
    h = h.filter(h.station.notnull())
    # a vessel heard by one receiver in two sources is one vessel
    hourly = h.group_by(["station", "hour_s"]).agg(vessels=h.mmsi.nunique())
    rows = to_arrow(hourly, order_by=["station", "hour_s"]).to_pylist()
    by_station: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        by_station.setdefault(row["station"], []).append((row["hour_s"], row["vessels"]))
    found = {}
    for station, counts in by_station.items():
        cov = _hours(np.array([h for h, _ in counts], dtype=np.int64),
                     np.array([v for _, v in counts], dtype=np.float64), data_end,
                     params.min_hour_fraction, params.min_busy_hour_vessels)
        if cov.threshold_vessels > 0:
            found[station] = cov
    return found


def source_hours(hours: Any) -> dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """Per source: its hours (in order) and the distinct vessels heard in each, from the
    positions' `vessel_hours` (a few thousand rows per source)."""
    hourly = hours.group_by(["source", "hour_s"]).agg(vessels=hours.mmsi.nunique())
    table = to_arrow(hourly, order_by=["source", "hour_s"]).to_pydict()
    rows: dict[str, tuple[list[int], list[int]]] = {}
    for source, hour, n in zip(table["source"], table["hour_s"], table["vessels"], strict=True):
        rows.setdefault(source, ([], []))[0].append(hour)
        rows[source][1].append(n)
    return {source: (np.asarray(h, dtype=np.int64), np.asarray(v, dtype=np.float64))
            for source, (h, v) in rows.items()}


def union_coverage(counts: Mapping[str, tuple[NDArray[np.int64], NDArray[np.float64]]],
                   sources: tuple[str, ...], data_end: datetime, params: CoverageParams
                   ) -> Coverage:
    """The coverage of a feed of several sources (`feeds.py`): each source judged on its own
    busiest hour from the feed's first hour, an hour observed when any judged source observed
    it (a source too small to judge says nothing; none judged: every hour observed)."""
    mine = [counts[s] for s in sources if s in counts]
    if not mine:
        return Coverage(NO_SPANS, 0.0, 0.0)
    first = min(int(h[0]) for h, _ in mine)
    every = [_hours(h, v, data_end, params.min_hour_fraction, params.min_busy_hour_vessels,
                    first) for h, v in mine]
    busy = max(c.busy_hour_vessels for c in every)
    judged = [c for c in every if c.threshold_vessels > 0]
    if not judged:
        return Coverage(NO_SPANS, busy, 0.0)
    unobserved = judged[0].unobserved_spans_s
    for c in judged[1:]:
        unobserved = intersect_spans(unobserved, c.unobserved_spans_s)
    observed_end = math.inf
    # quiet up to the data's end: coverage ended where that last quiet run began (when some
    # hour before it was heard; every span starts at the feed's first hour or later)
    if (unobserved.size and unobserved[-1, 1] == _last_hour_s(data_end) + HOUR_S
            and unobserved[-1, 0] > first):
        observed_end = float(unobserved[-1, 0])
    return Coverage(unobserved, busy, min(c.threshold_vessels for c in judged), observed_end)


@dataclass(frozen=True)
class CoverageModel:
    """What every silence detector asks: how much of a silence the feed could not hear, where
    the feed's coverage ended, and whether a silence left the footprint (`footprint`)."""

    feed: Coverage
    data_end: datetime | None = None
    stations: Mapping[str, Coverage] = field(default_factory=dict)
    footprint: Footprint = NO_FOOTPRINT
    params: CoverageParams = CoverageParams()
    reaches: Reaches = NO_REACHES
    """Each tagged receiver's reach (`reach.py`), on a regional footprint only."""
    sources: tuple[str, ...] = ()
    """The sources judged, each on its own hours (`union_coverage`), when the store holds
    several; empty when it holds one (judged as the whole feed)."""
    feeds: tuple[CoverageModel, ...] = ()
    """Per feed (`feeds.py`), when the store's sources hear different waters: a vessel's
    silence is judged on its own feed's model (`for_vessel`)."""
    feed_of: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    """The indices in `feeds` of the feeds that heard each vessel."""
    spans_s: tuple[tuple[float, float], ...] = ()
    """Each feed's first and last position (Unix seconds)."""
    heard_until_s: float = math.inf
    """One feed's model in a store of several: its last position. A silence running past it
    (a ship heard again years later by another feed) was not observed by this feed there."""

    def for_vessel(self, mmsi: int, at: datetime | None = None) -> CoverageModel:
        """The model that judges a silence of vessel `mmsi` beginning `at`: the feed that heard
        it then (`feeds.py`), or this one in a store of one feed."""
        if not self.feeds:
            return self
        mine = self.feed_of.get(int(mmsi), ())
        if not mine:
            return self
        t = None if at is None else at.timestamp()
        then = [i for i in mine if t is not None and self.spans_s[i][0] <= t <= self.spans_s[i][1]]
        return self.feeds[(then or list(mine))[0]]

    def _of(self, station: str | None) -> list[Coverage]:
        known = self.stations.get(station) if station is not None else None
        return [self.feed] if known is None else [self.feed, known]

    def unobserved_h(self, start: datetime, end: datetime, station: str | None = None) -> float:
        """Hours of [start, end) in which the whole feed, or the receiver `station` that last
        heard the vessel, was quiet: no evidence against the vessel."""
        spans = [c.unobserved_spans_s for c in self._of(station)]
        a, b = start.timestamp(), end.timestamp()
        both = union_within(spans[0], spans[1], a, b) if len(spans) == 2 else spans[0]
        return overlap_s(both, a, b) / HOUR_S + self._after_h(a, b)

    def _after_h(self, a: float, b: float) -> float:
        """Hours of [a, b) after the feed's last position (`heard_until_s`)."""
        return max(0.0, b - max(a, self.heard_until_s)) / HOUR_S

    def explained_by_outage(self, start: datetime, station: str | None = None,
                            lead_h: float | None = None) -> bool:
        """The silence beginning at `start` began in, or within `lead_h` (`outage_lead_h`)
        before, hours the feed (or `station`) was quiet: the outage explains it."""
        lead_s = (self.params.outage_lead_h if lead_h is None else lead_h) * HOUR_S
        a = start.timestamp()
        return any(overlap_s(c.unobserved_spans_s, a, a + lead_s) > 0
                   or overlap_s(c.unobserved_spans_s, a - 1e-6, a) > 0
                   for c in self._of(station))

    def unobserved_s(self, start_s: float, end_s: float) -> float:
        """Seconds of [start_s, end_s) (Unix seconds) in which the whole feed was quiet."""
        return (overlap_s(self.feed.unobserved_spans_s, start_s, end_s)
                + HOUR_S * self._after_h(start_s, end_s))

    def observed_end(self, station: str | None = None) -> datetime | None:
        """The end of the feed's coverage (and of `station`'s): an open silence is measured to
        here, not to the data's last timestamp. `data_end` when the feed heard to its end."""
        end_s = min(c.observed_end_s for c in self._of(station))
        if self.data_end is None or end_s >= self.data_end.timestamp():
            return self.data_end
        return datetime.fromtimestamp(end_s, UTC)

    def basis(self, station: str | None = None) -> str:
        """How the hours were judged: `feed`, `feed+station`, or `not_judged` (too little
        data: every hour counts as observed)."""
        judged = [c for c in self._of(station) if c.threshold_vessels > 0]
        if not judged:
            return "not_judged"
        return "feed+station" if len(self._of(station)) == 2 else "feed"

    def attrs(self, start: datetime, end: datetime, station: str | None) -> dict[str, Any]:
        """What coverage said about a silence, recorded on its event."""
        found = {"unobserved_h": round(self.unobserved_h(start, end, station), 4),
                 "coverage_basis": self.basis(station), "station": station,
                 "footprint": self.footprint.kind}
        if self.sources:
            found["coverage_sources"] = len(self.sources)
        return found


ALL_OBSERVED = CoverageModel(Coverage(NO_SPANS, 0.0, 0.0))


def coverage_model(positions: Any, data_end: datetime, params: CoverageParams,
                   goes_on: GoesOn | None = None) -> CoverageModel:
    """The run's coverage model from its positions (an Ibis table on any engine).

    The positions are grouped per source, receiver, vessel and hour once (`vessel_hours`,
    kept on the engine while the model is drawn), for the feed's hours, the sources' and the
    receivers' hours and the footprint's sparse share. A store of several sources is judged
    per source, and per feed when they hear different waters (`feeds.py`; `goes_on`)."""
    hours = vessel_hours(positions).cache()
    try:
        sources = source_names(hours)
        if len(sources) <= 1:
            model = _feed_model(positions, hours, data_end, params)
        else:
            model = _per_source_model(positions, hours, data_end, params, (*sources,), goes_on)
    finally:
        hours.release()
    reaches = (station_reaches(positions, params)
               if any(m.footprint.regional for m in (model, *model.feeds)) else NO_REACHES)
    return replace(model, reaches=reaches,
                   feeds=tuple(replace(m, reaches=reaches) for m in model.feeds))


def _feed_model(positions: Any, hours: Any, data_end: datetime, params: CoverageParams,
                counts: Mapping[str, Any] | None = None, sources: tuple[str, ...] = ()
                ) -> CoverageModel:
    """The model of one feed: the whole data when `counts` (per source hours) is None, else
    its `sources`, each judged on its own hours."""
    feed = (data_coverage(positions, data_end, params.min_hour_fraction,
                          params.min_busy_hour_vessels, hours) if counts is None
            else union_coverage(counts, sources, data_end, params))
    # a footprint, like the hours, needs traffic to be judged: one ship's track draws its
    # own route, not the feed's reach
    footprint = (data_footprint(positions, hours, params, feed.unobserved_spans_s)
                 if feed.threshold_vessels > 0 else NO_FOOTPRINT)
    stations = station_coverage(positions, data_end, params, hours)
    return CoverageModel(feed, data_end, stations, footprint, params, sources=sources)


def _per_source_model(positions: Any, hours: Any, data_end: datetime, params: CoverageParams,
                      sources: tuple[str, ...], goes_on: GoesOn | None) -> CoverageModel:
    """Several sources: one feed judged per source, or one model per feed (`feeds.py`) with,
    on top, the hours any source observed (what the detect summary's notes count)."""
    counts = source_hours(hours)
    feeds = feeds_of(positions, params, data_end, goes_on)
    if len(feeds) <= 1:
        return _feed_model(positions, hours, data_end, params, counts, sources)
    whole = CoverageModel(union_coverage(counts, sources, data_end, params), data_end,
                          params=params, sources=sources)
    models: list[CoverageModel] = []
    feed_of: dict[int, tuple[int, ...]] = {}
    for at, f in enumerate(feeds):
        mine = list(f.sources)
        p = positions.filter(positions.source.isin(mine))
        h = hours.filter(hours.source.isin(mine))
        end = min(data_end, f.last)
        models.append(replace(_feed_model(p, h, end, params, counts, f.sources),
                              heard_until_s=end.timestamp()))
        pairs = to_arrow(h.select("mmsi").distinct()).column("mmsi").to_pylist()
        for m in pairs:
            feed_of[int(m)] = (*feed_of.get(int(m), ()), at)
    # the summary's footprint: a regional one when any feed's is (coverage exits are looked
    # for), else the first judged
    judged = [m.footprint for m in models if m.footprint.kind != "not_judged"]
    footprint = next((fp for fp in judged if fp.regional), judged[0] if judged else NO_FOOTPRINT)
    stations = _stations_of(models, positions, hours, data_end, params)
    return replace(whole, footprint=footprint, stations=stations, feeds=tuple(models),
                   feed_of=dict(sorted(feed_of.items())),  # one order: equal models compare equal
                   spans_s=tuple((f.first.timestamp(), f.last.timestamp()) for f in feeds))


def _stations_of(models: list[CoverageModel], positions: Any, hours: Any, data_end: datetime,
                 params: CoverageParams) -> dict[str, Coverage]:
    """The receivers' coverage on the whole store, from the feeds' models: a receiver name
    heard in several feeds (a station id reused, or one receiver's files split apart) is
    judged on the hours of all of them (a dict merge kept the last feed's only, so its quiet
    hours before that feed began read as heard); a name in one feed keeps its feed's."""
    seen = Counter(name for m in models for name in m.stations)
    shared = sorted(name for name, n in seen.items() if n > 1)
    stations = {k: v for m in models for k, v in m.stations.items() if seen[k] == 1}
    if shared:
        stations.update(station_coverage(positions, data_end, params,
                                         hours.filter(hours.station.isin(shared))))
    return stations
