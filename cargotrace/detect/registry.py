"""The detector registry: each detector's adapter from the run's `Context` to its events, in
dependency order.

An adapter reads what its detector needs from the context (tables, parameters, earlier kinds,
running those first when the run did not ask for them) and returns events per kind. `DETECTORS`
is the order `detect` runs them in; `SUPPORTED` the kinds `--kind` accepts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from cargotrace.detect.context import Context
from cargotrace.detect.dark_calls import dark_port_calls, dark_port_calls_from_rows
from cargotrace.detect.dark_voyages import (
    detect_dark_voyages,
    detect_draught_changes,
    draught_candidates,
    draught_change_events,
    silences_on_engine,
)
from cargotrace.detect.encounters import encounter_events, pair_candidates, scan_encounters
from cargotrace.detect.gaps import gap_candidates, gap_events
from cargotrace.detect.identity import detect_identity, identity_row_events, position_events
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.left_coverage import judges_exits, separate_exits
from cargotrace.detect.loitering import detect_loitering, loitering_candidates, loitering_events
from cargotrace.detect.on_executors import Candidates
from cargotrace.detect.port_visits import (
    detect_port_visits,
    port_visit_candidates,
    port_visit_events,
)
from cargotrace.detect.shuttles import calls_from_events, detect_shuttles
from cargotrace.detect.silences_on_executors import silence_candidates, silence_events
from cargotrace.detect.track import track_table
from cargotrace.store.engines import to_arrow
from cargotrace.store.events import Event


@dataclass(frozen=True)
class Detector:
    params_key: str  # the detector's entry in a preset
    kinds: tuple[EventKind, ...]
    run: Callable[[Context], dict[EventKind, list[Event]]]
    on_spark: Callable[[Context], Candidates] | None = None
    """On the Spark engine: the candidates left on the engine and the post-step that turns
    them into events on the executors (`on_executors.py`); None: `run` on the driver."""
    reads: tuple[EventKind, ...] = ()
    """The kinds whose events `run` reads in Python (`ctx.found`): found on the executors,
    they come back to the driver for it (events, never candidates)."""
    reads_on_engine: tuple[EventKind, ...] = ()
    """The kinds whose event rows `on_spark` reads on the engine (`ctx.engine_events`): it
    runs on the executors only when the run made all of them there first; otherwise `run`
    on the driver (e.g. `--kind possible_dark_port_call` alone)."""


def _gaps(ctx: Context) -> dict[EventKind, list[Event]]:
    """Gaps and coverage exits: every silence long enough for either is a candidate once; the
    ones that left the feed's footprint are `left_coverage` (`left_coverage.py`), the rest are
    judged as gaps."""
    params, coverage = ctx.preset.gap, ctx.coverage()
    shortest = min(params.min_gap_h, ctx.preset.coverage.exit_min_silence_h)
    wide = dataclasses.replace(params, min_gap_h=shortest)
    # the run's sorted track when another detector already made it (a sort saved); alone,
    # gaps need no sort at all (see `gap_candidates`)
    track = ctx.track() if ctx.has_track() else None
    positions = ctx.tables["positions"]
    candidates = to_arrow(gap_candidates(positions, wide, ctx.data_end, track),
                          order_by=["mmsi", "start"])
    candidates, exits = separate_exits(positions, candidates, coverage, ctx.preset.coverage)
    gaps = gap_events(candidates, params, ctx.data_end, coverage)
    return {EventKind.GAP: gaps, EventKind.LEFT_COVERAGE: exits}


def _silence_candidates(ctx: Context) -> Candidates:
    """`_gaps` on Spark's executors: the same silences, with the positions at their ends
    joined on the engine when exits are judged (`silences_on_executors.py`)."""
    params, coverage = ctx.preset.gap, ctx.coverage()
    wide = dataclasses.replace(params, min_gap_h=min(
        params.min_gap_h, ctx.preset.coverage.exit_min_silence_h))
    positions = ctx.tables["positions"]
    silences = gap_candidates(positions, wide, ctx.data_end,
                              ctx.track() if ctx.has_track() else None)
    post_step = partial(silence_events, params=params, data_end=ctx.data_end,
                        coverage=coverage, coverage_params=ctx.preset.coverage)
    return Candidates((EventKind.GAP, EventKind.LEFT_COVERAGE),
                      silence_candidates(positions, silences, judges_exits(coverage)), post_step)


def _dark_port_calls(ctx: Context) -> dict[EventKind, list[Event]]:
    """Needs the gaps, and the port visits: a place seen visited next to a gap is no candidate."""
    for needed, run in ((EventKind.GAP, _gaps), (EventKind.PORT_VISIT, _port_visits)):
        if needed not in ctx.found:
            ctx.found.update(run(ctx))
    places = to_arrow(ctx.tables["places"], order_by=["place_id"])
    calls = dark_port_calls(ctx.found[EventKind.GAP], places, ctx.preset.gap,
                            ctx.found[EventKind.PORT_VISIT])
    return {EventKind.POSSIBLE_DARK_PORT_CALL: calls}


def _dark_call_candidates(ctx: Context) -> Candidates:
    """`_dark_port_calls` on Spark's executors: the gaps' and port visits' event rows, kept
    there by the run, grouped by vessel (a gap's call reads its own vessel's visits only)."""
    from pyspark.sql import functions as F

    kinds = (EventKind.GAP, EventKind.PORT_VISIT)
    frames = [ctx.engine_events[k].where(F.col("kind") == str(k)) for k in kinds]
    places = to_arrow(ctx.tables["places"], order_by=["place_id"])
    post_step = partial(dark_port_calls_from_rows, places=places, params=ctx.preset.gap)
    return Candidates((EventKind.POSSIBLE_DARK_PORT_CALL,), frames[0].unionByName(frames[1]),
                      post_step, order_by=None)


def _identity(ctx: Context) -> dict[EventKind, list[Event]]:
    events = detect_identity(
        ctx.tables["positions"],
        ctx.tables["vessel_reports"],
        ctx.preset.identity,
        ctx.segmentation(),
    )
    return {EventKind.IDENTITY: events}


def _identity_candidates(ctx: Context) -> Candidates:
    """`_identity` on Spark's executors: the split's events (few, already on the driver,
    which needs the split) written with the change and flag-change events made there from
    the reports (`identity_on_executors.py`)."""
    from cargotrace.detect.identity_on_executors import report_candidates_on_executors

    expr, kept = report_candidates_on_executors(ctx.tables["positions"],
                                                ctx.tables["vessel_reports"])
    return Candidates((EventKind.IDENTITY,), expr, identity_row_events, order_by=None,
                      release=kept, made=tuple(position_events(ctx.segmentation())))


def _port_visits(ctx: Context) -> dict[EventKind, list[Event]]:
    """Visits per ship: an MMSI two ships share is split first, or their calls would merge."""
    positions = ctx.segmented_track()
    visits = detect_port_visits(
        positions, ctx.tables["places"], ctx.preset.port_visit, ctx.data_end,
        positions if ctx.share_track else None, ctx.coverage(),
    )
    return {EventKind.PORT_VISIT: visits}


def _port_visit_candidates(ctx: Context) -> Candidates:
    """`_port_visits` on Spark's executors: each candidate row is one visit (order free)."""
    positions, params = ctx.segmented_track(), ctx.preset.port_visit
    expr = port_visit_candidates(positions, ctx.tables["places"], params, ctx.data_end,
                                 positions if ctx.share_track else None)
    post_step = partial(port_visit_events, params=params, coverage=ctx.coverage())
    return Candidates((EventKind.PORT_VISIT,), expr, post_step, order_by=None)


