"""The one declared schema of exported feature properties: name, type, unit, description.

Why declared rather than inferred: a type guessed from the values depends on which rows happen
to be exported. A store with only gaps has `other_mmsi` null in every row, and an inferred
column came out as text there but as int64 next to encounters; times that events keep as ISO
text in `attrs` (`last_position_ts`) came out as text. Analysts join exports from different runs,
so every field has one type in every export and every format: GeoParquet's Arrow schema, KML's
typed `<Schema>`, the JSON types of GeoJSON and the table in docs/reference/exports.md all
derive from `FIELDS`. A property no entry declares (a caller's own) is text.

Types: `int64`, `double`, `bool`, `string`, `timestamp` (UTC, microseconds), `date` (a calendar
day, e.g. a listing date) and `json` (a list or object, written as JSON text). Formats without
a time type (GeoJSON, KML, CSV) write times and days as ISO 8601 text.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from cargotrace.errors import ParamsError
from cargotrace.publish.field_table import FIELDS, FieldSpec

__all__ = ["FIELDS", "FieldSpec", "arrow_field", "arrow_type", "fields_markdown", "json_value",
           "kml_type", "ogr_schema", "spec_of", "typed_value"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_(), "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(), "json": pa.string(),
}
# GDAL field types (OGR_SCHEMA open option, GDAL >= 3.11): typed reading of GeoJSON and CSV
OGR_TYPES = {"int64": ("Integer64", None), "double": ("Real", None),
             "bool": ("Integer", "Boolean"), "timestamp": ("DateTime", None),
             "date": ("Date", None)}
# the Python type a value of each declared type already has when nothing needs converting
FAST_PATH: dict[str, type] = {"int64": int, "double": float, "bool": bool, "string": str}
# KML SimpleField types; KML has no time type. "int" is 32-bit: MMSIs, IMO numbers and counts fit.
KML_TYPES = {"int64": "int", "double": "double", "bool": "bool"}


def spec_of(name: str) -> FieldSpec:
    """The declared field, or text for a property no entry declares."""
    return FIELDS.get(name) or FieldSpec(name, "string", "", "", "")


def arrow_type(name: str) -> pa.DataType:
    return ARROW_TYPES[spec_of(name).type]


def kml_type(name: str) -> str:
    return KML_TYPES.get(spec_of(name).type, "string")


def _bad(name: str, type_: str, value: object) -> ParamsError:
    return ParamsError(f"property {name}: {str(value)[:80]!r} is not of type {type_}")


def _as_int(name: str, value: object) -> int:
    if isinstance(value, numbers.Integral):  # also bool and numpy integers
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(float(value))
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _bad(name, "int64", value)


def _as_time(name: str, value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(name, "timestamp", value) from None
    if isinstance(value, datetime):
        # a naive time is UTC: the store and every detector work in UTC
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise _bad(name, "timestamp", value)


def _as_date(name: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise _bad(name, "date", value)


def _as_text(value: object, as_json: bool) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | dict) or as_json:
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def typed_value(name: str, value: object) -> Any:
    """`value` as the declared type of `name`: int, float, bool, str, UTC datetime or date;
    None for missing values and for NaN/inf. Raises ParamsError for a value that cannot be that
    type (rather than writing something else under its name)."""
    if value is None:
        return None
    field = FIELDS.get(name)
    kind = field.type if field is not None else "string"
    if type(value) is FAST_PATH.get(kind) and not (isinstance(value, float)
                                                   and not math.isfinite(value)):
        return value  # already the declared type: most values, on every row of an export
    if (kind in ("int64", "double") and isinstance(value, numbers.Real)
            and not math.isfinite(float(value))):
        return None  # NaN is how pandas and numpy say "missing"
    if kind == "int64":
        return _as_int(name, value)
    if kind == "double":
        return _as_double(name, value)
    if kind == "bool":
        return _as_bool(name, value)
    if kind == "timestamp":
        return _as_time(name, value)
    if kind == "date":
        return _as_date(name, value)
    return _as_text(value, kind == "json")


def _as_double(name: str, value: object) -> float | None:
    """A number or its text as a float; None for NaN/inf (GeoJSON has no NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | str):
        raise _bad(name, "double", value)
    try:
        number = float(value)
    except ValueError:
        raise _bad(name, "double", value) from None
    return number if math.isfinite(number) else None


def _as_bool(name: str, value: object) -> bool:
    """A bool, or the text "true"/"false" in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _bad(name, "bool", value)


def json_value(name: str, value: object) -> str | int | float | bool | None:
    """`typed_value` for formats without time types (GeoJSON, KML, CSV): times and days as
    ISO 8601 text, the rest as JSON scalars."""
    typed = typed_value(name, value)
    return typed.isoformat() if isinstance(typed, date) else typed  # datetime is a date


def arrow_field(name: str) -> pa.Field:
    """The Arrow field, with the declared unit and description as field metadata."""
    spec = spec_of(name)
    meta = {k: v for k, v in (("unit", spec.unit), ("description", spec.description)) if v}
    return pa.field(name, ARROW_TYPES[spec.type], metadata=meta or None)


def ogr_schema(layer: str, names: Iterable[str]) -> dict[str, Any]:
    """GDAL's OGR_SCHEMA document declaring these properties' types for one layer.

    Why: GeoJSON and CSV carry no field types, so GDAL (QGIS, pyogrio, ogr2ogr) guesses them
    from the values, and a property null in every row becomes text. Passing this as the
    `OGR_SCHEMA` open option (GDAL 3.11 and later; `json.dumps` it) gives the declared types:
    `pyogrio.read_dataframe(path, OGR_SCHEMA=json.dumps(schema))`, or
    `ogr2ogr -oo OGR_SCHEMA=schema.json out.gpkg events.geojson`. The layer is GDAL's name for
    it (a GeoJSON file's stem)."""
    fields = []
    for name in dict.fromkeys(names):
        type_, subtype = OGR_TYPES.get(spec_of(name).type, ("String", None))
        fields.append({"name": name, "type": type_, **({"subType": subtype} if subtype else {})})
    return {"layers": [{"name": layer, "schemaType": "Patch", "fields": fields}]}


def fields_markdown() -> str:
    """The field table of docs/reference/exports.md (between its `fields` markers)."""
    lines = ["| field | type | unit | where | meaning |", "| --- | --- | --- | --- | --- |"]
    for f in FIELDS.values():
        lines.append(f"| `{f.name}` | {f.type} | {f.unit} | {f.layers} | {f.description} |")
    return "\n".join(lines) + "\n"
