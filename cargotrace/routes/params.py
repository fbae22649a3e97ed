"""Route model parameters: one frozen dataclass, every figure with its unit and its reason.

Speeds are given as a typical value (-> the P50 of moving time) and a slow-but-normal value
(-> the P90); dwells as P50 and P90 hours. Each is a lognormal (see `timing.py`). The figures and
their sources are in docs/concepts/routes.md; change them here or per call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from cargotrace.errors import ParamsError

__all__ = ["MODES", "RoadParams", "RouteParams"]

MODES = ("sea", "rail", "ferry", "road")


def _f(default: float, help: str) -> float:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class RoadParams:
    """The offline road model: great-circle distance x a circuity factor, trucks under the
    AETR driving-time rules, and a delay per border crossed (routes/road.py; sources in
    docs/concepts/routes.md, "Road")."""

    circuity_p50: float = field(default=1.26, metadata={
        "unit": "ratio", "help": "Road distance / great-circle distance, typical (P50 of the "
        "distance): South Korea's national circuity factor, Kim, Shin, Lee and Suh (2015), J. "
        "Korean Soc. Agricultural Engineers 57(4) 39-49"})
    circuity_p90: float = field(default=1.435, metadata={
        "unit": "ratio", "help": "Road distance / great-circle distance, circuitous (P90): the "
        "most circuitous Korean province, Gangwon, in the same study (mountain roads)"})
    speed_typical_kmh: float = _f(42.0, "Truck speed while driving, typical: CAREC corridor "
                                  "'speed without delay' 2022 (ADB CPMM report, 42.0 km/h)")
    speed_slow_kmh: float = _f(30.0, "Truck speed while driving, slow but normal (P90 of the "
                               "driving time; an assumption between CAREC's speed with delays, "
                               "23.4 km/h, and without, 42.0)")
    driving_per_day_h: float = _f(9.0, "Most driving hours a day (AETR and EU Regulation "
                                  "561/2006: 9 h, 10 h twice a week)")
    break_h: float = _f(0.75, "Break after each 4.5 h of driving not ended by a daily rest "
                        "(AETR art. 7: 45 min)")
    daily_rest_h: float = _f(11.0, "Daily rest between two driving days (AETR/EU 561/2006: "
                             "11 h, reducible to 9)")
    border_p50_h: float = _f(9.9, "Time to cross a border by road, typical: CAREC average "
                             "border-crossing time for road transport, 2022 (ADB CPMM, 9.9 h)")
    border_p90_h: float = _f(40.0, "Time to cross a border by road, slow: the slowest CAREC "
                             "corridor's 2020 average (Corridor 5, 40.2 h)")
    max_km: float = _f(3000.0, "Longest great-circle distance a road leg is planned for (km); "
                       "farther, trucks are not a hypothesis the model offers")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not value > 0:
                raise ParamsError(f"road.{f.name} must be positive, got {value}")
        if not 1 <= self.circuity_p50 <= self.circuity_p90:
            raise ParamsError("road: need 1 <= circuity_p50 <= circuity_p90")
        if self.speed_slow_kmh > self.speed_typical_kmh:
            raise ParamsError("road.speed_slow_kmh must not exceed speed_typical_kmh")
        if self.border_p90_h < self.border_p50_h:
            raise ParamsError("road: a P90 must not be below its P50")
        if self.driving_per_day_h > 24 - self.daily_rest_h:
            raise ParamsError("road: driving_per_day_h + daily_rest_h must fit in 24 h")


@dataclass(frozen=True)
class RouteParams:
    """Speed, dwell and network-joining figures for the multimodal route model."""

    sea_speed_typical_kn: float = _f(12.0, "Typical sailing speed of a small container/general "
                                     "cargo ship (P50 of sailing time)")
    sea_speed_slow_kn: float = _f(9.0, "Slow but normal sailing speed (P90 of sailing time)")
    rail_speed_typical_kmh: float = _f(30.0, "Typical freight train route speed including stops "
                                       "(720 km/day; P50 of rail time)")
    rail_speed_slow_kmh: float = _f(20.0, "Slow route speed, 480 km/day (P90 of rail time)")
    ferry_speed_typical_kn: float = _f(10.0, "Typical Caspian ro-ro / cargo ship speed")
    ferry_speed_slow_kn: float = _f(7.0, "Slow Caspian crossing speed (P90)")
    road_speed_typical_kmh: float = _f(30.0, "Typical speed of a short road/unmapped-siding "
                                       "connector, convoy or shunting included")
    road_speed_slow_kmh: float = _f(15.0, "Slow connector speed (P90)")
    road_detour_factor: float = _f(1.3, "Connector length / straight-line distance")
    sea_load_p50_h: float = _f(24.0, "Loading a ship at the route's first port, P50 hours")
    sea_load_p90_h: float = _f(72.0, "Loading a ship at the first port, P90 hours")
    transfer_p50_h: float = _f(36.0, "Trans-shipment ship<->train at a port (discharge, "
                               "stacking, train formation), P50 hours")
    transfer_p90_h: float = _f(96.0, "Trans-shipment ship<->train, P90 hours")
    rail_start_p50_h: float = _f(12.0, "Loading and forming a train at an inland start, P50 h")
    rail_start_p90_h: float = _f(36.0, "Loading and forming a train at an inland start, P90 h")
    road_handling_p50_h: float = _f(4.0, "Loading trucks / a shunting move at a connector end, "
                                    "P50 hours")
    road_handling_p90_h: float = _f(12.0, "Connector end handling, P90 hours")
    ferry_wait_p50_h: float = _f(48.0, "Waiting for a Caspian sailing and loading, P50 hours")
    ferry_wait_p90_h: float = _f(120.0, "Waiting for a Caspian sailing and loading, P90 hours")
    rail_snap_km: float = _f(5.0, "A place this close to a rail node is on the rail network")
    connector_max_km: float = _f(100.0, "Farthest rail node an off-network place is joined to "
                                 "by an explicit connector leg (straight-line km)")
    crossing_match_km: float = _f(15.0, "Farthest a curated crossing may lie from the border "
                                  "edge of the rail graph it stands for")
    territorial_sea_nm: float = _f(12.0, "Breadth of the territorial sea (UNCLOS art. 3); "
                                   "beyond it a ship is in international waters")
    max_candidates: int = field(default=150, metadata={
        "help": "Paths examined for the k best distinct routes (Yen's algorithm)"})
    road: RoadParams = field(default_factory=RoadParams, metadata={
        "unit": "RoadParams", "help": "The road model: trucks between any two places (mode "
        "road; RoadParams)"})

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "road" and not value > 0:
                raise ParamsError(f"{f.name} must be positive, got {value}")
        for typical, slow in (("sea_speed_typical_kn", "sea_speed_slow_kn"),
                              ("rail_speed_typical_kmh", "rail_speed_slow_kmh"),
                              ("ferry_speed_typical_kn", "ferry_speed_slow_kn"),
                              ("road_speed_typical_kmh", "road_speed_slow_kmh")):
            if getattr(self, slow) > getattr(self, typical):
                raise ParamsError(f"{slow} must not exceed {typical}")
        for name in ("sea_load", "transfer", "rail_start", "road_handling", "ferry_wait"):
            if getattr(self, f"{name}_p90_h") < getattr(self, f"{name}_p50_h"):
                raise ParamsError(f"{name}_p90_h must not be below {name}_p50_h")
        if self.road_detour_factor < 1:
            raise ParamsError("road_detour_factor must be at least 1")
