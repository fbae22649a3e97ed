"""Column profiles of the decoded AIS tables we read, and how a file's header maps onto our fields.

A decoded table (CSV or Parquet) names its columns as its producer pleased. A *profile* says, for
one known producer, which column feeds which of our fields and how its values are written
(timestamps, coded labels, dimensions split over several columns). Anything else goes through a
tolerant synonym table, and `--column FIELD=COLUMN` overrides either. Reference:
docs/reference/formats-tables.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.ingest.nmea_decode import POSITION_TYPES, REPORT_TYPES
from cargotrace.ingest.params import InputFormat
from cargotrace.store.schema import POSITIONS, VESSEL_REPORTS


class Kind(StrEnum):
    """How a field's text is parsed (see `convert_sql`)."""

    MMSI = "mmsi"  # digits only
    TIME = "time"  # by the profile's time expression
    FLOAT = "float"
    INT = "int"  # a number that must be integral (95 or 95.0)
    CODE = "code"  # an integer code, or a label from the profile's label table
    IMO = "imo"  # "IMO1234567" or "1234567"
    TEXT = "text"


# Our fields (the staged columns of records.py) and how each is parsed.
FIELD_KINDS: dict[str, Kind] = {
    "mmsi": Kind.MMSI,
    "ts": Kind.TIME,
    "lat": Kind.FLOAT,
    "lon": Kind.FLOAT,
    "sog": Kind.FLOAT,
    "cog": Kind.FLOAT,
    "heading": Kind.INT,
    "nav_status": Kind.CODE,
    "msg_type": Kind.INT,
    "name": Kind.TEXT,
    "imo": Kind.IMO,
    "callsign": Kind.TEXT,
    "ship_type": Kind.CODE,
    "length": Kind.FLOAT,
    "beam": Kind.FLOAT,
    "draught": Kind.FLOAT,
    "destination": Kind.TEXT,
    "eta": Kind.TEXT,
    "station": Kind.TEXT,  # the receiver (as NMEA tag blocks' s:): per-receiver coverage
}
# Whole-number fields are cast to their stored type (store/schema.py), so an out-of-range value
# is caught while reading instead of failing the insert.
INT_SQL_TYPES = {
    name: (POSITIONS.column(name) if name in POSITIONS.names else VESSEL_REPORTS.column(name)).sql
    for name, kind in FIELD_KINDS.items() if kind in (Kind.INT, Kind.CODE)
}
REQUIRED = ("mmsi", "ts", "lat", "lon")
STORED_MSG_TYPES = sorted(POSITION_TYPES | REPORT_TYPES)  # the types the NMEA reader stores
STATIC_FIELDS = ("name", "imo", "callsign", "ship_type", "length", "beam", "draught",
                 "destination", "eta")

# Header names are compared after `normalize()`: lower case, runs of other characters -> "_".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi",),
    "ts": ("ts", "time", "timestamp", "basedatetime", "base_date_time", "datetime", "date_time"),
    "lat": ("lat", "latitude", "latitude_degrees"),
    "lon": ("lon", "lng", "long", "longitude", "longitude_degrees"),
    "sog": ("sog", "speed", "sog_knots"),
    "cog": ("cog", "course", "cog_degrees"),
    "heading": ("heading", "true_heading"),
    "nav_status": ("nav_status", "status", "navigational_status"),
    "name": ("name", "vesselname", "vessel_name", "shipname", "ship_name"),
    "imo": ("imo",),
    "callsign": ("callsign", "call_sign"),
    "ship_type": ("ship_type", "vesseltype", "vessel_type", "shiptype"),
    "length": ("length",),
    "beam": ("beam", "width"),
    "draught": ("draught", "draft"),
    "destination": ("destination",),
    "eta": ("eta",),
    "msg_type": ("msg_type", "message_id"),
    "station": ("station", "receiver", "receiver_id"),
}
# Words that suggest a column for a missing required field, for the error message.
HINTS = {"mmsi": ("mmsi",), "ts": ("time", "date"), "lat": ("lat",), "lon": ("lon", "lng")}

# Time recipes give a naive TIMESTAMP in UTC (cheaper than TIMESTAMPTZ, whose casts go through
# ICU); the reader labels it UTC. A time without an offset is UTC; one with an offset or zone
# name ("Z", "+02:00", "Europe/Oslo") is converted to UTC.
_ISO_FORMATS = "['%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f', " \
    "'%Y-%m-%d %H:%M:%S.%f']"
