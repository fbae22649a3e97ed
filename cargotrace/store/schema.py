"""The core tables of DESIGN.md, each declared once: the contract between layers.

Units (DESIGN.md keeps the short AIS names; their units are fixed here and in
docs/reference/store.md): lat/lon in decimal degrees (WGS84), sog in knots, cog and heading in
degrees true, length/beam/draught in metres, ts in UTC. "Not available" AIS values are NULL,
never sentinel numbers.

Every other spelling of these columns is derived from the `TableSpec`s below (`columns.py`): the
DuckDB DDL in `TABLES`, the readers' staging schemas (ingest/records.py), the simulator's files
(sim/output.py), the event rows (store/events.py) and the column tables of the docs. The
sanctions and case tables are declared in `schema_screen.py`.
"""

from __future__ import annotations

from cargotrace.store.columns import Column as C
from cargotrace.store.columns import TableSpec
from cargotrace.store.schema_screen import CASE_TABLES, SANCTIONS_TABLES

SCHEMA_VERSION = 1

META = TableSpec("meta", (
    C("key", "VARCHAR", "e.g. `schema_version`, `detected:<kind>`, `simulated_ais`", False),
    C("value", "VARCHAR", "text or JSON, per key (below)"),
), primary_key=("key",))

INGESTS = TableSpec("ingests", (
    C("ingest_id", "BIGINT", "referenced by the rows the ingest stored", False),
    C("path", "VARCHAR", "the file as given", False),
    C("size_bytes", "BIGINT", "file size", False),
    C("sha256", "VARCHAR", "of the file's bytes", False),
    C("format", "VARCHAR", "`nmea`, `csv` or `parquet`", False),
    C("options", "JSON", "format, column mappings, assumed time, validation bounds"),
    C("started_at", "TIMESTAMPTZ", "when the ingest began (UTC)", False),
    C("finished_at", "TIMESTAMPTZ", "when it committed (UTC)", False),
    C("records_read", "BIGINT", "records in the file", False),
    C("positions_stored", "BIGINT", "new rows in `positions`", False),
    C("reports_stored", "BIGINT", "new rows in `vessel_reports`", False),
    C("duplicates", "BIGINT", "positions and reports already stored", False),
    C("quarantined", "BIGINT", "records sent to `quarantine`", False),
    C("counts", "JSON", "the whole summary, with quarantined-by-reason and skipped-by-kind",
      False),
    C("cargotrace_version", "VARCHAR", "the version that read the file", False),
), primary_key=("ingest_id",))

POSITIONS = TableSpec("positions", (
    C("mmsi", "BIGINT", "9 digits", False),
    C("ts", "TIMESTAMPTZ", "receive time (tag block `c:`, line prefix, USCG suffix, Gatehouse "
      "wrapper, or the user's `--assume-time`)", False),
    C("lat", "DOUBLE", "degrees; NULL when the report said \"not available\""),
    C("lon", "DOUBLE", "degrees; NULL when the report said \"not available\""),
    C("sog", "DOUBLE", "speed over ground, knots"),
    C("cog", "DOUBLE", "course over ground, degrees true"),
    C("heading", "SMALLINT", "degrees true, NULL when not available"),
    C("nav_status", "TINYINT", "AIS navigational status 0–15 (types 1–3, 27)"),
    C("msg_type", "TINYINT", "AIS message type (NULL for tables that don't say)"),
    C("source", "VARCHAR", "the file it came from", False),
    C("station", "VARCHAR", "receiver: tag block `s:`, USCG `r…` field"),
    C("ingest_id", "BIGINT", "→ `ingests`", False),
))

VESSEL_REPORTS = TableSpec("vessel_reports", (
    C("mmsi", "BIGINT", "9 digits", False),
    C("ts", "TIMESTAMPTZ", "receive time, as for positions", False),
    C("imo", "BIGINT", "IMO number; NULL for 0"),
    C("name", "VARCHAR", "NULL when blank"),
    C("callsign", "VARCHAR", "NULL when blank"),
    C("ship_type", "SMALLINT", "AIS ship and cargo type"),
    C("length", "DOUBLE", "metres (bow + stern); NULL for 0"),
    C("beam", "DOUBLE", "metres (port + starboard); NULL for 0"),
    C("draught", "DOUBLE", "metres; NULL for 0"),
    C("destination", "VARCHAR", "as typed by the crew; NULL when blank"),
    C("eta", "VARCHAR", "`MM-DD HH:MM` (AIS sends no year)"),
    C("msg_type", "TINYINT", "5, 19 or 24 (NULL for tables that don't say)"),
    C("source", "VARCHAR", "the file it came from", False),
    C("station", "VARCHAR", "receiver"),
    C("ingest_id", "BIGINT", "→ `ingests`", False),
))

