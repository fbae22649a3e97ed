"""Named parameter presets, and `--set detector.field=value` overrides on top of them."""

from __future__ import annotations

import dataclasses
from typing import Any

from cargotrace.detect.dark_voyages import DarkVoyageParams, DraughtChangeParams
from cargotrace.detect.encounters import GFW_ENCOUNTER, RENDEZVOUS_ENCOUNTER
from cargotrace.detect.identity import IdentityParams
from cargotrace.detect.loitering import GFW_LOITERING, RENDEZVOUS_LOITERING
from cargotrace.detect.outliers import OutlierParams
from cargotrace.detect.params import GapParams
from cargotrace.detect.port_visits import PortVisitParams
from cargotrace.errors import ParamsError

# preset name -> detector name -> parameters
_COMMON: dict[str, Any] = {
    "outlier": OutlierParams(),  # flags lone outlier positions before any detector runs
    "identity": IdentityParams(),
    "gap": GapParams(),
    "port_visit": PortVisitParams(),
    "dark_voyage": DarkVoyageParams(),
    "draught_change": DraughtChangeParams(),
}
PRESETS: dict[str, dict[str, Any]] = {
    "gfw": {**_COMMON, "encounter": GFW_ENCOUNTER, "loitering": GFW_LOITERING},
    # Skylight-style rendezvous (250 m / 30 min): the same rules except encounters, loitering
    "rendezvous": {**_COMMON, "encounter": RENDEZVOUS_ENCOUNTER,
                   "loitering": RENDEZVOUS_LOITERING},
}


def resolve(preset: str, overrides: dict[str, str]) -> dict[str, Any]:
    """The parameters of every detector for `preset`, with `detector.field=value` applied."""
    if preset not in PRESETS:
        raise ParamsError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    params = dict(PRESETS[preset])
    for key, text in overrides.items():
        detector, _, name = key.partition(".")
        if detector not in params or not name:
            raise ParamsError(
                f"--set {key}={text}: expected DETECTOR.FIELD=VALUE with DETECTOR one of "
                f"{', '.join(params)}"
            )
        fields = {f.name: f for f in dataclasses.fields(params[detector])}
        if name not in fields:
            raise ParamsError(f"--set {key}: {detector} has no field {name!r} "
                              f"(fields: {', '.join(fields)})")
        current = getattr(params[detector], name)
        try:
            value: Any = type(current)(text) if not isinstance(current, bool) else (
                text.lower() in ("1", "true", "yes"))
        except ValueError as exc:
            raise ParamsError(f"--set {key}={text}: not a {type(current).__name__}") from exc
        params[detector] = dataclasses.replace(params[detector], **{name: value})
    return params
