"""Parameters of the at-sea meeting detectors: encounters (two vessels together) and loitering
(one vessel waiting, often for a partner that is dark).

GFW defines both with the same slow-and-away-from-port test, so their knobs sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargotrace.detect.params.checks import check_positive
from cargotrace.errors import ParamsError


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
    anchorage_min_vessels: int = field(
        default=20, metadata={"help": "A cell where this many distinct vessels were slow in "
                              "one time bin is an anchorage, known or not: its steps are not "
                              "paired, which bounds the candidate pairs per cell and bin "
                              "(detect/anchorages.py; GFW derives anchorages from cells "
                              "visited by 20 or more vessels). 0: pair everything."}
    )
    anchorage_cell_km: float = field(
        default=2.0, metadata={"help": "Side of the occupancy cells counted for "
                               "anchorage_min_vessels."}
    )
    anchorage_bin_h: float = field(
        default=24.0, metadata={"help": "Time bin over which a cell's slow vessels are "
                                "counted for anchorage_min_vessels."}
    )

    def __post_init__(self) -> None:
        check_positive(max_distance_m=self.max_distance_m, min_duration_h=self.min_duration_h,
                       max_speed_kn=self.max_speed_kn, resample_min=self.resample_min,
                       anchorage_cell_km=self.anchorage_cell_km,
                       anchorage_bin_h=self.anchorage_bin_h)
        if self.anchorage_min_vessels < 0 or self.anchorage_min_vessels == 1:
            raise ParamsError("anchorage_min_vessels must be 0 (off) or at least 2")
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