def _dark_voyages(ctx: Context) -> dict[EventKind, list[Event]]:
    """Needs the port visits, and the coverage exits: a ship that sailed out of the feed's
    footprint made no dark voyage by falling silent there."""
    for needed, run in ((EventKind.PORT_VISIT, _port_visits), (EventKind.LEFT_COVERAGE, _gaps)):
        if needed not in ctx.found:
            ctx.found.update(run(ctx))
    voyages = detect_dark_voyages(
        ctx.found[EventKind.PORT_VISIT],
        ctx.tables["positions"],
        ctx.preset.dark_voyage,
        ctx.data_end,
        ctx.track() if ctx.share_track else None,
        ctx.coverage(),
        ctx.found[EventKind.LEFT_COVERAGE],
    )
    return {EventKind.DARK_VOYAGE: voyages}


def _dark_voyage_candidates(ctx: Context) -> Candidates:
    """`_dark_voyages` on Spark's executors: each vessel's silences (kept on the engine) with
    its port-visit and coverage-exit rows, cogrouped by vessel (`voyages_on_executors.py`)."""
    from cargotrace.detect.voyages_on_executors import dark_voyages_beside, kinds_rows

    params = ctx.preset.dark_voyage
    track = ctx.track() if ctx.share_track else track_table(ctx.tables["positions"])
    expr, silences = silences_on_engine(track, params, ctx.data_end)
    beside = kinds_rows(ctx.engine_events, (EventKind.PORT_VISIT, EventKind.LEFT_COVERAGE))
    post_step = partial(dark_voyages_beside, params=params, coverage=ctx.coverage())
    return Candidates((EventKind.DARK_VOYAGE,), expr, post_step, release=(silences,),
                      beside=beside)


