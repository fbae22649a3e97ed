"""Simulator parameters: the scenario generated, how a receiver hears it, and how detected events
are matched against its truth (`evaluate`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cargotrace.errors import ParamsError

SCENARIOS = ("background", "sea-of-japan-2023", "mixed", "campaign")


class Feed(StrEnum):
    """Who listens: satellites everywhere plus shore stations (global), or shore stations only."""

    GLOBAL = "global"  # shore stations at the ports, satellites everywhere else (the default)
    REGIONAL = "regional"  # a terrestrial network: beyond every station's range, nothing


# Feed options added after the first scenarios: scenario.json names them (all) only when one
# is not at its default, so existing scenarios and seeds still write byte-identical files.
FEED_DEFAULTS: dict[str, object] = {"feed": "global", "outages": 0, "outage_hours": 8.0}


class OpenEnd(StrEnum):
    """How a NULL event end (a behaviour still going on at the end of the data) is read."""

    DATA_END = "data_end"  # it lasts until the end of the data: honest, the default
    TRUTH_END = "truth_end"  # it lasts until the end of the truth row: lenient


@dataclass(frozen=True)
class BehaviourCounts:
    """How many of each behaviour to plant (each on a different vessel where it matters)."""

    gaps: int = field(default=0, metadata={"help": "Transponder switched off at sea, 8-30 h."})
    dark_voyages: int = field(default=0, metadata={"help": "Port to port with AIS off at sea."})
    encounters: int = field(default=0, metadata={"help": "Two-vessel meetings away from port."})
    loiterings: int = field(default=0, metadata={"help": "One vessel slow away from port."})
    shared_mmsis: int = field(default=0, metadata={"help": "A second ship using an MMSI."})
    name_changes: int = field(default=0, metadata={"help": "Static name changes."})
    imo_changes: int = field(default=0, metadata={"help": "Static IMO number changes."})
    flag_changes: int = field(default=0, metadata={"help": "Reflagging: new MMSI and flag."})
    teleports: int = field(
        default=0, metadata={"help": "Jumps of two positions 200-500 km away (sustained)."})
    draught_changes: int = field(default=0, metadata={"help": "Draught changed while dark."})
    dark_port_calls: int = field(default=0, metadata={
        "help": "Calls at a watched port (the curated gazetteer's) with AIS off from 20 km "
                "before it to 20 km after."})


DEFAULT_COUNTS = {
    "background": BehaviourCounts(),
    "sea-of-japan-2023": BehaviourCounts(encounters=1, shared_mmsis=1),
    "mixed": BehaviourCounts(
        gaps=15,
        dark_voyages=8,
        encounters=8,
        loiterings=8,
        shared_mmsis=4,
        name_changes=5,
        imo_changes=4,
        flag_changes=4,
        teleports=8,
        draught_changes=5,
        dark_port_calls=8,
    ),
}
DEFAULT_DAYS = {"background": 14.0, "sea-of-japan-2023": 30.0, "mixed": 30.0,
                "campaign": 60.0}
DEFAULT_VESSELS = {"background": 40, "sea-of-japan-2023": 40, "mixed": 80, "campaign": 8}
DEFAULT_START = {
    "background": datetime(2023, 9, 1, tzinfo=UTC),
    "sea-of-japan-2023": datetime(2023, 9, 1, tzinfo=UTC),
    "mixed": datetime(2023, 9, 1, tzinfo=UTC),
    "campaign": datetime(2023, 9, 1, tzinfo=UTC),
}


@dataclass(frozen=True)
class CampaignSimParams:
    """The campaign scenario's shuttle (`sim/campaign.py`): ships, stays, dark share, what the
    generated campaign file says and how noisy it is."""

    ships: int = field(default=3, metadata={
        "help": "Ships shuttling between Najin and Dunay (at most 3: a larger group reads as "
                "ordinary traffic to the shuttle detector's max_group_vessels)."})
    najin_stay_h: tuple[float, float] = field(default=(20.0, 44.0), metadata={
        "help": "Loading stay at Najin, hours: drawn uniformly between these bounds."})
    dunay_stay_h: tuple[float, float] = field(default=(16.0, 36.0), metadata={
        "help": "Unloading stay at Dunay, hours: drawn uniformly between these bounds."})
    dark_trip_fraction: float = field(default=0.3, metadata={
        "help": "Share of deliveries with the transponder off from 20 km before Dunay to 20 km "
                "after (a possible dark port call)."})
    capacity_range: tuple[int, int] = field(default=(180, 330), metadata={
        "help": "True capacity of each ship, containers: drawn uniformly in [low, high).",
        "unit": "containers"})
    capacity_noise_fraction: float = field(default=0.1, metadata={
        "help": "The campaign file's capacity mode is the truth times 1 +/- up to this."})
    imagery_fraction: float = field(default=0.3, metadata={
        "help": "Share of deliveries seen on (simulated) imagery at Dunay: evidence items and "
                "trips entries in the campaign file."})
    imagery_grading: str = field(default="A2", metadata={
        "help": "Admiralty grading of the simulated imagery (A2: reliable source, probably "
                "true)."})
    claims: int = field(default=3, metadata={
        "help": "Claims of the cumulative volume, at evenly spaced dates to the end."})
    claim_noise_fraction: float = field(default=0.08, metadata={
        "help": "A claim is the true volume by its date times 1 + a normal noise of this "
                "standard deviation."})

    def __post_init__(self) -> None:
        if not 1 <= self.ships <= 3:
            raise ParamsError(f"ships must be 1-3, got {self.ships}")
        for name in ("najin_stay_h", "dunay_stay_h", "capacity_range"):
            lo, hi = getattr(self, name)
            if not 0 < lo < hi:
                raise ParamsError(f"{name} must be (low, high) with 0 < low < high")
        for name in ("dark_trip_fraction", "imagery_fraction", "capacity_noise_fraction",
                     "claim_noise_fraction"):
            if not 0 <= getattr(self, name) < 1:
                raise ParamsError(f"{name} must be in [0, 1), got {getattr(self, name)}")
        if self.claims < 0:
            raise ParamsError(f"claims must be >= 0, got {self.claims}")


@dataclass(frozen=True)
class CampaignMatchParams:
    """How `cargotrace campaign evaluate` matches estimated trips to the campaign scenario's
    planted deliveries, and what it requires."""

    tolerance_h: float = field(default=36.0, metadata={
        "help": "An estimated trip of the same vessel counted within this many hours of a true "
                "arrival at Dunay matches it (a trip from an imagery-dated file entry is "
                "counted at its period's middle, up to a day from the arrival)."})
    min_recall_fraction: float = field(default=0.9, metadata={
        "help": "Share of the true deliveries the estimate must recover."})

    def __post_init__(self) -> None:
        if self.tolerance_h <= 0 or not 0 < self.min_recall_fraction <= 1:
            raise ParamsError("need tolerance_h > 0 and 0 < min_recall_fraction <= 1")


@dataclass(frozen=True)
class ScenarioParams:
    """Everything that determines a simulation: the same values give byte-identical output."""

    scenario: str = field(default="background", metadata={"help": "Scenario name."})
    seed: int = field(default=7, metadata={"help": "Random seed."})
    vessels: int = field(default=40, metadata={"help": "Background vessels."})
    days: float = field(default=14.0, metadata={"help": "Length of the simulation in days.",
                                                 "unit": "days"})
    region: str = field(
        default="sea-of-japan",
        metadata={"help": "A named region or LAT_MIN,LAT_MAX,LON_MIN,LON_MAX."},
    )
    start: datetime = field(
        default=datetime(2023, 9, 1, tzinfo=UTC),
        metadata={"help": "Start of the simulation (UTC)."},
    )
    behaviours: BehaviourCounts = field(
        default_factory=BehaviourCounts, metadata={"help": "Behaviours to plant."}
    )
    feed: Feed = field(
        default=Feed.GLOBAL,
        metadata={"help": "global: shore stations and satellites; regional: shore stations "
                          "only, so ships beyond every station's range go silent."},
    )
    outages: int = field(
        default=0, metadata={"help": "Whole-feed outages: hours in which nothing is heard."}
    )
    outage_hours: float = field(
        default=8.0,
        metadata={"help": "Length of each outage, whole hours (longer than a 6 h gap).",
                  "unit": "h"},
    )

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ParamsError(
                f"unknown scenario {self.scenario!r}; choose one of {', '.join(SCENARIOS)}"
            )
        if self.vessels < 0 or self.days <= 0:
            raise ParamsError("vessels must be >= 0 and days > 0")
        try:
            object.__setattr__(self, "feed", Feed(self.feed))
        except ValueError as exc:
            raise ParamsError(
                f"feed must be one of {', '.join(Feed)}, got {self.feed!r}"
            ) from exc
        if self.outages < 0:
            raise ParamsError(f"outages must be >= 0, got {self.outages}")
        if not (self.outage_hours >= 1 and float(self.outage_hours).is_integer()):
            raise ParamsError(
                f"outage_hours must be a whole number of hours >= 1, got {self.outage_hours}"
            )
        if self.outages and self.outages * (self.outage_hours + 12) > self.days * 24:
            raise ParamsError(
                f"{self.outages} outages of {self.outage_hours:g} h do not fit in "
                f"{self.days:g} days (each needs 12 h of heard traffic around it)"
            )

    @classmethod
    def for_scenario(cls, scenario: str, **overrides: object) -> ScenarioParams:
        base: dict[str, object] = {
            "scenario": scenario,
            "start": DEFAULT_START.get(scenario, DEFAULT_START["mixed"]),
            "days": DEFAULT_DAYS.get(scenario, 14.0),
            "vessels": DEFAULT_VESSELS.get(scenario, 40),
            "behaviours": DEFAULT_COUNTS.get(scenario, BehaviourCounts()),
        }
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]

    def to_json(self) -> str:
        from dataclasses import asdict

        doc = asdict(self)
        if all(doc[name] == default for name, default in FEED_DEFAULTS.items()):
            for name in FEED_DEFAULTS:
                del doc[name]
        return json.dumps(doc, default=str, sort_keys=True, indent=2)


@dataclass(frozen=True)
class ReceptionParams:
    """Reception rates; the defaults give gaps over 6 h offshore rarely, near shore never."""

    shore_range_km: float = field(
        default=75.0, metadata={"help": "Class A range of a shore station."}
    )
    shore_range_b_km: float = field(default=35.0, metadata={"help": "Class B range (lower power)."})
    p_shore: float = field(
        default=0.35, metadata={"help": "Share of transmissions heard in range."}
    )
    p_satellite: float = field(
        default=0.004, metadata={"help": "Share heard out of shore range (satellite)."}
    )
    holes: tuple[tuple[float, float, float, float], ...] = field(
        default=(), metadata={"help": "(lat_min, lat_max, lon_min, lon_max) with no coverage."}
    )
    satellite: bool = field(
        default=True,
        metadata={"help": "False: a regional feed; beyond every station's range nothing is heard."},
    )
    outages: tuple[tuple[float, float], ...] = field(
        default=(),
        metadata={"help": "(start, end) epoch seconds in which the whole feed hears nothing."},
    )


@dataclass(frozen=True)
class MatchParams:
    """How detected events are matched to truth rows (docs/concepts/evaluation.md)."""

    min_overlap_fraction: float = field(
        default=0.5,
        metadata={"help": "Least intersection / truth duration for a match, in (0, 1]."},
    )
    min_event_overlap_fraction: float = field(
        default=0.0,
        metadata={"help": "Least intersection / event duration, in [0, 1]; 0 turns it off."},
    )
    instant_tolerance_min: float = field(
        default=60.0,
        metadata={"help": "Instantaneous truth or event (start == end): most minutes apart."},
    )
    open_end_as: OpenEnd = field(
        default=OpenEnd.DATA_END,
        metadata={"help": "A NULL event end lasts until: data_end or truth_end."},
    )
    outage_lead_min: float = field(
        default=60.0,
        metadata={"help": "A silence beginning this many minutes before a feed outage, or in "
                          "it, is explained by it (the simulator's truth uses 60)."},
    )

    def __post_init__(self) -> None:
        if not 0 < self.min_overlap_fraction <= 1:
            raise ParamsError(
                f"min_overlap_fraction must be in (0, 1], got {self.min_overlap_fraction}"
            )
        if not 0 <= self.min_event_overlap_fraction <= 1:
            raise ParamsError(
                "min_event_overlap_fraction must be in [0, 1], "
                f"got {self.min_event_overlap_fraction}"
            )
        if not 0 <= self.instant_tolerance_min < float("inf"):
            raise ParamsError(
                f"instant_tolerance_min must be >= 0 minutes, got {self.instant_tolerance_min}"
            )
        if not 0 <= self.outage_lead_min < float("inf"):
            raise ParamsError(f"outage_lead_min must be >= 0 minutes, got {self.outage_lead_min}")
        try:
            object.__setattr__(self, "open_end_as", OpenEnd(self.open_end_as))
        except ValueError as exc:
            choices = ", ".join(OpenEnd)
            raise ParamsError(
                f"open_end_as must be one of {choices}, got {self.open_end_as!r}"
            ) from exc

