"""Which of a store's sources hear the same waters: its feeds, each judged on its own hours.

Why: an analyst loads several files into one store (a national snapshot, a regional receiver's
log, last week's export). Judged as one feed, the busiest source's busiest hour sets the bar
for every hour: a MarineCadastre snapshot hearing 10,631 vessels in 20 minutes makes every hour
of a 91-vessel regional log "unobserved", and gaps, coverage exits and dark voyages find
nothing for the regional vessels, silently. So coverage (`coverage.py`) is judged per *source*
(`positions.source`, the file a position came from), and a vessel's silence on the sources
that were hearing its waters:

- two sources belong to one *feed* when they hear the same waters (some `footprint_cell_deg`
  cell holds at least `footprint_min_positions` positions of each; a source with no such cell
  counts every cell it has a position in): a day's file and the next day's from the same
  receivers are one feed, a regional log and a snapshot of another coast are two (even when
  one ship sailed in both: MMSIs move between oceans and are reused);
- a feed's hour is observed when any of its sources observed it, each source on its own
  busiest hour (`coverage.py`); a feed's time span is its own (first to last position), so a
  2016 log is not measured to the end of a 2022 snapshot; in a windowed run, a feed with
  positions after the range read (`GoesOn`) runs to the range's end, not to its last
  position read (which says where the window stopped, not where the feed did);
- a vessel's silence is judged on the feed that heard it when it fell silent (of the feeds
  that heard the vessel, the one whose span holds the silence's start; else the first).

A store with one source has one feed, judged exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from cargotrace.detect.params import CoverageParams
from cargotrace.store.engines import to_arrow

__all__ = ["Feed", "GoesOn", "feeds_of", "group_sources", "source_names"]

GoesOn = Callable[[tuple[str, ...]], bool]
"""Whether positions of these sources follow the range a windowed run read
(`Store.has_positions_from`): asked only of a feed whose last position read is before the
run's data end."""


@dataclass(frozen=True)
class Feed:
    """Sources that hear the same waters, and the span of their positions."""

    sources: tuple[str, ...]
    first: datetime
    last: datetime


def source_names(hours: Any) -> list[str]:
    """The distinct sources of the positions, from their `coverage.vessel_hours` (a small
    query on the kept group-by, not a scan of every position)."""
    table = to_arrow(hours.select("source").distinct(), order_by=["source"])
    return [str(s) for s in table.column("source").to_pylist()]


def group_sources(cells: Iterable[tuple[str, int]]) -> list[tuple[str, ...]]:
    """Sources joined when they share a cell key (union-find), each group sorted, groups in
    order of their first source."""
    parent: dict[str, str] = {}

    def root(s: str) -> str:
        parent.setdefault(s, s)
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    first_of: dict[int, str] = {}
    for source, key in cells:
        root(source)
        other = first_of.setdefault(key, source)
        a, b = root(source), root(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for s in sorted(parent):
        groups.setdefault(root(s), []).append(s)
    return sorted(tuple(g) for g in groups.values())


def feeds_of(positions: Any, params: CoverageParams, data_end: datetime | None = None,
             goes_on: GoesOn | None = None) -> list[Feed]:
    """The feeds of a store holding several sources (module doc): one group-by per source and
    `footprint_cell_deg` cell (positions, first and last time). A feed that `goes_on` after
    the range read ends at `data_end`."""
    deg = params.footprint_cell_deg
    p = positions.filter(positions.lat.notnull() & positions.lon.notnull())
    cells = to_arrow(p.group_by(
        source=p.source, row=(p.lat / deg).floor().cast("int64"),
        col=(p.lon / deg).floor().cast("int64"),
    ).agg(n=p.count(), first=p.ts.min(), last=p.ts.max()),
        order_by=["source", "row", "col"]).to_pydict()
    src = np.asarray(cells["source"], dtype=object)
    key = np.asarray(cells["row"], dtype=np.int64) * 1_000_000 + np.asarray(cells["col"],
                                                                          dtype=np.int64)
    n = np.asarray(cells["n"], dtype=np.int64)
    kept = n >= params.footprint_min_positions
    # a source with no cell that reaches the minimum (a few hundred scattered fixes) is
    # placed by every cell it was heard in
    sparse = set(src.tolist()) - set(src[kept].tolist())
    use = kept | np.isin(src, list(sparse))
    groups = group_sources(zip(src[use].tolist(), key[use].tolist(), strict=True))
    span: dict[str, tuple[datetime, datetime]] = {}
    for s, a, b in zip(cells["source"], cells["first"], cells["last"], strict=True):
        lo, hi = span.get(s, (a, b))
        span[s] = (min(lo, a), max(hi, b))
    feeds = [Feed(g, _utc(min(span[s][0] for s in g if s in span)),
                  _utc(max(span[s][1] for s in g if s in span)))
             for g in groups if any(s in span for s in g)]
    if data_end is None or goes_on is None:
        return feeds
    return [Feed(f.sources, f.first, data_end) if f.last < data_end and goes_on(f.sources)
            else f for f in feeds]


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