def _draught_changes(ctx: Context) -> dict[EventKind, list[Event]]:
    for needed, run in ((EventKind.GAP, _gaps), (EventKind.DARK_VOYAGE, _dark_voyages)):
        if needed not in ctx.found:
            ctx.found.update(run(ctx))
    silences = (ctx.found[EventKind.GAP] + ctx.found[EventKind.LEFT_COVERAGE]
                + ctx.found[EventKind.DARK_VOYAGE])
    changes = detect_draught_changes(
        ctx.tables["vessel_reports"], silences, ctx.preset.draught_change
    )
    return {EventKind.DRAUGHT_CHANGE: changes}


def _draught_candidates(ctx: Context) -> Candidates:
    """`_draught_changes` on Spark's executors: the closed silences' rows there as a table,
    joined to the reports by the same query; each row its event (`voyages_on_executors.py`)."""
    import ibis

    from cargotrace.detect.voyages_on_executors import silence_windows_on_engine

    reports = ctx.tables["vessel_reports"]
    windows, kept = silence_windows_on_engine(ctx.engine_events, ibis.get_backend(reports))
    post_step = partial(draught_change_events, params=ctx.preset.draught_change)
    return Candidates((EventKind.DRAUGHT_CHANGE,), draught_candidates(reports, windows),
                      post_step, together=("s_mmsi",), order_by=None, release=(kept,))


def _encounters(ctx: Context) -> dict[EventKind, list[Event]]:
    params = ctx.preset.encounter
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    scan = scan_encounters(ctx.segmented_track(), ctx.tables["places"], params, tracks)
    # what the crowded-cell cap left out, recorded with the events (`anchorages.py`)
    ctx.inputs[EventKind.ENCOUNTER] = {"crowding": scan.crowding}
    return {EventKind.ENCOUNTER: scan.events}


def _encounter_candidates(ctx: Context) -> Candidates:
    """`_encounters` on Spark's executors: a pair of segments' steps stay together."""
    params = ctx.preset.encounter
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    places = ctx.tables["places"]
    pairing = pair_candidates(ctx.segmented_track(), places, params, tracks)
    ctx.inputs[EventKind.ENCOUNTER] = {"crowding": pairing.crowding}
    post_step = partial(encounter_events, places=_place_rows(places), params=params)
    return Candidates((EventKind.ENCOUNTER,), pairing.candidates, post_step,
                      ("mmsi", "segment", "other_mmsi", "other_segment"), None, (pairing.slow,))


def _place_rows(places: object) -> object:
    """The places the post-steps measure distances to (a run-wide input shipped to the
    executors with them: the gazetteer, not candidates)."""
    return to_arrow(places.select("place_id", "lat", "lon", "radius_m"))  # type: ignore[attr-defined]


def _loitering(ctx: Context) -> dict[EventKind, list[Event]]:
    params = ctx.preset.loitering
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    events = detect_loitering(ctx.segmented_track(), ctx.tables["places"], params, tracks)
    return {EventKind.LOITERING: events}