ISO_TIME_SQL = (
    f"coalesce(try_strptime({{0}}, {_ISO_FORMATS}),"
    " timezone('UTC', TRY_CAST({0} AS TIMESTAMPTZ)))"
)
# Also Unix epoch seconds (9-10 digits) or milliseconds (12-13), and AISdb's 20210701_185151.
GENERIC_TIME_SQL = (
    f"coalesce(try_strptime({{0}}, {_ISO_FORMATS}),"
    " CASE WHEN regexp_full_match({0}, '[0-9]{{9,10}}([.][0-9]+)?')"
    " THEN timezone('UTC', to_timestamp(CAST({0} AS DOUBLE)))"
    " WHEN regexp_full_match({0}, '[0-9]{{12,13}}')"
    " THEN timezone('UTC', to_timestamp(CAST({0} AS DOUBLE) / 1000)) END,"
    " try_strptime({0}, '%Y%m%d_%H%M%S'), timezone('UTC', TRY_CAST({0} AS TIMESTAMPTZ)))"
)

# AIS navigational status (ITU-R M.1371 table 45) as DMA writes it; keys are `label_key()`s.
NAV_STATUS_LABELS = {
    "underwayusingengine": 0, "atanchor": 1, "notundercommand": 2,
    "restrictedmaneuverability": 3, "restrictedmanoeuverability": 3,
    "restrictedmanoeuvrability": 3, "constrainedbyherdraught": 4, "moored": 5, "aground": 6,
    "engagedinfishing": 7, "underwaysailing": 8, "reservedforfutureamendmenthsc": 9,
    "reservedforfutureamendmentwig": 10, "powerdrivenvesseltowingastern": 11,
    "powerdrivenvesselpushingaheadortowingalongside": 12, "reservedforfutureuse": 13,
    "aissart": 14, "unknownvalue": 15, "unknown": 15, "undefined": 15,
}
# DMA writes the AIS ship type (table 53) as its category. A category spanning ten codes maps to
# its "x0" code, which AIS defines as "all ships of this type, no additional information".
SHIP_TYPE_LABELS = {
    "wig": 20, "fishing": 30, "towing": 31, "towinglongwide": 32, "dredging": 33, "diving": 34,
    "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "pilot": 50, "sar": 51, "tug": 52,
    "porttender": 53, "antipollution": 54, "lawenforcement": 55, "medical": 58,
    "notpartytoconflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
}


