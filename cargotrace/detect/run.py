"""Run detectors over the store and replace their events (what `cargotrace detect` does).

Lone outlier positions (GPS or receiver glitches, `outliers.py`) are flagged first, stored in
`position_flags`, and left out of what every detector reads. Detectors run in dependency
order (a dark voyage needs port visits and silences; a possible dark port call needs gaps and
port visits), each on the engine asked for; their events are always written to the store,
kind by kind, replacing the events of the same kinds in the run's time range. A kind that
finds nothing says why when the data could not give it any event (`notes.py`): no places, too
short a capture, no static reports, no positions.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.detect.coverage import CoverageModel, coverage_model
from cargotrace.detect.dark_calls import dark_port_calls
from cargotrace.detect.dark_voyages import detect_dark_voyages, detect_draught_changes
from cargotrace.detect.encounters import detect_encounters
from cargotrace.detect.gaps import gap_candidates, gap_events
from cargotrace.detect.identity import detect_identity
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.left_coverage import separate_exits
from cargotrace.detect.loitering import detect_loitering, resampled_tracks
from cargotrace.detect.notes import NO_POSITIONS, Inputs, explain
from cargotrace.detect.outliers import replace_flags, scan_outliers, without_flagged
from cargotrace.detect.port_visits import detect_port_visits
from cargotrace.detect.presets import Preset, resolve
from cargotrace.detect.segments import Segmentation, identity_segments, split_segments
from cargotrace.detect.shuttles import calls_from_events, detect_shuttles
from cargotrace.detect.track import retracked, segmented_track, split_track, track_table
from cargotrace.errors import ParamsError
from cargotrace.ingest.world_gazetteer import ensure_default_places, places_used
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.events import Event, events_table, store_events
from cargotrace.store.store import Store


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
    _segmentation: Segmentation | None = None
    _coverage: CoverageModel | None = None
    _track: Any = None
    _split: Any = None
    _tracks: dict[tuple[int, float, float], Any] = field(default_factory=dict)
    _jumping: pa.Table | None = None
    places_used: dict[str, Any] = field(default_factory=dict)
    """The gazetteer version and places per origin the run judged against (events' params)."""

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

    def coverage(self) -> CoverageModel:
        """The feed's coverage (`coverage.py`), computed once for every silence detector."""
        if self._coverage is None:
            self._coverage = coverage_model(self.tables["positions"], self.data_end,
                                            self.preset.coverage)
        return self._coverage

    def track(self) -> Any:
        """Every located position with the next one along its MMSI's track, sorted once and
        kept on the engine (a temporary table on DuckDB, a persisted frame on Spark) for every
        detector that needs the order: identity, port visits, dark voyages."""
        if self._track is None:
            track = track_table(self.tables["positions"])
            self._track = _nullable(track).cache()
        return self._track

    def has_track(self) -> bool:
        """Whether `track` is already on the engine (detectors that can do without it ask)."""
        return self._track is not None

    def segmentation(self) -> Segmentation:
        """MMSIs split into one segment per ship, computed once for every detector."""
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
        runs = self.segmentation().runs
        if runs.num_rows and self._split is None:
            # the split MMSIs renumbered once for the run (port visits and the resampled
            # tracks both read them): a few positions, kept rather than joined and sorted twice
            self._split = _nullable(split_track(self.track(), runs)).cache()
        return segmented_track(self.track(), runs, self._split)

    def tracks(self, resample_min: int, max_interpolate_gap_h: float, slow_kn: float) -> Any:
        """Segmented positions resampled on a grid, computed once and kept on the engine for
        every detector that asks with the same grid: encounters and loitering share it under
        both presets."""
        key = (resample_min, max_interpolate_gap_h, slow_kn)
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


def _dark_port_calls(ctx: Context) -> dict[EventKind, list[Event]]:
    """Needs the gaps, and the port visits: a place seen visited next to a gap is no candidate."""
    for needed, run in ((EventKind.GAP, _gaps), (EventKind.PORT_VISIT, _port_visits)):
        if needed not in ctx.found:
            ctx.found.update(run(ctx))
    places = to_arrow(ctx.tables["places"], order_by=["place_id"])
    calls = dark_port_calls(ctx.found[EventKind.GAP], places, ctx.preset.gap,
                            ctx.found[EventKind.PORT_VISIT])
    return {EventKind.POSSIBLE_DARK_PORT_CALL: calls}


def _identity(ctx: Context) -> dict[EventKind, list[Event]]:
    events = detect_identity(
        ctx.tables["positions"],
        ctx.tables["vessel_reports"],
        ctx.preset.identity,
        ctx.segmentation(),
    )
    return {EventKind.IDENTITY: events}


def _port_visits(ctx: Context) -> dict[EventKind, list[Event]]:
    """Visits per ship: an MMSI two ships share is split first, or their calls would merge."""
    positions = ctx.segmented_track()
    visits = detect_port_visits(
        positions, ctx.tables["places"], ctx.preset.port_visit, ctx.data_end,
        positions if ctx.share_track else None, ctx.coverage(),
    )
    return {EventKind.PORT_VISIT: visits}


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


@dataclass(frozen=True)
class Detector:
    params_key: str  # the detector's entry in a preset
    kinds: tuple[EventKind, ...]
    run: Callable[[Context], dict[EventKind, list[Event]]]


def _encounters(ctx: Context) -> dict[EventKind, list[Event]]:
    params = ctx.preset.encounter
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    events = detect_encounters(ctx.segmented_track(), ctx.tables["places"], params, tracks)
    return {EventKind.ENCOUNTER: events}


def _loitering(ctx: Context) -> dict[EventKind, list[Event]]:
    params = ctx.preset.loitering
    tracks = ctx.tracks(params.resample_min, params.max_interpolate_gap_h, params.max_speed_kn)
    events = detect_loitering(ctx.segmented_track(), ctx.tables["places"], params, tracks)
    return {EventKind.LOITERING: events}


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


DETECTORS = (
    Detector("identity", (EventKind.IDENTITY,), _identity),
    Detector("gap", (EventKind.GAP, EventKind.LEFT_COVERAGE), _gaps),
    Detector("port_visit", (EventKind.PORT_VISIT,), _port_visits),
    Detector("gap", (EventKind.POSSIBLE_DARK_PORT_CALL,), _dark_port_calls),
    Detector("dark_voyage", (EventKind.DARK_VOYAGE,), _dark_voyages),
    Detector("draught_change", (EventKind.DRAUGHT_CHANGE,), _draught_changes),
    Detector("encounter", (EventKind.ENCOUNTER,), _encounters),
    Detector("loitering", (EventKind.LOITERING,), _loitering),
    Detector("shuttle", (EventKind.SHUTTLE,), _shuttles),
)
SUPPORTED = tuple(k for d in DETECTORS for k in d.kinds)
COVERAGE_READERS = frozenset({
    EventKind.GAP, EventKind.LEFT_COVERAGE, EventKind.POSSIBLE_DARK_PORT_CALL,
    EventKind.DARK_VOYAGE, EventKind.PORT_VISIT, EventKind.IDENTITY})
"""The kinds whose detectors ask the coverage model: their events record its parameters."""


@dataclass
class DetectSummary:
    preset: str
    data_end: datetime | None
    engine: str = "duckdb"
    written: dict[str, int] = field(default_factory=dict)
    """Per kind: events now in the store from this run (counted there, after the insert)."""
    replaced: int = 0
    folded: int = 0
    """Identical duplicate events stored once (same id, every column equal)."""
    flagged: int = 0
    """Positions flagged as lone outliers in the run's window (`position_flags`): kept, and
    left out of every detector."""
    notes: dict[str, list[str]] = field(default_factory=dict)
    """Per kind: why it found nothing when it could not run or could not find anything, and
    what it ran without (e.g. no places: no port exclusion)."""
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values (`cargotrace detect --json` prints it)."""
        return {
            "preset": self.preset,
            "data_end": None if self.data_end is None else str(self.data_end),
            "written": {str(k): v for k, v in self.written.items()},
            "replaced": self.replaced,
            "folded_duplicates": self.folded,
            "flagged_positions": self.flagged,
            "notes": {str(k): v for k, v in self.notes.items()},
            "duration_s": round(self.duration_s, 2),
        }


def detect(
    store: Store,
    kinds: list[str] | None = None,
    preset: str | Preset = "gfw",
    overrides: dict[str, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    engine: Engine | str = Engine.DUCKDB,
) -> DetectSummary:
    """Detect the requested kinds (all supported ones by default) and store their events.

    `preset` is a preset's name or a `Preset` (e.g. `GFW.with_overrides(...)`); `overrides`
    are `--set` texts applied on top of it."""
    started = time.perf_counter()
    try:
        wanted = [EventKind(k) for k in kinds] if kinds else list(SUPPORTED)
    except ValueError as exc:
        raise ParamsError(f"--kind: {exc}; kinds: {', '.join(SUPPORTED)}") from exc
    unsupported = [k for k in wanted if k not in SUPPORTED]
    if unsupported:
        raise ParamsError(
            f"--kind {unsupported[0]}: not detected yet; detectable kinds: {', '.join(SUPPORTED)}"
        )
    chosen = resolve(preset, overrides or {})
    if not store.read_only:
        ensure_default_places(store)  # a store from before the world gazetteer gets it now
    tables = tables_on(engine, store, ["positions", "vessel_reports", "places"])
    for name in ("positions", "vessel_reports"):
        t = tables[name]
        if since is not None:
            t = t.filter(t.ts >= since)
        if until is not None:
            t = t.filter(t.ts < until)
        tables[name] = t
    data_end = until or store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
    summary = DetectSummary(chosen.name, data_end, str(Engine(engine)))
    inputs = Inputs.of(store, since, until)
    if data_end is None or not (inputs.positions or inputs.reports):
        for kind in wanted:  # nothing to detect on: every kind says so, nothing is replaced
            summary.written[kind] = 0
            summary.notes[kind] = [NO_POSITIONS]
        summary.duration_s = time.perf_counter() - started
        return summary
    readers = (EventKind.PORT_VISIT, EventKind.DARK_VOYAGE, EventKind.DRAUGHT_CHANGE,
               EventKind.POSSIBLE_DARK_PORT_CALL, EventKind.SHUTTLE)
    ctx = Context(tables, chosen, data_end, share_track=any(k in wanted for k in readers),
                  places_used=places_used(store))
    try:
        summary.flagged = replace_flags(store, ctx.flag_outliers(), since, until)
        _run_detectors(store, ctx, wanted, summary, since, until)
        for kind in wanted:
            notes = explain(kind, inputs, chosen, ctx, summary.written[kind])
            if notes:
                summary.notes[kind] = notes
    finally:
        ctx.release()
    summary.duration_s = time.perf_counter() - started
    return summary


def _run_detectors(
    store: Store,
    ctx: Context,
    wanted: list[EventKind],
    summary: DetectSummary,
    since: datetime | None,
    until: datetime | None,
) -> None:
    for detector in DETECTORS:
        if not any(k in wanted for k in detector.kinds):
            continue
        ctx.found.update(detector.run(ctx))
        for kind in detector.kinds:
            if kind not in wanted:
                continue
            table = events_table(ctx.found[kind], summary.preset,
                                 ctx.preset.params_of(detector.params_key),
                                 {"places": ctx.places_used},
                                 {"coverage": dataclasses.asdict(ctx.preset.coverage)}
                                 if kind in COVERAGE_READERS else None)
            replaced = store_events(store, table, [kind], since, until)
            summary.written[kind] = replaced.written
            summary.replaced += replaced.removed
            summary.folded += replaced.folded
            record_run(store, kind, summary, since, until)


RUN_KEY = "detected:{kind}"
"""`meta` key of the last detection run of a kind: lets readers tell "detected nothing" (the
detector ran over the data) from "no data" (it never ran), e.g. the vessel profile's practices."""


def record_run(
    store: Store,
    kind: EventKind,
    summary: DetectSummary,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Remember that `kind` was detected, over which window, with which preset and engine."""
    value = {
        "kind": str(kind),
        "preset": summary.preset,
        "engine": summary.engine,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "data_end": summary.data_end.isoformat() if summary.data_end else None,
        "events": summary.written.get(kind, 0),
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    store.con.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [RUN_KEY.format(kind=kind), json.dumps(value)],
    )
