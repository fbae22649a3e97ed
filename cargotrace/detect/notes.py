"""Why a kind found nothing: zeros that come from the data, not from the world, said so.

"0 encounters" on a 25-minute capture, or "0 port visits" on a store without places, reads as
a finding ("nothing happened") when it is a limit of the input ("nothing could be seen"). For
every kind the run checks the conditions that make it unable to find anything, computed from
the inputs and the run's parameters (never hard-coded), and returns them as notes with the
run's summary (`DetectSummary.notes`); the CLI shows them under the counts and in `--json`.

Notes are also given when a kind ran with less than it normally uses, whatever it found:
encounters and loitering without places run without their port exclusion, and identity without
static reports sees no renames; and when gaps and coverage exits were judged per source (a
store of several files, `feeds.py`), so that counts that differ from a whole-feed reading are
explained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import ibis

from cargotrace.detect.kinds import EventKind
from cargotrace.detect.shuttles import dark_call_places
from cargotrace.detect.track import epoch_s, located
from cargotrace.store.engines import to_arrow
from cargotrace.store.store import Store
from cargotrace.store.windows import window_sql

if TYPE_CHECKING:
    from cargotrace.detect.context import Context
    from cargotrace.detect.coverage import CoverageModel
    from cargotrace.detect.presets import Preset
    from cargotrace.store.events import Event

NO_PLACES = "no places loaded (load some with `cargotrace places load FILE`)"
NO_POSITIONS = "no positions in the window: nothing to detect on"
NO_REPORTS = "no static reports in the window"


@dataclass(frozen=True)
class Inputs:
    """What the run's window holds, counted in the store."""

    positions: int
    reports: int
    places: int

    @classmethod
    def of(cls, store: Store, since: datetime | None, until: datetime | None) -> Inputs:
        where, params = window_sql("ts", since, until)
        con = store.con

        def count(sql: str, p: dict[str, Any]) -> int:
            return int(con.execute(sql, p).fetchall()[0][0])

        return cls(
            count(f"SELECT count(*) FROM positions WHERE {where}", params),
            count(f"SELECT count(*) FROM vessel_reports WHERE {where}", params),
            count("SELECT count(*) FROM places", {}),
        )


def _hours(h: float) -> str:
    return f"{h * 60:.0f} min" if h < 1 else f"{h:.1f} h"


def longest_track_h(positions: Any, max_silence_h: float) -> float:
    """The longest time one MMSI is followed without a silence longer than `max_silence_h`
    (an Ibis query: a lag and a running count of silences per MMSI, then a max)."""
    p = located(positions)
    p = p.select("mmsi", t=epoch_s(p.ts))
    w = ibis.window(group_by="mmsi", order_by="t")
    p = p.mutate(new=ibis.ifelse((p.t - p.t.lag().over(w)) > max_silence_h * 3600, 1, 0))
    p = p.mutate(piece=p.new.sum().over(ibis.cumulative_window(group_by="mmsi", order_by="t")))
    spans = p.group_by(["mmsi", "piece"]).aggregate(span=p.t.max() - p.t.min())
    value = to_arrow(spans.aggregate(longest=spans.span.max())).column("longest")[0].as_py()
    return float(value or 0) / 3600


def _observed_h(ctx: Context) -> tuple[float, str]:
    """Hours between the first position and the data's end that the feed observed
    (`coverage.py`): only those can hold a gap's silence. With several feeds (`feeds.py`) a
    silence is judged on one feed, so what counts is the feed observed longest (the hours of
    several feeds added up could hold no silence); the second item names it for the note."""
    model = ctx.coverage()
    if model.feeds:
        hours = [(_feed_observed_h(m, first_s), _bounded(PurePath(m.sources[0]).name))
                 for m, (first_s, _) in zip(model.feeds, model.spans_s, strict=True)]
        most, name = max(hours, key=lambda h: h[0])
        return most, f"the longest-observed of {len(hours)} feeds ({name})"
    positions = ctx.tables["positions"]
    first = ctx.once(("first_ts",), lambda: to_arrow(positions.aggregate(
        first=positions.ts.min())).column("first")[0].as_py())
    if first is None:
        return 0.0, "the feed"
    span_h = (ctx.data_end - first).total_seconds() / 3600
    return float(span_h - model.unobserved_h(first, ctx.data_end)), "the feed"


