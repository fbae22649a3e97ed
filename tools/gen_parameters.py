"""Generate docs/reference/parameters.md from the parameter dataclasses themselves.

Every layer keeps its parameters in one module (`LAYERS`); this prints each class's fields with
their unit, default and help, and what each detection preset changes. Run
`python tools/gen_parameters.py` after changing a parameter; tests/test_docs.py fails when the
checked-in page differs from what this prints, or when a field has no unit or no help.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import types
import typing
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from cargotrace.detect.presets import PRESETS, Preset

TARGET = Path(__file__).resolve().parents[1] / "docs" / "reference" / "parameters.md"

# (title, module): the data flow's order, as DESIGN.md tells it
LAYERS = (
    ("Ingest", "cargotrace.ingest.params"),
    ("Detect", "cargotrace.detect.params"),
    ("Screen", "cargotrace.screen.params"),
    ("Routes", "cargotrace.routes.params"),
    ("Cases", "cargotrace.cases.params"),
    ("Campaigns", "cargotrace.cases.campaign.params"),
    ("Publish", "cargotrace.publish.params"),
    ("Simulator", "cargotrace.sim.params"),
    ("Demo", "cargotrace.demo"),
)

# A field's unit is in its name (STYLE.md: "every quantity carries its unit"), longest first.
SUFFIX_UNITS = (
    ("_fraction", "fraction (0-1)"),
    ("_frac", "fraction (0-1)"),
    ("_quantile", "quantile (0-1)"),
    ("_similarity", "similarity (0-1)"),
    ("_score", "score (0-1)"),
    ("_factor", "multiplier"),
    ("_margin", "multiplier"),
    ("_kmh", "km/h"),
    ("_min", "minutes"),
    ("_deg", "degrees"),
    ("_km", "km"),
    ("_nm", "nautical miles"),
    ("_kn", "knots"),
    ("_px", "pixels"),
    ("_h", "hours"),
    ("_s", "seconds"),
    ("_d", "days"),
    ("_m", "metres"),
    ("_p", "probability (0-1)"),
)
PREFIX_UNITS = (("p_", "probability (0-1)"),)


def parameter_classes(module_name: str) -> list[type]:
    """The frozen dataclasses `module_name` defines whose fields carry help, in source order.

    A params package (detect/params/: one module per concern) lists its classes in its
    `__all__`, in the page's order; its modules' classes count as the package's own.
    """
    module = importlib.import_module(module_name)
    is_package = hasattr(module, "__path__")
    candidates = ([getattr(module, name) for name in module.__all__] if is_package
                  else list(vars(module).values()))
    return [
        obj for obj in candidates
        if isinstance(obj, type) and dataclasses.is_dataclass(obj)
        and (obj.__module__ == module_name
             or (is_package and obj.__module__.startswith(module_name + ".")))
        and obj.__dataclass_params__.frozen  # type: ignore[attr-defined]
        and any("help" in f.metadata for f in dataclasses.fields(obj))
    ]


def default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise ValueError(f"{f.name} has no default")


TYPE_UNITS: dict[Any, str] = {bool: "true/false", int: "number", str: "text",
                              datetime: "UTC time"}


def _unit_from_name(name: str) -> str | None:
    """The unit a name's suffix (`_km`) or prefix (`min_`...) says, if any."""
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    for prefix, unit in PREFIX_UNITS:
        if name.startswith(prefix):
            return unit
    return None


def unit_of(f: dataclasses.Field[Any], kind: Any) -> str:
    """The field's unit: from `metadata["unit"]`, its name's suffix or prefix, else its type."""
    if "unit" in f.metadata:
        return str(f.metadata["unit"])
    by_name = _unit_from_name(f.name)
    if by_name is not None:
        return by_name
    if kind in TYPE_UNITS:
        return TYPE_UNITS[kind]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in kind)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return f"see `{kind.__name__}`"
    if typing.get_origin(kind) is tuple:
        return "list"
    if isinstance(kind, types.UnionType):
        (inner,) = [k for k in typing.get_args(kind) if k is not type(None)]
        return unit_of(f, str if inner is Path else inner) + " (optional)"
    raise ValueError(f"no unit for {f.name} ({kind}): add a unit suffix or metadata['unit']")


def shown(value: Any) -> str:
    """A default as the docs print it (and as `--set` would take it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}()"
    if value in ("", ()):
        return "empty"
    return str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def class_table(cls: type) -> list[str]:
    hints = typing.get_type_hints(cls)
    lines = [f"### `{cls.__name__}`", "", _cell(cls.__doc__ or ""), "",
             "| field | unit | default | meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        help_text = f.metadata.get("help", "")
        if not help_text:
            raise ValueError(f"{cls.__name__}.{f.name} has no help")
        lines.append(f"| `{f.name}` | {unit_of(f, hints[f.name])} | `{shown(default_of(f))}` | "
                     f"{_cell(help_text)} |")
    return [*lines, ""]


def preset_lines() -> list[str]:
    """What each named preset changes from the detectors' defaults (`--preset NAME`)."""
    lines = ["## Detection presets", "",
             "`cargotrace detect --preset NAME` starts from one of these; `--set "
             "DETECTOR.FIELD=VALUE` changes one value on top (e.g. `--set gap.min_gap_h=4`). "
             "Every event records the preset's name and its detector's values in `events.params`.",
             "", "| preset | detector | field | value |", "|---|---|---|---|"]
    defaults = Preset("defaults")
    for preset in PRESETS.values():
        changed = [
            (detector, f.name, getattr(preset.params_of(detector), f.name))
            for detector in Preset.detectors()
            for f in dataclasses.fields(preset.params_of(detector))
            if getattr(preset.params_of(detector), f.name)
            != getattr(defaults.params_of(detector), f.name)
        ]
        if not changed:
            lines.append(f"| `{preset.name}` | every detector | every field | "
                         "the defaults below |")
        lines += [f"| `{preset.name}` | `{d}` | `{name}` | `{shown(v)}` |"
                  for d, name, v in changed]
    detectors = ", ".join(f"`{d}`" for d in Preset.detectors())
    return [*lines, "", f"Detectors (the `DETECTOR` of `--set`): {detectors}.", ""]


def render() -> str:
    lines = [
        "# Parameter reference",
        "",
        "Generated by `tools/gen_parameters.py` from the parameter dataclasses themselves: every "
        "field of every layer's parameters, with its unit and default. Each layer keeps them in "
        "one module (named under each heading).",
        "",
        *preset_lines(),
    ]
    for title, module in LAYERS:
        lines += [f"## {title}", "", f"Module: `{module}`.", ""]
        for cls in parameter_classes(module):
            lines += class_table(cls)
    return "\n".join(lines)


if __name__ == "__main__":
    TARGET.write_text(render())
    sys.stdout.write(f"wrote {TARGET}\n")
