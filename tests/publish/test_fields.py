"""The declared export fields: every property the exporters write is declared, the docs table is
generated from the declarations, and values are brought to their declared type."""

from __future__ import annotations

import importlib.util
import math
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import cargotrace
from cargotrace.errors import ParamsError
from cargotrace.publish.export import ExportFormat, events_export, vessel_export
from cargotrace.publish.features import FeatureSet
from cargotrace.publish.fields import FIELDS, typed_value

from .factories import ANGARA_IMO

ROOT = Path(__file__).resolve().parents[2]


def test_every_exported_property_is_declared(store: cargotrace.Store,
                                             angara_map: FeatureSet) -> None:
    """Events of every kind the simulated store holds, tracks, places, route legs, positions:
    a property missing from FIELDS would fall back to text, silently."""
    positions, _ = vessel_export(store, ANGARA_IMO, ExportFormat.CSV)
    features = [*events_export(store).features, *angara_map.features, *positions.features]
    keys = {k for f in features for k in f.properties}
    assert len({f.layer for f in features}) == 5
    assert keys - set(FIELDS) == set()
    stored = {r[0] for r in store.con.execute(
        "SELECT DISTINCT unnest(json_keys(attrs)) FROM events").fetchall()}
    assert stored <= keys  # every attrs key of the store reached a feature


def test_docs_table_is_generated_from_the_declarations() -> None:
    spec = importlib.util.spec_from_file_location("gen_export_fields",
                                                  ROOT / "tools/gen_export_fields.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = (ROOT / "docs/reference/exports.md").read_text(encoding="utf-8")
    assert module.render(page) == page, (
        "docs/reference/exports.md is stale: run `python tools/gen_export_fields.py`")
    for name in FIELDS:
        assert f"| `{name}` |" in page


@pytest.mark.parametrize(("name", "value", "expected"), [
    # times kept as text in attrs, with any offset, and naive times (the store's UTC)
    ("last_position_ts", "2023-09-02T07:50:39.420970+00:00",
     datetime(2023, 9, 2, 7, 50, 39, 420970, tzinfo=UTC)),
    ("report_after_ts", "2023-09-02T10:50:39+03:00", datetime(2023, 9, 2, 7, 50, 39, tzinfo=UTC)),
    ("start", datetime(2023, 9, 2, 7, 50), datetime(2023, 9, 2, 7, 50, tzinfo=UTC)),
    ("end", datetime(2023, 9, 2, 9, 50, tzinfo=timezone(timedelta(hours=2))),
     datetime(2023, 9, 2, 7, 50, tzinfo=UTC)),
    ("listed_on", "2022-04-15", date(2022, 4, 15)),
    ("other_mmsi", 273950540.0, 273950540),
    ("value_after", 9179842, "9179842"),  # an IMO change's value, text like a name change's
    ("open", "false", False),
    ("programs", ["RUSSIA-EO14024", "UKRAINE-EO13662"], '["RUSSIA-EO14024", "UKRAINE-EO13662"]'),
    ("confidence", math.nan, None),
    ("other_mmsi", math.nan, None),
    ("my_own_note", 12, "12"),  # undeclared: text
])
def test_values_take_their_declared_type(name: str, value: Any, expected: Any) -> None:
    got = typed_value(name, value)
    assert got == expected and type(got) is type(expected)


def test_a_value_of_another_type_is_an_error_not_a_silent_change() -> None:
    with pytest.raises(ParamsError, match="^property mmsi: 'ANGARA' is not of type int64$"):
        typed_value("mmsi", "ANGARA")
    with pytest.raises(ParamsError, match="^property start: .yesterday. is not of type timestamp"):
        typed_value("start", "yesterday")


def test_numpy_values_from_a_callers_frame() -> None:
    import numpy as np

    assert typed_value("mmsi", np.int64(273950540)) == 273950540
    assert typed_value("duration_h", np.float32(1.5)) == 1.5
    assert typed_value("other_mmsi", np.float64("nan")) is None
