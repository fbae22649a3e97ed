"""Detector parameters: one frozen dataclass per detector, all in this one module, units in
every name.

Why one module: a newcomer (or a reviewer challenging a finding) finds every knob of detection
here, and docs/reference/parameters.md is generated from these classes. Defaults follow Global
Fishing Watch's published definitions (DESIGN.md, "Behaviour definitions"); named presets live in
`presets.py`. Every event records the preset name and the values used (`events.params`), so a
finding can be reproduced or challenged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.errors import ParamsError


def check_positive(**values: float) -> None:
    """ParamsError naming the first value that is not > 0 (shared by every params class)."""
    for name, value in values.items():
        if not value > 0:
            raise ParamsError(f"{name} must be > 0, got {value}")


@dataclass(frozen=True)
class GapParams:
    """AIS gaps: silences long enough to matter, and which of them look deliberate."""

    min_gap_h: float = field(
        default=6.0, metadata={"help": "Shortest silence reported as a gap (GFW: 6 h)."}
    )
    disabling_min_gap_h: float = field(
        default=12.0, metadata={"help": "A likely disabling lasts at least this long (GFW: 12 h)."}
    )
    disabling_min_offshore_nm: float = field(
        default=50.0,
        metadata={"help": "... and starts at least this far from shore (GFW: 50 nm)."},
    )
    received_window_h: float = field(
        default=12.0, metadata={"help": "Hours before a gap over which reception is judged."}
    )
    min_positions_before: int = field(
        default=10,
        metadata={"help": "Positions in that window that make a vessel 'well received'."},
    )
    max_speed_kn: float = field(
        default=20.0,
        metadata={"help": "Fastest plausible speed when testing which places a gap could hide: "
                          "the cap on a vessel's own speed, and the speed used when its own is "
                          "unknown."},
    )
    moving_min_kn: float = field(
        default=3.0,
        metadata={"help": "Reported speeds from this up count as sailing when a vessel's own "
                          "speed is measured (received_window_h before and after a gap)."},
    )
    speed_margin: float = field(
        default=1.1,
        metadata={"help": "A vessel may sail this much faster than its own mean sailing speed "
                          "while silent (1.1: 10%); the result is capped at max_speed_kn."},
    )
    seen_call_window_h: float = field(
        default=6.0,
        metadata={"help": "A place the vessel is seen visiting this close before or after a gap "
                          "is not a possible dark call in it: that visit was seen."},
    )
    min_port_stay_h: float = field(
        default=4.0,
        metadata={"help": "Shortest stay a possible dark port call must allow for: loading or "
                          "unloading takes hours; a call that fits only as a brief stop rests "
                          "on the vessel sailing flat out all through its silence."},
    )
    call_place_kinds: str = field(
        default="seaport,anchorage,naval_base",
        metadata={"help": "Kinds of watched place a ship can call at (comma-separated): a "
                          "depot, rail terminal, border crossing or chokepoint is never a port "
                          "call, however reachable."},
    )

    def __post_init__(self) -> None:
        check_positive(min_gap_h=self.min_gap_h, disabling_min_gap_h=self.disabling_min_gap_h,
                  received_window_h=self.received_window_h, max_speed_kn=self.max_speed_kn,
                  speed_margin=self.speed_margin)
        if self.moving_min_kn < 0 or self.seen_call_window_h < 0:
            raise ParamsError("moving_min_kn and seen_call_window_h must be >= 0")
        if self.disabling_min_gap_h < self.min_gap_h:
            raise ParamsError("disabling_min_gap_h must be >= min_gap_h")
        if self.min_positions_before < 0 or self.min_port_stay_h < 0:
            raise ParamsError("min_positions_before and min_port_stay_h must be >= 0")
        if not self.call_kinds:
            raise ParamsError("call_place_kinds must name at least one place kind")

    @property
    def call_kinds(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.call_place_kinds.split(",") if k.strip())


@dataclass(frozen=True)
class CoverageParams:
    """Feed coverage, shared by every detector that reasons about silence (gaps, left
    coverage, dark voyages, possible dark port calls, port visits, identity): when the feed
    was quiet (as a whole and per receiver) and where it receives at all (its footprint)."""

    min_hour_fraction: float = field(
        default=0.1,
        metadata={"help": "An hour hearing fewer vessels than this share of the busiest hour was "
                          "not observed (by the whole feed, or by one receiver): its silence is "
                          "no evidence against a vessel."},
    )
    min_busy_hour_vessels: int = field(
        default=20,
        metadata={"help": "Judge the hours of the feed (or of one receiver) only when its busiest "
                          "hour hears at least this many vessels (otherwise every hour counts as "
                          "observed)."},
    )
    outage_lead_h: float = field(
        default=1.0,
        metadata={"help": "A silence that begins this close before hours the feed (or the "
                          "vessel's receiver) was quiet, or in them, is explained by that outage: "
                          "where the vessel was when the feed came back is unknown, so it is no "
                          "gap, coverage exit or dark voyage."},
    )
    exit_outage_lead_h: float = field(
        default=0.25,
        metadata={"help": "As outage_lead_h for a silence that leaves coverage: a vessel at the "
                          "footprint's edge heading out is beyond reach within minutes, so only "
                          "a silence this close before an outage is the outage's."},
    )
    footprint_cell_deg: float = field(
        default=0.1,
        metadata={"help": "Grid cell of the feed's footprint (where positions are received), in "
                          "degrees of latitude and longitude."},
    )
    footprint_min_positions: int = field(
        default=10,
        metadata={"help": "Positions a cell needs to belong to the footprint (a few stray fixes "
                          "do not make a cell covered)."},
    )
    footprint_fill_cells: int = field(
        default=2,
        metadata={"help": "Holes and notches in the footprint narrower than 2 x this + 1 cells "
                          "are filled (the water between two lanes near a receiver is covered "
                          "too); 0 keeps the cells as received."},
    )
    footprint_min_cells: int = field(
        default=4,
        metadata={"help": "Judge the footprint only when it has at least this many cells "
                          "(otherwise no silence is read as leaving coverage)."},
    )
    edge_lookahead_km: float = field(
        default=30.0,
        metadata={"help": "A silence leaves coverage when open sea outside the footprint lies "
                          "within this distance along the vessel's course where it fell silent "
                          "(and, when it came back, within this distance of where it did)."},
    )
    global_min_fraction: float = field(
        default=0.02,
        metadata={"help": "A feed with at least this share of long-range (type 27) reports, "
                          "which only satellites listen for, is satellite-style: its footprint "
                          "is everywhere, no silence leaves it."},
    )
    sparse_max_positions: int = field(
        default=2,
        metadata={"help": "An hour in which a vessel under way is heard at most this many times "
                          "is sparse reception: a shore receiver hears a ship under way dozens of "
                          "times an hour, a satellite a few times at best."},
    )
    global_min_sparse_fraction: float = field(
        default=0.2,
        metadata={"help": "A feed with at least this share of sparse under-way vessel-hours "
                          "(in the hours it observed) is satellite-style, as with "
                          "global_min_fraction."},
    )
    exit_min_silence_h: float = field(
        default=6.0,
        metadata={"help": "Shortest observed silence reported as left_coverage."},
    )

    def __post_init__(self) -> None:
        for name in ("min_hour_fraction", "global_min_fraction", "global_min_sparse_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise ParamsError(f"{name} must be between 0 and 1")
        check_positive(footprint_cell_deg=self.footprint_cell_deg,
                       edge_lookahead_km=self.edge_lookahead_km,
                       exit_min_silence_h=self.exit_min_silence_h)
        if min(self.outage_lead_h, self.exit_outage_lead_h) < 0:
            raise ParamsError("outage_lead_h and exit_outage_lead_h must be >= 0")
        if self.footprint_cell_deg > 10:
            raise ParamsError("footprint_cell_deg must be at most 10")
        if self.footprint_fill_cells < 0:
            raise ParamsError("footprint_fill_cells must be >= 0")
        if min(self.min_busy_hour_vessels, self.footprint_min_positions,
               self.footprint_min_cells) < 1:
            raise ParamsError("min_busy_hour_vessels, footprint_min_positions and "
                              "footprint_min_cells must be >= 1")


@dataclass(frozen=True)
class IdentityParams:
    """Shared MMSIs, position jumps and identity changes."""

    max_speed_kn: float = field(
        default=30.0,
        metadata={"help": "Fastest plausible speed between two positions of one ship "
                          "(DESIGN: 30 kn; high-speed craft may need more)."},
    )
    min_jump_km: float = field(
        default=5.0,
        metadata={"help": "Shorter moves are never impossible: GPS noise and timestamp jitter "
                          "give absurd speeds over metres."},
    )
    min_overlap_h: float = field(
        default=1.0,
        metadata={"help": "Two segments transmitting at once for this long are two ships "
                          "(a shared MMSI)."},
    )
    max_segment_gap_h: float = field(
        default=24.0,
        metadata={"help": "A segment silent for longer is closed: a jump can no longer join it "
                          "(GFW's segmenter: 24 h)."},
    )
    max_teleport_positions: int = field(
        default=2,
        metadata={"help": "A segment of 2 to this many positions, inside another segment's "
                          "track, is a sustained position jump (teleport), not a ship (one "
                          "position alone is a lone outlier: flagged, not an event)."},
    )

    def __post_init__(self) -> None:
        for name in ("max_speed_kn", "min_jump_km", "min_overlap_h", "max_segment_gap_h"):
            value = getattr(self, name)
            if not value > 0:
                raise ParamsError(f"{name} must be > 0, got {value}")
        if self.max_teleport_positions < 2:
            raise ParamsError(
                f"max_teleport_positions must be >= 2, got {self.max_teleport_positions}"
            )



@dataclass(frozen=True)
class OutlierParams:
    """Which single positions are glitches (flagged and left out of every detector)."""

    enabled: bool = field(
        default=True,
        metadata={"help": "Flag lone outliers and leave them out of detection. Off, a run "
                          "skips the scan (one sort of the positions, which a gap-only run "
                          "otherwise does without) and glitches count as behaviour."},
    )
    max_speed_kn: float = field(
        default=30.0,
        metadata={"help": "Fastest plausible speed between two positions of one ship (as "
                          "identity.max_speed_kn): a position reachable from its track at this "
                          "speed is never an outlier."},
    )
    min_jump_km: float = field(
        default=5.0,
        metadata={"help": "Shorter moves are never impossible (GPS noise, timestamp jitter), "
                          "as identity.min_jump_km."},
    )
    at_track_ends: bool = field(
        default=True,
        metadata={"help": "Also flag the positions that open or close an MMSI's track when "
                          "the track on their one side cannot reach them."},
    )
    max_agreeing_h: float = field(
        default=24.0,
        metadata={"help": "Two off-track positions of one MMSI less than this apart in time that "
                          "one ship could sail between are a second transmitter (a shared MMSI "
                          "heard now and then) or a jump that stays, not glitches: neither is "
                          "flagged (as identity.max_segment_gap_h)."},
    )
    min_track_positions: int = field(
        default=3,
        metadata={"help": "At a track end, the track on the one side must have this many "
                          "consecutive consistent positions (more than a sustained jump's 2)."},
    )

    def __post_init__(self) -> None:
        check_positive(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km)
        if self.max_agreeing_h < 0:
            raise ParamsError(f"max_agreeing_h must be >= 0, got {self.max_agreeing_h}")
        if self.min_track_positions < 2:
            raise ParamsError(
                f"min_track_positions must be >= 2, got {self.min_track_positions}")

    def steps(self) -> IdentityParams:
        """Identity parameters with these speeds and distances (for `jumping_mmsis`)."""
        return IdentityParams(max_speed_kn=self.max_speed_kn, min_jump_km=self.min_jump_km)



@dataclass(frozen=True)
class PortVisitParams:
    """Port visits: entry and exit radii (hysteresis), stop and resume speeds."""

    entry_radius_km: float = field(
        default=3.0,
        metadata={"help": "A visit starts within this distance of a place, or within the "
                          "place's radius_m when larger (GFW: 3 km)."},
    )
    exit_margin_km: float = field(
        default=1.0,
        metadata={"help": "It ends only beyond the entry radius plus this margin (GFW: 4 km "
                          "exit for a 3 km entry), so jitter at the edge does not split it."},
    )
    stop_max_sog_kn: float = field(
        default=0.2, metadata={"help": "A stop begins below this speed (GFW: 0.2 kn)."}
    )
    resume_min_sog_kn: float = field(
        default=0.5, metadata={"help": "A stop ends above this speed (GFW: 0.5 kn)."}
    )
    stop_gap_h: float = field(
        default=4.0,
        metadata={"help": "A silence at least this long inside a visit counts as a stop for "
                          "its confidence (GFW: a gap of 4 h in port)."},
    )
    open_max_silence_h: float = field(
        default=24.0,
        metadata={"help": "A visit whose vessel is last heard in it is still going on (end "
                          "NULL) only if that was less than this long before the end of the "
                          "data; otherwise it ends at its last position, exit unseen."},
    )
    min_confidence: int = field(
        default=3,
        metadata={"help": "Report visits of at least this confidence (1-4): 3 keeps visits "
                          "with a stop, 2 also ships that only sailed through a port's circle."},
    )
    place_kinds: str = field(
        default="seaport,anchorage,naval_base",
        metadata={"help": "Comma-separated place kinds a vessel can visit (chokepoints, rail "
                          "terminals and depots are not ports)."},
    )

    def __post_init__(self) -> None:
        for name in ("entry_radius_km", "exit_margin_km", "resume_min_sog_kn", "stop_gap_h",
                     "open_max_silence_h"):
            if not getattr(self, name) > 0:
                raise ParamsError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.stop_max_sog_kn <= self.resume_min_sog_kn:
            raise ParamsError(
                f"stop_max_sog_kn must be in [0, resume_min_sog_kn], got {self.stop_max_sog_kn}"
            )
        if self.min_confidence not in (1, 2, 3, 4):
            raise ParamsError(f"min_confidence must be 1, 2, 3 or 4, got {self.min_confidence}")
        if not self.kinds():
            raise ParamsError("place_kinds must name at least one place kind, e.g. seaport")

    def kinds(self) -> list[str]:
        return [k.strip() for k in self.place_kinds.split(",") if k.strip()]



@dataclass(frozen=True)
class DarkVoyageParams:
    """Dark voyages: how long, how unexplained, and how close to both ends a silence must be."""

    min_silence_h: float = field(
        default=6.0, metadata={"help": "Shortest silence considered (GFW's gap: 6 h)."}
    )
    baseline_quantile: float = field(
        default=0.99,
        metadata={"help": "The vessel's reception baseline is this quantile of its intervals "
                          "between positions while under way."},
    )
    baseline_factor: float = field(
        default=3.0,
        metadata={"help": "The silence must last at least this many times the baseline."},
    )
    underway_min_sog_kn: float = field(
        default=1.0,
        metadata={"help": "Intervals whose two positions both move at least this fast form "
                          "the baseline."},
    )
    slow_max_sog_kn: float = field(
        default=1.0,
        metadata={"help": "Below this speed the vessel is stopped or drifting: its voyage "
                          "begins when it was last this slow."},
    )
    max_visible_departure_h: float = field(
        default=2.0,
        metadata={"help": "The silence must begin within this long after the vessel was last "
                          "slow (it went dark as the voyage began)."},
    )
    max_visible_arrival_h: float = field(
        default=2.0,
        metadata={"help": "... and end within this long before it entered the next port."},
    )

    def __post_init__(self) -> None:
        for name in ("min_silence_h", "baseline_factor", "max_visible_departure_h",
                     "max_visible_arrival_h"):
            if not getattr(self, name) > 0:
                raise ParamsError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.baseline_quantile <= 1:
            raise ParamsError(f"baseline_quantile must be in (0, 1], got "
                              f"{self.baseline_quantile}")
        if self.underway_min_sog_kn < 0 or self.slow_max_sog_kn < 0:
            raise ParamsError("underway_min_sog_kn and slow_max_sog_kn must be >= 0")



@dataclass(frozen=True)
class DraughtChangeParams:
    """Draught changes: the smallest change in reported draught across a silence."""

    min_change_m: float = field(
        default=0.5,
        metadata={"help": "Report a change of at least this many metres (AIS draught has a "
                          "0.1 m step and is typed in by the crew)."},
    )

    def __post_init__(self) -> None:
        if not self.min_change_m > 0:
            raise ParamsError(f"min_change_m must be > 0, got {self.min_change_m}")



@dataclass(frozen=True)
class EncounterParams:
    """Two vessels close and slow for a long time away from port (GFW's encounter)."""

    max_distance_m: float = field(
        default=500.0, metadata={"help": "Greatest distance between the two vessels at every "
                                 "grid step (GFW: 500 m)."}
    )
    min_duration_h: float = field(
        default=2.0, metadata={"help": "Shortest encounter reported (GFW: 2 h)."}
    )
    max_speed_kn: float = field(
        default=2.0, metadata={"help": "Both vessels' mean speed at each grid step must stay "
                               "below this (GFW: 2 kn)."}
    )
    min_port_distance_km: float = field(
        default=10.0, metadata={"help": "Every step must be at least this far outside the "
                                "radius of every place (GFW: 10 km from an anchorage)."}
    )
    min_shore_distance_nm: float = field(
        default=0.0, metadata={"help": "The encounter's mean position must be at least this far "
                               "from land (land-mask estimate, geo/shore.py). GFW's encounter "
                               "rule has no shore floor, only its 10 km from a coastal "
                               "anchorage (min_port_distance_km), so 0: off (https://"
                               "globalfishingwatch.github.io/GFW_technical_documentation/files/"
                               "encounters.html). Raise it where the gazetteer misses "
                               "anchorages."}
    )
    resample_min: int = field(
        default=10, metadata={"help": "Grid step the tracks are resampled to (GFW: 10 min)."}
    )
    merge_gap_h: float = field(
        default=4.0, metadata={"help": "Encounters of one pair less than this apart are merged "
                               "into one (GFW: 4 h)."}
    )
    max_interpolate_gap_h: float = field(
        default=1.0, metadata={"help": "Holes in a track up to this long are interpolated "
                               "(GFW: 1 h); longer ones end a run."}
    )

    def __post_init__(self) -> None:
        check_positive(max_distance_m=self.max_distance_m, min_duration_h=self.min_duration_h,
                       max_speed_kn=self.max_speed_kn, resample_min=self.resample_min)
        if (self.min_port_distance_km < 0 or self.merge_gap_h < 0
                or self.max_interpolate_gap_h < 0 or self.min_shore_distance_nm < 0):
            raise ParamsError(
                "min_port_distance_km, min_shore_distance_nm, merge_gap_h and "
                "max_interpolate_gap_h must be >= 0"
            )
        if self.resample_min > 60 * self.min_duration_h:
            raise ParamsError(
                f"resample_min ({self.resample_min}) must not exceed min_duration_h "
                f"({self.min_duration_h} h): a run is measured in grid steps"
            )



@dataclass(frozen=True)
class LoiteringParams:
    """One vessel slow away from port for a long time (GFW's loitering, on a 10-minute grid)."""

    max_speed_kn: float = field(
        default=2.0, metadata={"help": "A step is slow when the mean speed over the speed "
                               "window, or its own, is below this (GFW: 2 kn)."}
    )
    min_duration_h: float = field(
        default=2.0, metadata={"help": "Shortest loitering reported (GFW publishes events from "
                               "1 h; 2 h, as for encounters, leaves out short stops)."}
    )
    min_port_distance_km: float = field(
        default=10.0, metadata={"help": "Every step must be at least this far outside the radius "
                                "of every place (GFW encounters: 10 km from an anchorage)."}
    )
    min_shore_distance_nm: float = field(
        default=20.0, metadata={"help": "The loitering's mean position must be at least this "
                                "far from land (land-mask estimate, geo/shore.py): a queue off "
                                "a coast is not loitering at sea. GFW publishes loitering only "
                                "at avg_distance_from_shore_nm >= 20 (published_events_"
                                "loitering, https://globalfishingwatch.github.io/GFW_technical_"
                                "documentation/Loitering.html); 0: off."}
    )
    speed_window_h: float = field(
        default=1.0, metadata={"help": "Speeds are averaged over this window centred on each "
                               "step (GFW: hourly mean speed)."}
    )
    resample_min: int = field(
        default=10, metadata={"help": "Grid step the track is resampled to, in minutes."}
    )
    max_interpolate_gap_h: float = field(
        default=1.0, metadata={"help": "Holes in a track up to this long are interpolated "
                               "(GFW: 1 h); longer ones end a run."}
    )

    def __post_init__(self) -> None:
        check_positive(max_speed_kn=self.max_speed_kn, min_duration_h=self.min_duration_h,
                       speed_window_h=self.speed_window_h, resample_min=self.resample_min)
        if (self.min_port_distance_km < 0 or self.max_interpolate_gap_h < 0
                or self.min_shore_distance_nm < 0):
            raise ParamsError("min_port_distance_km, min_shore_distance_nm and "
                              "max_interpolate_gap_h must be >= 0")
        if self.resample_min > 60 * self.min_duration_h:
            raise ParamsError(
                f"resample_min ({self.resample_min}) must not exceed min_duration_h "
                f"({self.min_duration_h} h): a run is measured in grid steps"
            )



@dataclass(frozen=True)
class ShuttleParams:
    """Shuttles: a vessel (or a group of vessels) calling again and again at the same two places.

    Calls are port visits (seen), possible dark port calls (inferred) and, when loaded, imagery
    sightings (seen). Defaults follow what analysts called the 2023 Rajin-Dunay pipeline: two
    round trips are already a pattern worth a look; a trip slower than a month is no shuttle."""

    min_trips: int = field(
        default=4,
        metadata={"help": "Report a shuttle of at least this many one-way trips between the two "
                          "places (4: two round trips)."},
    )
    max_trip_d: float = field(
        default=30.0,
        metadata={"help": "A passage from one place to the other that takes longer than this "
                          "(call to call) breaks the shuttle: the vessel was doing something "
                          "else in between."},
    )
    max_calls_between: int = field(
        default=1,
        metadata={"help": "Calls at other places allowed inside one trip (bunkering, waiting "
                          "at an anchorage) before the shuttle counts as broken."},
    )
    min_group_vessel_trips: int = field(
        default=2,
        metadata={"help": "A vessel joins a group shuttle (several vessels between the same two "
                          "places in overlapping months) with at least this many trips."},
    )
    max_group_vessels: int = field(
        default=3,
        metadata={"help": "A group of more vessels than this between the same two places is "
                          "ordinary traffic between busy ports, not a shuttle group: not "
                          "reported as a group (its members' own shuttles still are)."},
    )
    include_dark_calls: bool = field(
        default=True,
        metadata={"help": "Count possible dark port calls as calls (inferred, not seen: they "
                          "lower the shuttle's confidence)."},
    )

    def __post_init__(self) -> None:
        check_positive(max_trip_d=self.max_trip_d)
        if self.min_trips < 2:
            raise ParamsError(f"min_trips must be >= 2, got {self.min_trips}")
        if self.max_calls_between < 0:
            raise ParamsError(f"max_calls_between must be >= 0, got {self.max_calls_between}")
        if self.max_group_vessels < 2:
            raise ParamsError(f"max_group_vessels must be >= 2, got {self.max_group_vessels}")
        if self.min_group_vessel_trips < 1:
            raise ParamsError(
                f"min_group_vessel_trips must be >= 1, got {self.min_group_vessel_trips}")