def _feed_observed_h(feed: CoverageModel, first_s: float) -> float:
    """Hours from one feed's first position to its end (`data_end` of its model: its last
    position, or the run's end if sooner) that it observed."""
    if feed.data_end is None:
        return 0.0
    first = datetime.fromtimestamp(first_s, feed.data_end.tzinfo)
    span_h = max(0.0, (feed.data_end - first).total_seconds() / 3600)
    return float(span_h - feed.feed.unobserved_h(first, feed.data_end))


def _too_short(ctx: Context, params: Any, what: str) -> list[str]:
    silence_h = params.max_interpolate_gap_h
    longest = ctx.once(("longest_track_h", silence_h),
                       lambda: longest_track_h(ctx.tables["positions"], silence_h))
    if longest >= params.min_duration_h:
        return []
    return [f"capture too short: no vessel is followed for {_hours(params.min_duration_h)} "
            f"(min_duration_h) without a silence over {_hours(params.max_interpolate_gap_h)} "
            f"(max_interpolate_gap_h); the longest such track lasts {_hours(longest)}, "
            f"so no {what} can be found"]


def _no_exit(ctx: Context, preset: Preset) -> list[str]:
    """Why no silence left the feed's coverage: no footprint to leave, or too few hours."""
    footprint, params = ctx.coverage().footprint, preset.coverage
    if footprint.kind == "global":
        return [f"the feed is satellite-style ({footprint.sparse_share:.0%} of under-way "
                f"vessel-hours heard at most {params.sparse_max_positions} times, "
                f"{footprint.long_range_share:.0%} long-range reports): its footprint is "
                "everywhere, so no silence leaves it"]
    if not footprint.regional:
        return [f"too little data to draw the feed's footprint (fewer than "
                f"{params.min_busy_hour_vessels} vessels in the busiest hour, or than "
                f"{params.footprint_min_cells} cells with {params.footprint_min_positions} "
                "positions): no silence is read as leaving coverage"]
    observed, feed = _observed_h(ctx)
    if observed < params.exit_min_silence_h:
        return [f"capture too short: {feed} was observed for {_hours(observed)}, less than "
                f"exit_min_silence_h {_hours(params.exit_min_silence_h)}: no silence can be "
                "long enough"]
    return []


def _short_for(what: str, ctx: Context, min_h: float, name: str) -> str:
    """A note when the hours the feed observed cannot hold `what` (else empty)."""
    observed, feed = _observed_h(ctx)
    if observed >= min_h:
        return ""
    return (f"capture too short: {feed} was observed for {_hours(observed)}, less than "
            f"{name} {_hours(min_h)}: {what} cannot be that long")


def most_place_changes(calls: list[tuple[str, ...]]) -> int:
    """The most place changes a vessel's calls (in time order, each the tuple of places it may
    have been at) can make: a call with several candidate places counts at whichever gives the
    most (a dynamic programme over the places of consecutive calls)."""
    best: dict[str, int] = {}
    for places in calls:
        if not best:
            best = dict.fromkeys(places, 0)
            continue
        best = {q: max(n + (p != q) for p, n in best.items()) for q in places}
    return max(best.values(), default=0)