def _loitering_candidates(ctx: Context) -> Candidates:
    """`_loitering` on Spark's executors: each candidate row is one run (order free)."""
    params = ctx.preset.loitering
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    places = ctx.tables["places"]
    expr = loitering_candidates(ctx.segmented_track(), places, params, tracks)
    post_step = partial(loitering_events, places=_place_rows(places), params=params)
    return Candidates((EventKind.LOITERING,), expr, post_step, order_by=None)


def _shuttles(ctx: Context) -> dict[EventKind, list[Event]]:
    """Needs the calls: port visits and possible dark port calls found in the same run."""
    for needed, run in ((EventKind.PORT_VISIT, _port_visits),
                        (EventKind.POSSIBLE_DARK_PORT_CALL, _dark_port_calls)):
        if needed not in ctx.found:
            ctx.found.update(run(ctx))
    params = ctx.preset.shuttle
    calls = calls_from_events(
        ctx.found[EventKind.PORT_VISIT] + ctx.found[EventKind.POSSIBLE_DARK_PORT_CALL], params)
    return {EventKind.SHUTTLE: detect_shuttles(calls, params)}


def _shuttle_candidates(ctx: Context) -> Candidates:
    """`_shuttles` on Spark's executors: the calls' rows by vessel to runs, the runs by place
    pair to shuttles (`shuttles_on_executors.py`)."""
    from cargotrace.detect.shuttles_on_executors import RUN_SCHEMA, pair_shuttles, runs_on_executors
    from cargotrace.detect.voyages_on_executors import kinds_rows

    params = ctx.preset.shuttle
    calls = kinds_rows(ctx.engine_events,
                       (EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL))
    return Candidates((EventKind.SHUTTLE,), runs_on_executors(calls, params),
                      partial(pair_shuttles, params=params), together=("place_a", "place_b"),
                      order_by=None, target=RUN_SCHEMA)


DETECTORS = (
    Detector("identity", (EventKind.IDENTITY,), _identity, _identity_candidates),
    Detector("gap", (EventKind.GAP, EventKind.LEFT_COVERAGE), _gaps, _silence_candidates),
    Detector("port_visit", (EventKind.PORT_VISIT,), _port_visits, _port_visit_candidates),
    Detector("gap", (EventKind.POSSIBLE_DARK_PORT_CALL,), _dark_port_calls,
             _dark_call_candidates, reads=(EventKind.GAP, EventKind.PORT_VISIT),
             reads_on_engine=(EventKind.GAP, EventKind.PORT_VISIT)),
    Detector("dark_voyage", (EventKind.DARK_VOYAGE,), _dark_voyages, _dark_voyage_candidates,
             reads=(EventKind.PORT_VISIT, EventKind.LEFT_COVERAGE),
             reads_on_engine=(EventKind.PORT_VISIT, EventKind.LEFT_COVERAGE)),
    Detector("draught_change", (EventKind.DRAUGHT_CHANGE,), _draught_changes,
             _draught_candidates,
             reads=(EventKind.GAP, EventKind.LEFT_COVERAGE, EventKind.DARK_VOYAGE),
             reads_on_engine=(EventKind.GAP, EventKind.LEFT_COVERAGE, EventKind.DARK_VOYAGE)),
    Detector("encounter", (EventKind.ENCOUNTER,), _encounters, _encounter_candidates),
    Detector("loitering", (EventKind.LOITERING,), _loitering, _loitering_candidates),
    Detector("shuttle", (EventKind.SHUTTLE,), _shuttles, _shuttle_candidates,
             reads=(EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL),
             reads_on_engine=(EventKind.PORT_VISIT, EventKind.POSSIBLE_DARK_PORT_CALL)),
)
SUPPORTED = tuple(k for d in DETECTORS for k in d.kinds)
COVERAGE_READERS = frozenset({
    EventKind.GAP, EventKind.LEFT_COVERAGE, EventKind.POSSIBLE_DARK_PORT_CALL,
    EventKind.DARK_VOYAGE, EventKind.PORT_VISIT, EventKind.IDENTITY})
"""The kinds whose detectors ask the coverage model: their events record its parameters."""
