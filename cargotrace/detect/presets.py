"""Named parameter presets, and `--set detector.field=value` overrides on top of them.

A preset is one frozen, typed object holding every detector's parameters, so a detector reads
`preset.encounter` (checked by mypy) rather than a string key into a dict. The preset's name
and the detector's values are what each event records in `events.params`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cargotrace.detect.params import (
    CoverageParams,
    DarkVoyageParams,
    DraughtChangeParams,
    EncounterParams,
    GapParams,
    IdentityParams,
    LoiteringParams,
    OutlierParams,
    PortVisitParams,
    ShuttleParams,
    WindowMargins,
)
from cargotrace.errors import ParamsError

__all__ = ["GFW", "GFW_ENCOUNTER", "GFW_LOITERING", "PRESETS", "RENDEZVOUS",
           "RENDEZVOUS_ENCOUNTER", "RENDEZVOUS_LOITERING", "Preset", "preset_named", "resolve"]

GFW_ENCOUNTER = EncounterParams()
# Skylight's "rendezvous": 250 m for 30 minutes; the other values as GFW's.
RENDEZVOUS_ENCOUNTER = EncounterParams(max_distance_m=250.0, min_duration_h=0.5)
GFW_LOITERING = LoiteringParams()
# Rendezvous: shorter stops count too (the encounter preset looks for 30-minute meetings).
RENDEZVOUS_LOITERING = LoiteringParams(min_duration_h=1.0)


@dataclass(frozen=True)
class Preset:
    """Every detector's parameters under one name (the `--preset` a run records on its events).

    Field order is the order `--set` error messages list the detectors in.
    """

    name: str
    outlier: OutlierParams = OutlierParams()  # flags lone outliers before any detector runs
    coverage: CoverageParams = CoverageParams()  # feed coverage, read by every silence detector
    identity: IdentityParams = IdentityParams()
    gap: GapParams = GapParams()
    port_visit: PortVisitParams = PortVisitParams()
    dark_voyage: DarkVoyageParams = DarkVoyageParams()
    draught_change: DraughtChangeParams = DraughtChangeParams()
    encounter: EncounterParams = GFW_ENCOUNTER
    loitering: LoiteringParams = GFW_LOITERING
    shuttle: ShuttleParams = ShuttleParams()
    window: WindowMargins = WindowMargins()  # what a windowed run reads around its window

    @staticmethod
    def detectors() -> tuple[str, ...]:
        """The detector names a preset holds parameters for (`--set DETECTOR.FIELD=VALUE`)."""
        return tuple(f.name for f in dataclasses.fields(Preset) if f.name != "name")

    def params_of(self, detector: str) -> Any:
        """The parameters of `detector` (one of `detectors()`), e.g. to record on its events."""
        if detector not in self.detectors():
            raise ParamsError(f"no detector {detector!r}; detectors: {', '.join(self.detectors())}")
        return getattr(self, detector)

    def with_overrides(self, overrides: Mapping[str, str]) -> Preset:
        """This preset with `detector.field=value` texts applied, each parsed to the field's type
        and validated by its params class (a ParamsError names the bad key or value)."""
        preset = self
        for key, text in overrides.items():
            detector, _, name = key.partition(".")
            if detector not in self.detectors() or not name:
                raise ParamsError(
                    f"--set {key}={text}: expected DETECTOR.FIELD=VALUE with DETECTOR one of "
                    f"{', '.join(self.detectors())}"
                )
            params = preset.params_of(detector)
            fields = {f.name: f for f in dataclasses.fields(params)}
            if name not in fields:
                raise ParamsError(f"--set {key}: {detector} has no field {name!r} "
                                  f"(fields: {', '.join(fields)})")
            value = _parsed(key, text, getattr(params, name))
            preset = dataclasses.replace(
                preset, **{detector: dataclasses.replace(params, **{name: value})})
        return preset


def _parsed(key: str, text: str, current: Any) -> Any:
    """`text` as the type of the field's current value (a bool from 1/true/yes)."""
    if isinstance(current, bool):
        return text.lower() in ("1", "true", "yes")
    try:
        value = type(current)(text)
    except ValueError as exc:
        raise ParamsError(f"--set {key}={text}: not a {type(current).__name__}") from exc
    if isinstance(value, float) and not math.isfinite(value):  # nan, inf: no threshold means that
        raise ParamsError(f"--set {key}={text}: not a finite number")
    return value


GFW = Preset("gfw")
# Skylight-style rendezvous (250 m / 30 min): the same rules except encounters, loitering
RENDEZVOUS = Preset("rendezvous", encounter=RENDEZVOUS_ENCOUNTER, loitering=RENDEZVOUS_LOITERING)
PRESETS: dict[str, Preset] = {p.name: p for p in (GFW, RENDEZVOUS)}


def preset_named(name: str) -> Preset:
    """The named preset (ParamsError listing the names when there is none by that name)."""
    if name not in PRESETS:
        raise ParamsError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def resolve(preset: str | Preset, overrides: Mapping[str, str]) -> Preset:
    """The parameters of every detector for `preset`, with `detector.field=value` applied."""
    base = preset if isinstance(preset, Preset) else preset_named(preset)
    return base.with_overrides(overrides)