QUARANTINE = TableSpec("quarantine", (
    C("source", "VARCHAR", "the file", False),
    C("line_no", "BIGINT", "1-based line or row in the file"),
    C("raw", "VARCHAR", "the record's text, bounded"),
    C("reason", "VARCHAR", "a [reason code](quarantine-reasons.md)", False),
    C("detail", "VARCHAR", "what exactly was wrong"),
    C("ingest_id", "BIGINT", "→ `ingests`", False),
))

PLACES = TableSpec("places", (
    C("place_id", "VARCHAR", "stable id, e.g. `wpi:…`", False),
    C("name", "VARCHAR", "the name shown and matched first", False),
    C("aliases", "VARCHAR[]", "other names"),
    C("country", "VARCHAR", "ISO 3166-1 alpha-2"),
    C("kind", "VARCHAR", "a `PlaceKind`: port, terminal, anchorage, …", False),
    C("lat", "DOUBLE", "centre, degrees", False),
    C("lon", "DOUBLE", "centre, degrees", False),
    C("radius_m", "DOUBLE", "metres around the centre that count as in the place", False),
    C("watch_reason", "VARCHAR", "why analysts watch it (NULL: not on a watch list)"),
    C("source", "VARCHAR", "the file or list it came from", False),
), primary_key=("place_id",))

EVENTS = TableSpec("events", (
    C("event_id", "VARCHAR", "stable id (recipe below)", False),
    C("kind", "VARCHAR", "see `cargotrace.detect.kinds.EventKind`", False),
    C("mmsi", "BIGINT", "the vessel", False),
    C("other_mmsi", "BIGINT", "the second vessel of an encounter"),
    C("start", "TIMESTAMPTZ", "when the behaviour began (UTC)", False),
    C("end", "TIMESTAMPTZ", "NULL while still going on (e.g. an open gap)"),
    C("lat", "DOUBLE", "where, degrees"),
    C("lon", "DOUBLE", "where, degrees"),
    C("place_id", "VARCHAR", "→ `places`"),
    C("confidence", "DOUBLE", "0–1, defined per kind in docs/concepts/behaviours.md; NULL for "
      "identity, encounter and loitering events (no calibrated confidence yet: their attrs "
      "carry the measured evidence)"),
    C("attrs", "JSON", "measured quantities, units in their names; `identity_kind` for "
      "identity events"),
    C("params", "JSON", "the preset and values that produced it"),
    C("pipeline_version", "VARCHAR", "`cargotrace <version>`", False),
), primary_key=("event_id",))

# Columns that make a position unique (DESIGN.md): the same fix heard twice is one fix.
POSITION_KEY = ("mmsi", "ts", "lat", "lon")

# Positions of bad quality (detect/outliers.py): kept in `positions`, left out of every
# detector, with why. Keyed like a position; replaced per detection run's time range.
POSITION_FLAGS = TableSpec("position_flags", (
    C("mmsi", "BIGINT", "the flagged position's key: → `positions`", False),
    C("ts", "TIMESTAMPTZ", "the flagged position's key", False),
    C("lat", "DOUBLE", "the flagged position's key", False),
    C("lon", "DOUBLE", "the flagged position's key", False),
    C("reason", "VARCHAR", "`lone_outlier`", False),
    C("jump_km", "DOUBLE", "from the track's position before it; NULL at a track end"),
    C("implied_speed_kn", "DOUBLE", "to reach it from the position before"),
    C("return_km", "DOUBLE", "to the track's position after it; NULL at a track end"),
    C("return_speed_kn", "DOUBLE", "to reach the position after it"),
    C("params", "JSON", "the `OutlierParams` used"),
    C("pipeline_version", "VARCHAR", "`cargotrace <version>`", False),
), primary_key=POSITION_KEY)

CORE_TABLES = (META, INGESTS, POSITIONS, VESSEL_REPORTS, QUARANTINE, PLACES, EVENTS,
               POSITION_FLAGS)
SPECS: dict[str, TableSpec] = {
    spec.name: spec for spec in (*CORE_TABLES, *SANCTIONS_TABLES, *CASE_TABLES)
}
"""Every stored table, in creation order."""

TABLES: dict[str, str] = {name: spec.ddl() for name, spec in SPECS.items()}
"""The DDL of every stored table (`Store` runs it on open)."""

POSITION_COLUMNS = POSITIONS.names
REPORT_COLUMNS = VESSEL_REPORTS.names
# A static report is a duplicate when every field it carries is the same at the same time.
REPORT_KEY = (
    "mmsi", "ts", "msg_type", "imo", "name", "callsign", "ship_type", "length", "beam",
    "draught", "destination", "eta",
)
QUARANTINE_COLUMNS = QUARANTINE.names