def _fewest_trips(ctx: Context, min_trips: int) -> str:
    """A note when no vessel's calls (port visits, possible dark port calls) can change place
    `min_trips` times: no shuttle could be found (else empty).

    Why every candidate place: the shuttle detector puts a dark call at ONE of its candidates,
    chosen from the vessel's other calls (`shuttles._resolve`), so the first-ranked candidate
    alone could understate what it may find; counting each dark call at whichever candidate
    gives the most changes is an upper bound, and the note says so."""
    calls: dict[int, list[tuple[Any, tuple[str, ...]]]] = {}
    for e in _found_events(ctx, EventKind.PORT_VISIT):
        if e.place_id is not None:
            calls.setdefault(e.mmsi, []).append((e.start, (e.place_id,)))
    for e in _found_events(ctx, EventKind.POSSIBLE_DARK_PORT_CALL):
        places = dark_call_places(e.place_id, e.attrs)
        if places:
            calls.setdefault(e.mmsi, []).append((e.start, places))
    most = max((most_place_changes([p for _, p in sorted(seq, key=lambda c: c[0])])
                for seq in calls.values()), default=0)
    if most >= min_trips:
        return ""
    return (f"no vessel's calls change place {min_trips} times (min_trips; the most: {most}, "
            "a possible dark port call counted at whichever of its candidate places gives the "
            "most): no repeated trips to find")


def per_source_note(model: CoverageModel) -> str:
    """How the hours of a store of several sources were judged (empty with one source)."""
    if not model.sources:
        return ""
    if not model.feeds:
        return (f"coverage judged per source: the {len(model.sources)} sources hear the same "
                "waters (one feed); an hour counts as observed when any of them heard at "
                f"least {model.params.min_hour_fraction:.0%} of its own busiest hour's vessels")
    names = [_bounded(PurePath(f.sources[0]).name)
             + (f" (+{len(f.sources) - 1} more)" if len(f.sources) > 1 else "")
             for f in model.feeds]
    shown = "; ".join(names[:3]) + (f"; and {len(names) - 3} more" if len(names) > 3 else "")
    return (f"coverage judged per feed: the {len(model.sources)} sources hear different waters, "
            f"{len(model.feeds)} feeds ({shown}); each feed's hours, span and footprint are "
            "its own, and a vessel's silence is judged on the feed that heard it")


def _bounded(text: str, limit: int = 60) -> str:
    """A file name as shown in a note: printable, at most `limit` characters."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[:limit - 1] + "…"


def _found(ctx: Context | None, kind: EventKind) -> int | None:
    """How many events of `kind` the run found (None: it did not run): counted where they
    are, on Spark's executors when they were made and kept there (`Context.engine_events`)."""
    if ctx is None:
        return None
    if kind in ctx.found:
        return len(ctx.found[kind])
    if kind in ctx.engine_events:
        from pyspark.sql import functions as F

        rows = ctx.engine_events[kind]
        return ctx.once(("found", kind), lambda: int(rows.where(F.col("kind") == str(kind))
                                                       .count()))
    return None


def _found_events(ctx: Context, kind: EventKind) -> list[Event]:
    """The events of `kind` the run found, on the driver (from the executors when they stayed
    there: only for a note, when the kind that reads them found nothing)."""
    if kind in ctx.found or kind not in ctx.engine_events:
        return ctx.found.get(kind, [])
    from pyspark.sql import functions as F

    from cargotrace.detect.on_executors import events_from_rows
    from cargotrace.store.events import EVENT_SCHEMA

    rows = ctx.engine_events[kind].where(F.col("kind") == str(kind))
    return events_from_rows(rows.toArrow().cast(EVENT_SCHEMA))


def ran_with_less(kind: EventKind, inputs: Inputs) -> list[str]:
    """What `kind` ran without, whatever it found (no places: no port exclusion; no static
    reports: no renames)."""
    if inputs.positions == 0 and not (kind is EventKind.IDENTITY and inputs.reports):
        return []
    if kind is EventKind.IDENTITY and inputs.reports == 0:
        return [f"{NO_REPORTS}: name, IMO, call-sign and flag changes cannot be seen "
                "(shared MMSIs and position jumps come from the positions)"]
    if kind in (EventKind.ENCOUNTER, EventKind.LOITERING) and inputs.places == 0:
        return [f"{NO_PLACES}: ran without the port exclusion "
                "(min_port_distance_km), so events in port are not left out"]
    return []