def normalize(column: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", column.strip().lower()).strip("_")


def label_key(label: str) -> str:
    return re.sub(r"[^a-z]", "", label.lower())


@dataclass(frozen=True)
class Profile:
    """Where one producer's table keeps our fields and how it writes them."""

    name: str
    label: str  # for messages and docs
    columns: Mapping[str, tuple[str, ...]]  # our field -> source columns, as the producer spells
    combine: Mapping[str, str] = field(default_factory=dict)  # SQL over parsed inputs {0}, {1}
    time_sql: str = ISO_TIME_SQL  # SQL over the raw texts of the ts columns
    # Rows counted as skipped, not stored: (condition, skipped-count key), both SQL over the
    # raw texts of our fields, written {field}.
    skip: tuple[tuple[str, str], ...] = ()
    labels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # CODE label tables

    def matches(self, names: set[str]) -> bool:
        return all(normalize(c) in names for f in REQUIRED for c in self.columns[f])


MARINECADASTRE = Profile(
    name="marinecadastre",
    label="MarineCadastre",
    columns={
        "mmsi": ("MMSI",), "ts": ("BaseDateTime",), "lat": ("LAT",), "lon": ("LON",),
        "sog": ("SOG",), "cog": ("COG",), "heading": ("Heading",), "nav_status": ("Status",),
        "name": ("VesselName",), "imo": ("IMO",), "callsign": ("CallSign",),
        "ship_type": ("VesselType",), "length": ("Length",), "beam": ("Width",),
        "draught": ("Draft",),
    },
)

DMA = Profile(
    name="dma",
    label="DMA",
    columns={
        "ts": ("# Timestamp",), "mobile": ("Type of mobile",), "mmsi": ("MMSI",),
        "lat": ("Latitude",), "lon": ("Longitude",), "nav_status": ("Navigational status",),
        "sog": ("SOG",), "cog": ("COG",), "heading": ("Heading",), "imo": ("IMO",),
        "callsign": ("Callsign",), "name": ("Name",), "ship_type": ("Ship type",),
        "beam": ("Width",), "length": ("Length",), "draught": ("Draught",),
        "destination": ("Destination",), "eta": ("ETA",),
    },
    combine={"eta": "coalesce(strftime(try_strptime({0}, '%d/%m/%Y %H:%M:%S'),"
                    " '%Y-%m-%dT%H:%M:%S'), {0})"},
    time_sql="coalesce(try_strptime({0}, '%d/%m/%Y %H:%M:%S'), " + ISO_TIME_SQL + ")",
    skip=(("lower(trim({mobile})) IN ('base station', 'aton')", "'non_vessel_rows'"),),
    labels={"nav_status": NAV_STATUS_LABELS, "ship_type": SHIP_TYPE_LABELS},
)

# AISdb's message-level export (139 columns, one per field of any message type; see
# ../shared/data/ais_positions/PROVENANCE.md). Read under --format generic.
AISDB = Profile(
    name="aisdb",
    label="AISdb message export",
    columns={
        "mmsi": ("MMSI",), "msg_type": ("Message_ID",), "ts": ("Time", "Millisecond"),
        "lat": ("Latitude",), "lon": ("Longitude",), "sog": ("SOG",), "cog": ("COG",),
        "heading": ("Heading",), "nav_status": ("Navigational_status",),
        "name": ("Vessel_Name",), "callsign": ("Call_sign",), "imo": ("IMO",),
        "ship_type": ("Ship_Type",), "length": ("Dimension_to_Bow", "Dimension_to_stern"),
        "beam": ("Dimension_to_port", "Dimension_to_starboard"), "draught": ("Draught",),
        "destination": ("Destination",),
        "eta": ("ETA_month", "ETA_day", "ETA_hour", "ETA_minute"),
    },
    combine={
        "length": "{0} + {1}",
        "beam": "{0} + {1}",
        "draught": "{0} / 10",  # the raw AIS value, in 1/10 m
        # AIS ETA has no year; month 0 or day 0 means "not available".
        "eta": "CASE WHEN TRY_CAST({0} AS INT) BETWEEN 1 AND 12"
               " AND TRY_CAST({1} AS INT) BETWEEN 1 AND 31"
               " THEN printf('%02d-%02d %02d:%02d', CAST({0} AS INT), CAST({1} AS INT),"
               " coalesce(TRY_CAST({2} AS INT), 24), coalesce(TRY_CAST({3} AS INT), 60)) END",
    },
    # Millisecond is added as written: the sample has values of 1000 and more.
    time_sql="CASE WHEN ct_val({1}) IS NULL OR TRY_CAST({1} AS INT) >= 0"
             " THEN try_strptime({0}, '%Y%m%d_%H%M%S')"
             " + coalesce(TRY_CAST({1} AS INT), 0) * INTERVAL 1 millisecond END",
    # Message types the NMEA reader does not store either (base stations, aids to navigation,
    # binary and safety messages, SAR aircraft...), counted under the same msg_type_N keys.
    skip=((f"trim({{msg_type}}) NOT IN ({', '.join(repr(str(t)) for t in STORED_MSG_TYPES)})",
           "'msg_type_' || trim({msg_type})"),),
)

GENERIC = Profile(name="generic", label="generic", columns={}, time_sql=GENERIC_TIME_SQL,
                  labels={"nav_status": NAV_STATUS_LABELS, "ship_type": SHIP_TYPE_LABELS})

PROFILES = {InputFormat.MARINECADASTRE: MARINECADASTRE, InputFormat.DMA: DMA}


@dataclass(frozen=True)
class Layout:
    """A profile bound to one file's header: each field's source column positions."""

    profile: Profile
    header: tuple[str, ...]
    sources: dict[str, tuple[int, ...]]


def detect_profile(header: Sequence[str], fmt: InputFormat = InputFormat.AUTO) -> Profile:
    """The profile a header shows; GENERIC when it is no known producer's.

    Under an explicit --format generic only the profiles read as generic are considered.
    """
    names = {normalize(c) for c in header}
    candidates = (AISDB,) if fmt is InputFormat.GENERIC else (MARINECADASTRE, DMA, AISDB)
    for profile in candidates:
        if profile.matches(names) and (profile is not DMA or "type_of_mobile" in names):
            return profile
    return GENERIC


def profile_format(profile: Profile) -> InputFormat:
    return {"marinecadastre": InputFormat.MARINECADASTRE, "dma": InputFormat.DMA}.get(
        profile.name, InputFormat.GENERIC
    )


def resolve_layout(
    path: object, header: Sequence[str], fmt: InputFormat, overrides: Mapping[str, str]
) -> Layout:
    """Bind the format's profile (or the synonyms) and the user's --column pairs to a header.

    Raises UnreadableInputError, in one line, when a required field has no column.
    """
    header = tuple(header)
    profile = PROFILES.get(fmt) or detect_profile(header, fmt)
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        position.setdefault(normalize(name), i)
    sources: dict[str, tuple[int, ...]] = {}
    if profile is GENERIC:
        for our, synonyms in SYNONYMS.items():
            found = [position[s] for s in synonyms if s in position]
            if found:
                sources[our] = (min(found),)  # the leftmost matching column wins
    else:
        for our, columns in profile.columns.items():
            if all(normalize(c) in position for c in columns):
                sources[our] = tuple(position[normalize(c)] for c in columns)
    for our, column in overrides.items():
        sources[our] = (_override_column(path, header, our, column),)
        profile = _one_column_for(profile, our)
    missing = [f for f in REQUIRED if f not in sources]
    if missing == ["lat", "lon"] and any(f in sources for f in STATIC_FIELDS):
        missing = []  # a table of static reports only (e.g. the simulator's vessel_reports)
    if missing:
        raise UnreadableInputError(_missing_message(path, header, fmt, profile, missing, sources))
    return Layout(profile=profile, header=header, sources=sources)


def _override_column(path: object, header: tuple[str, ...], our: str, column: str) -> int:
    """The index of the column a `--column our=column` pair names; one-line errors otherwise."""
    if our not in FIELD_KINDS:
        raise ParamsError(
            f"--column {our}={column}: unknown field {our!r}; fields: {', '.join(FIELD_KINDS)}"
        )
    index = _find_column(header, column)
    if index is None:
        raise UnreadableInputError(
            f"{path}: no column {column!r} for --column {our}={column} "
            f"(found: {_found(header)})"
        )
    return index


def _one_column_for(profile: Profile, our: str) -> Profile:
    """One column now feeds the field: the profile's multi-column recipe no longer applies."""
    combine = {k: v for k, v in profile.combine.items() if k != our}
    time_sql = profile.time_sql
    if our == "ts" and len(profile.columns.get("ts", ())) > 1:
        time_sql = GENERIC_TIME_SQL
    return replace(profile, combine=combine, time_sql=time_sql)


def _find_column(header: Sequence[str], column: str) -> int | None:
    for i, name in enumerate(header):
        if name == column:
            return i
    wanted = normalize(column)
    for i, name in enumerate(header):
        if normalize(name) == wanted:
            return i
    return None


def _found(header: Sequence[str], limit: int = 12) -> str:
    """The header for a message: at most `limit` names, each cut at 40 characters."""
    shown = ", ".join(name if len(name) <= 40 else name[:39] + "…" for name in header[:limit])
    return shown + (f", … ({len(header)} columns)" if len(header) > limit else "")


def _missing_message(
    path: object,
    header: Sequence[str],
    fmt: InputFormat,
    profile: Profile,
    missing: list[str],
    sources: Mapping[str, tuple[int, ...]],
) -> str:
    used = {i for cols in sources.values() for i in cols}
    flags = []
    for our in missing:
        hint = next(
            (c for i, c in enumerate(header)
             if i not in used and any(h in normalize(c) for h in HINTS[our])),
            "COLUMN",
        )
        flags.append(f"--column {our}={hint}")
    fields = " or ".join(f"'{m}'" for m in missing)
    if fmt in PROFILES:
        wanted = " or ".join(f"'{profile.columns[m][0]}'" for m in missing)
        return (
            f"{path}: not a {profile.label} file: no {wanted} column (found: {_found(header)}); "
            f"pass {' '.join(flags)}, or another --format"
        )
    lead = "cannot tell the format: " if fmt is InputFormat.AUTO else ""
    tail = ", or --format marinecadastre|dma|generic" if fmt is InputFormat.AUTO else ""
    found = _found(header)
    return f"{path}: {lead}no {fields} column (found: {found}); pass {' '.join(flags)}{tail}"
