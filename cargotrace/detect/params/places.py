"""Parameters of the detectors that reason about places: port visits and the shuttles built on
them.

A shuttle is a pattern of calls, so a reviewer tuning what counts as a call finds both here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.params.checks import check_positive
from cargotrace.errors import ParamsError


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
class ShuttleParams:
    """Shuttles: a vessel (or a group of vessels) calling again and again at the same two places.

    Calls are port visits (seen), possible dark port calls (inferred) and, when loaded, imagery
    sightings (seen). A dark call counts at one place only: of its candidates, one where the
    vessel was seen calling (else the detector's best), so no trips are invented to a port the
    ship never sailed to; a run with an end resting only on such ambiguous calls is not
    reported. Defaults follow what analysts called the 2023 Rajin-Dunay pipeline: two
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
                          "lower the shuttle's confidence). Each counts at one of its "
                          "candidate places: one where the vessel was seen calling, not the "
                          "place of its previous call, else the best ranked; "
                          "a run whose one end rests only on calls that had several candidates "
                          "is not reported."},
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
