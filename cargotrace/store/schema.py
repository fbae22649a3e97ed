"""The core tables of DESIGN.md as DuckDB DDL: the contract between layers.

Units (DESIGN.md keeps the short AIS names; their units are fixed here and in
docs/reference/store.md):
lat/lon in decimal degrees (WGS84), sog in knots, cog and heading in degrees true, length/beam/
draught in metres, ts in UTC. "Not available" AIS values are NULL, never sentinel numbers.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

TABLES: dict[str, str] = {
    "meta": """
        CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR
        )""",
    "ingests": """
        CREATE TABLE IF NOT EXISTS ingests (
            ingest_id BIGINT PRIMARY KEY,
            path VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            sha256 VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            options JSON,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ NOT NULL,
            records_read BIGINT NOT NULL,
            positions_stored BIGINT NOT NULL,
            reports_stored BIGINT NOT NULL,
            duplicates BIGINT NOT NULL,
            quarantined BIGINT NOT NULL,
            counts JSON NOT NULL,
            cargotrace_version VARCHAR NOT NULL
        )""",
    "positions": """
        CREATE TABLE IF NOT EXISTS positions (
            mmsi BIGINT NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            lat DOUBLE,
            lon DOUBLE,
            sog DOUBLE,
            cog DOUBLE,
            heading SMALLINT,
            nav_status TINYINT,
            msg_type TINYINT,
            source VARCHAR NOT NULL,
            station VARCHAR,
            ingest_id BIGINT NOT NULL
        )""",
    "vessel_reports": """
        CREATE TABLE IF NOT EXISTS vessel_reports (
            mmsi BIGINT NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            imo BIGINT,
            name VARCHAR,
            callsign VARCHAR,
            ship_type SMALLINT,
            length DOUBLE,
            beam DOUBLE,
            draught DOUBLE,
            destination VARCHAR,
            eta VARCHAR,
            msg_type TINYINT,
            source VARCHAR NOT NULL,
            station VARCHAR,
            ingest_id BIGINT NOT NULL
        )""",
    "quarantine": """
        CREATE TABLE IF NOT EXISTS quarantine (
            source VARCHAR NOT NULL,
            line_no BIGINT,
            raw VARCHAR,
            reason VARCHAR NOT NULL,
            detail VARCHAR,
            ingest_id BIGINT NOT NULL
        )""",
    "places": """
        CREATE TABLE IF NOT EXISTS places (
            place_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            aliases VARCHAR[],
            country VARCHAR,
            kind VARCHAR NOT NULL,
            lat DOUBLE NOT NULL,
            lon DOUBLE NOT NULL,
            radius_m DOUBLE NOT NULL,
            watch_reason VARCHAR,
            source VARCHAR NOT NULL
        )""",
    "events": """
        CREATE TABLE IF NOT EXISTS events (
            event_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            mmsi BIGINT NOT NULL,
            other_mmsi BIGINT,
            start TIMESTAMPTZ NOT NULL,
            "end" TIMESTAMPTZ,
            lat DOUBLE,
            lon DOUBLE,
            place_id VARCHAR,
            confidence DOUBLE,
            attrs JSON,
            params JSON,
            pipeline_version VARCHAR NOT NULL
        )""",
    # Positions of bad quality (detect/outliers.py): kept in `positions`, left out of every
    # detector, with why. Keyed like a position; replaced per detection run's time range.
    "position_flags": """
        CREATE TABLE IF NOT EXISTS position_flags (
            mmsi BIGINT NOT NULL,
            ts TIMESTAMPTZ NOT NULL,
            lat DOUBLE NOT NULL,
            lon DOUBLE NOT NULL,
            reason VARCHAR NOT NULL,
            jump_km DOUBLE,
            implied_speed_kn DOUBLE,
            return_km DOUBLE,
            return_speed_kn DOUBLE,
            params JSON,
            pipeline_version VARCHAR NOT NULL,
            PRIMARY KEY (mmsi, ts, lat, lon)
        )""",
}

# Columns that make a position unique (DESIGN.md): the same fix heard twice is one fix.
POSITION_KEY = ("mmsi", "ts", "lat", "lon")
POSITION_COLUMNS = (
    "mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "nav_status", "msg_type",
    "source", "station", "ingest_id",
)
REPORT_COLUMNS = (
    "mmsi", "ts", "imo", "name", "callsign", "ship_type", "length", "beam", "draught",
    "destination", "eta", "msg_type", "source", "station", "ingest_id",
)
# A static report is a duplicate when every field it carries is the same at the same time.
REPORT_KEY = (
    "mmsi", "ts", "msg_type", "imo", "name", "callsign", "ship_type", "length", "beam",
    "draught", "destination", "eta",
)
QUARANTINE_COLUMNS = ("source", "line_no", "raw", "reason", "detail", "ingest_id")

# --- sanctions lists (screen/; docs/reference/store.md "sanctions_*") ---
# The current entities of each list, FollowTheMoney-shaped (DESIGN.md), one row per (list, id).
TABLES["sanctions_entities"] = """
        CREATE TABLE IF NOT EXISTS sanctions_entities (
            id VARCHAR NOT NULL,
            schema VARCHAR NOT NULL,
            names VARCHAR[] NOT NULL,
            imo BIGINT,
            mmsi BIGINT,
            flag VARCHAR,
            programs VARCHAR[] NOT NULL,
            list VARCHAR NOT NULL,
            listed_on DATE,
            source VARCHAR NOT NULL,
            source_row BIGINT,
            vessel_type VARCHAR,
            entity JSON NOT NULL,
            fingerprint VARCHAR NOT NULL,
            load_id BIGINT NOT NULL,
            first_load_id BIGINT NOT NULL,
            PRIMARY KEY (list, id)
        )"""
# Owners, operators and "Linked To:" parties of listed vessels (FtM Ownership entities).
TABLES["sanctions_links"] = """
        CREATE TABLE IF NOT EXISTS sanctions_links (
            list VARCHAR NOT NULL,
            link_id VARCHAR NOT NULL,
            vessel_id VARCHAR NOT NULL,
            owner_id VARCHAR NOT NULL,
            owner_name VARCHAR,
            relation VARCHAR NOT NULL,
            entity JSON,
            load_id BIGINT NOT NULL
        )"""
# One row per load that changed the store (an identical file loaded again adds none).
TABLES["sanctions_loads"] = """
        CREATE TABLE IF NOT EXISTS sanctions_loads (
            load_id BIGINT PRIMARY KEY,
            list VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            size_bytes BIGINT NOT NULL,
            as_of DATE,
            published DATE,
            loaded_at TIMESTAMPTZ NOT NULL,
            rows_read BIGINT NOT NULL,
            entities BIGINT NOT NULL,
            vessels BIGINT NOT NULL,
            skipped BIGINT NOT NULL,
            skipped_rows JSON NOT NULL,
            previous_load_id BIGINT,
            added BIGINT NOT NULL,
            removed BIGINT NOT NULL,
            changed BIGINT NOT NULL,
            cargotrace_version VARCHAR NOT NULL
        )"""
# What a load added, removed or changed compared with the list's previous load: the history
# that survives replacement (a delisted vessel keeps its last entity here).
TABLES["sanctions_changes"] = """
        CREATE TABLE IF NOT EXISTS sanctions_changes (
            load_id BIGINT NOT NULL,
            list VARCHAR NOT NULL,
            change VARCHAR NOT NULL,
            id VARCHAR NOT NULL,
            schema VARCHAR NOT NULL,
            name VARCHAR,
            imo BIGINT,
            programs VARCHAR[],
            entity JSON NOT NULL,
            previous_entity JSON
        )"""

# --- cases (cases/; docs/reference/store.md "evidence", "hypotheses") ---
# One row per evidence item of a built case: what the case file says, with the place resolved.
TABLES["evidence"] = """
        CREATE TABLE IF NOT EXISTS evidence (
            evidence_id VARCHAR NOT NULL,
            case_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            observed_from TIMESTAMPTZ NOT NULL,
            observed_to TIMESTAMPTZ NOT NULL,
            place VARCHAR,
            place_id VARCHAR,
            lat DOUBLE,
            lon DOUBLE,
            subject JSON,
            quantity JSON,
            description VARCHAR NOT NULL,
            source_title VARCHAR NOT NULL,
            source_publisher VARCHAR NOT NULL,
            source_date DATE NOT NULL,
            source_url VARCHAR,
            grading VARCHAR NOT NULL,
            reliability VARCHAR NOT NULL,
            credibility TINYINT NOT NULL,
            simulated BOOLEAN NOT NULL,
            PRIMARY KEY (case_id, evidence_id)
        )"""
# The ranked hypotheses of the case's last build (`case build --store`), best first.
TABLES["hypotheses"] = """
        CREATE TABLE IF NOT EXISTS hypotheses (
            case_id VARCHAR NOT NULL,
            rank INTEGER NOT NULL,
            name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            score DOUBLE NOT NULL,
            relative DOUBLE,
            legs JSON NOT NULL,
            factors JSON NOT NULL,
            evidence JSON NOT NULL,
            explanation VARCHAR NOT NULL,
            built_at TIMESTAMPTZ NOT NULL,
            cargotrace_version VARCHAR NOT NULL,
            PRIMARY KEY (case_id, rank)
        )"""