def why_nothing(kind: EventKind, inputs: Inputs, preset: Preset, ctx: Context | None,
                found: int) -> list[str]:
    """Why `kind` could not find any event in this run (empty when it could, or did).

    Stored with the run (`run_records.insert_runs`, key `blocked`): a reader such as the vessel
    profile then says "could not be detected, because ..." where it would otherwise say "not
    seen", which an analyst reads as "looked and found nothing"."""
    if inputs.positions == 0 and not (kind is EventKind.IDENTITY and inputs.reports):
        return [NO_POSITIONS]
    if found or ctx is None:
        return []
    return [n for n in _why_nothing(kind, inputs, preset, ctx, NO_REPORTS) if n]


def explain(kind: EventKind, inputs: Inputs, preset: Preset, ctx: Context | None,
            found: int) -> list[str]:
    """The notes of `kind` for this run (empty when there is nothing to say): what it ran
    without, then why it could not find anything."""
    return run_notes(kind, inputs, ctx, why_nothing(kind, inputs, preset, ctx, found))


def run_notes(kind: EventKind, inputs: Inputs, ctx: Context | None,
              blocked: list[str]) -> list[str]:
    """A run's notes on `kind`: what it ran without, how coverage was judged (per source or
    feed, for the kinds that read it), then why it could not find anything (`blocked`)."""
    notes = ran_with_less(kind, inputs)
    if (ctx is not None and kind in (EventKind.GAP, EventKind.LEFT_COVERAGE)
            and inputs.positions):
        notes.append(per_source_note(ctx.coverage()))
    return [n for n in notes if n] + blocked


def _why_nothing(kind: EventKind, inputs: Inputs, preset: Preset, ctx: Context,
                 no_reports: str) -> list[str]:
    """Why `kind` found nothing in this run: a missing input, or data too short for it."""
    notes: list[str] = []
    if kind in (EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL) and not inputs.places:
        notes.append(f"{NO_PLACES}: {kind} needs places")
    elif kind is EventKind.DARK_VOYAGE:
        notes.append(f"{NO_PLACES}: a dark voyage runs between port visits" if not inputs.places
                     else "no port visits to start or end a dark voyage"
                     if _found(ctx, EventKind.PORT_VISIT) == 0
                     else _short_for("a dark voyage's silence", ctx,
                                     preset.dark_voyage.min_silence_h, "min_silence_h"))
    elif kind is EventKind.SHUTTLE:
        notes.append(f"{NO_PLACES}: a shuttle is made of calls at places" if not inputs.places
                     else _fewest_trips(ctx, preset.shuttle.min_trips))
    elif kind is EventKind.POSSIBLE_DARK_PORT_CALL and _found(ctx, EventKind.GAP) == 0:
        notes.append("no gaps: a possible dark port call is a place reachable within a gap")
    elif kind is EventKind.DRAUGHT_CHANGE:
        silences = (_found(ctx, EventKind.GAP) or 0) + (_found(ctx, EventKind.DARK_VOYAGE) or 0)
        notes.append(f"{no_reports}: no draughts to compare" if inputs.reports == 0
                     else "no gaps or dark voyages to compare draughts across"
                     if silences == 0 else "")
    elif kind is EventKind.GAP:
        gap = preset.gap
        observed, feed = _observed_h(ctx)
        if observed < gap.min_gap_h:
            notes.append(
                f"capture too short: {feed} was observed for {_hours(observed)} (hours "
                f"hearing at least {preset.coverage.min_hour_fraction:.0%} of the busiest hour's "
                f"vessels), less than min_gap_h {_hours(gap.min_gap_h)}: no silence can be "
                "long enough")
    elif kind is EventKind.LEFT_COVERAGE:
        notes += _no_exit(ctx, preset)
    elif kind is EventKind.ENCOUNTER:
        notes += _too_short(ctx, preset.encounter, "encounter")
    elif kind is EventKind.LOITERING:
        notes += _too_short(ctx, preset.loitering, "loitering")
    return notes


__all__ = ["NO_PLACES", "NO_POSITIONS", "NO_REPORTS", "Inputs", "explain", "longest_track_h",
           "most_place_changes", "ran_with_less", "run_notes", "why_nothing"]
