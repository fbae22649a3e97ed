"""Detector parameters: one frozen dataclass per detector, all in this one package, units in
every name.

Why one package: a newcomer (or a reviewer challenging a finding) finds every knob of detection
here, one module per concern (silences, coverage, identity, outliers, places, meetings, the
window a windowed run reads), and
docs/reference/parameters.md is generated from these classes in the order of `__all__`. Defaults
follow Global Fishing Watch's published definitions (DESIGN.md, "Behaviour definitions"); named
presets live in `presets.py`. Every event records the preset name and the values used
(`events.params`), so a finding can be reproduced or challenged. Import from here
(`from cargotrace.detect.params import GapParams`), not from the modules: they may move.
"""

from __future__ import annotations

from cargotrace.detect.params.checks import check_positive
from cargotrace.detect.params.coverage import CoverageParams
from cargotrace.detect.params.identity import DraughtChangeParams, IdentityParams
from cargotrace.detect.params.meetings import EncounterParams, LoiteringParams
from cargotrace.detect.params.outliers import OutlierParams
from cargotrace.detect.params.places import PortVisitParams, ShuttleParams
from cargotrace.detect.params.silences import DarkVoyageParams, GapParams
from cargotrace.detect.params.window import WindowMargins

# The reference page's order (the data flow's: silences first, then what they rest on).
__all__ = [
    "GapParams",
    "CoverageParams",
    "IdentityParams",
    "OutlierParams",
    "PortVisitParams",
    "DarkVoyageParams",
    "DraughtChangeParams",
    "EncounterParams",
    "LoiteringParams",
    "ShuttleParams",
    "WindowMargins",
    "check_positive",
]
