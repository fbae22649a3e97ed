"""One set of value rules for every input format, applied in DuckDB over a staged chunk.

AIS encodes "not available" as in-band numbers (lat 91, lon 181, SOG 102.3, COG 360, heading 511);
left in place they would plot ships at the North Pole and fake 102-knot sprints, so they become
NULL here. Values outside the physical range are not guessed at: the record goes to quarantine.
"""

from __future__ import annotations

from cargotrace.ingest.reasons import QuarantineReason as R


def _common_checks() -> str:
    return f"""
        WHEN mmsi IS NULL OR mmsi < 100000000 OR mmsi > 999999999 THEN '{R.MALFORMED_MMSI}'
        WHEN ts IS NULL THEN '{R.MISSING_TIME}'
        WHEN ts < $earliest OR ts > $latest THEN '{R.TIME_OUT_OF_RANGE}'"""


def positions_reason_sql() -> str:
    """A CASE expression naming the first rule a staged position breaks (NULL when none)."""
    return f"""CASE {_common_checks()}
        WHEN lat IS NOT NULL AND lat <> 91 AND (isnan(lat) OR lat < -90 OR lat > 90)
            THEN '{R.LAT_OUT_OF_RANGE}'
        WHEN lon IS NOT NULL AND lon <> 181 AND (isnan(lon) OR lon < -180 OR lon > 180)
            THEN '{R.LON_OUT_OF_RANGE}'
        WHEN sog IS NOT NULL AND (isnan(sog) OR sog < 0 OR sog > 102.3) THEN '{R.SOG_OUT_OF_RANGE}'
        WHEN cog IS NOT NULL AND (isnan(cog) OR cog < 0 OR cog > 360) THEN '{R.COG_OUT_OF_RANGE}'
        WHEN heading IS NOT NULL AND heading <> 511 AND (heading < 0 OR heading > 359)
            THEN '{R.HEADING_OUT_OF_RANGE}'
        END"""


# The stored value of each position column, with AIS "not available" sentinels made NULL.
POSITION_VALUES_SQL = """
    mmsi, ts,
    CASE WHEN lat = 91 OR lon = 181 THEN NULL ELSE lat END AS lat,
    CASE WHEN lat = 91 OR lon = 181 THEN NULL ELSE lon END AS lon,
    CASE WHEN sog >= 102.25 THEN NULL ELSE sog END AS sog,
    CASE WHEN cog = 360 THEN NULL ELSE cog END AS cog,
    CASE WHEN heading = 511 THEN NULL ELSE heading END AS heading,
    nav_status, msg_type"""


def reports_reason_sql() -> str:
    """A CASE expression naming the first rule a staged report breaks (NULL when none).

    Its rules must stay the first rules of `positions_reason_sql`: a table row that gives both
    a position and a report is judged on its position alone (ingest/table_store.py), which is
    right only while every bad report is also a bad position (tests/ingest/test_table_stage.py
    checks this)."""
    return f"CASE {_common_checks()} END"


# Static reports: 0 means "not available" for IMO, dimensions and draught in AIS; blank texts too.
REPORT_VALUES_SQL = """
    mmsi, ts,
    CASE WHEN imo > 0 THEN imo END AS imo,
    NULLIF(trim(name), '') AS name,
    NULLIF(trim(callsign), '') AS callsign,
    ship_type,
    CASE WHEN length > 0 THEN length END AS length,
    CASE WHEN beam > 0 THEN beam END AS beam,
    CASE WHEN draught > 0 THEN draught END AS draught,
    NULLIF(trim(destination), '') AS destination,
    eta, msg_type"""
