"""Fast generated AIS traffic for scale runs (10M-100M positions), written straight into a store.

The simulator (`cargotrace simulate`) is the correctness reference: it sails sea lanes, plants
known behaviours and writes their truth, but it makes about 40k positions a second, so 100M
positions would take most of an hour. This generator is one DuckDB `INSERT ... SELECT` over
`range()`: no row passes through Python, and 100M positions take a minute or two.

What the tracks look like (each vessel a cycle of `period` hours, phases spread):
- moored at the outer anchorage (`ANCHORAGE_SOUTH_DEG`) of one of the 16 Sea of Japan ports
  of the simulator's region (`region_ports`), scattered within about 500 m, below 0.3 kn;
- then sailing in a straight line to the next port of its cycle at its service speed;
- one pair of vessels in 20 sail together 200 m apart and stop for 3 h half-way (a meeting at
  sea: an encounter), and one vessel in 13 stops alone for 3 h half-way (loitering);
- one 6-hour window in 60 of each vessel is silent (gaps);
- a report every `interval_s` seconds, jittered by up to 30 s.
Positions carry `source` = `bench:scale_data` and one `ingests` row, so the store is a store
like any other. One static report per vessel and day gives identity something to read.

`with_places=True` loads the 16 anchorages as places (as the simulator's scenario gives the
bench stores its ports); without them only the packaged world gazetteer a fresh store seeds is
there, and the anchorages the ships wait at are unknown: the dense-anchorage case.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SOURCE = "bench:scale_data"
INGEST_ID = 1


ANCHORAGE_SOUTH_DEG = 0.2
"""The anchorages ships wait at lie this far south of each port's open-water anchorage (about
22 km): far enough that the packaged world gazetteer's port does not cover them, so without
`with_places` they are unknown, as outer anchorages often are."""


def _anchorages() -> list[tuple[str, str, float, float, float]]:
    """(place_id, name, lat, lon, radius_m) of the 16 anchorages the vessels call at."""
    from cargotrace.sim.scenarios import region_ports

    _, ports = region_ports("sea-of-japan")
    return [(f"bench:{p.place_id}", f"{p.name} outer anchorage", p.lat - ANCHORAGE_SOUTH_DEG,
             p.lon, 5000.0) for p in ports]


POSITIONS_SQL = """
INSERT INTO positions (mmsi, ts, lat, lon, sog, cog, heading, nav_status, msg_type, source,
                       station, ingest_id)
WITH ports AS (SELECT list(lat ORDER BY i) AS lats, list(lon ORDER BY i) AS lons,
                      count(*) AS n FROM _ports),
vessel AS (
    SELECT range AS v,
           -- a meeting pair (2j, 2j+1 for j % 10 = 0) shares its cycle, the odd one 200 m north
           CASE WHEN (range // 2) % 10 = 0 THEN range - range % 2 ELSE range END AS base,
           (range // 2) % 10 = 0 AS paired,
           CASE WHEN (range // 2) % 10 = 0 AND range % 2 = 1 THEN 0.0018 ELSE 0.0 END AS north
    FROM range($vessels)),
cycle AS (
    SELECT v, paired, north, base,
           (20 + hash(base) % 40)::BIGINT * 3600 AS period_s,
           (4 + hash(base, 1) % 14)::BIGINT * 3600 AS moored_s,
           (hash(base, 2) % (86400 * 5))::BIGINT AS phase_s,
           paired OR v % 13 = 0 AS pauses,
           ports.lats, ports.lons, ports.n
    FROM vessel, ports),
tick AS (
    SELECT c.*, r.range AS t,
           (r.range + c.phase_s) // c.period_s AS k,
           (r.range + c.phase_s) % c.period_s AS into_cycle
    FROM cycle c, range(0, $seconds, $interval) r
    -- a silent 6 h window in 60 (per vessel)
    WHERE hash(c.v, r.range // 21600, 3) % 60 <> 0),
leg AS (
    SELECT *,
           lats[(1 + hash(base, k) % n)::INTEGER] AS a_lat,
           lons[(1 + hash(base, k) % n)::INTEGER] AS a_lon,
           lats[(1 + hash(base, k + 1) % n)::INTEGER] AS b_lat,
           lons[(1 + hash(base, k + 1) % n)::INTEGER] AS b_lon,
           period_s - moored_s AS sail_s,
           CASE WHEN pauses THEN 10800 ELSE 0 END AS pause_s
    FROM tick),
placed AS (
    SELECT *,
           into_cycle - moored_s AS s,
           least(greatest(into_cycle - moored_s - (sail_s - pause_s) / 2, 0), pause_s) AS paused
    FROM leg)
SELECT 200000000 + v AS mmsi,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(t + (hash(v, t) % 30)::BIGINT) AS ts,
       CASE WHEN s < 0 THEN a_lat + ((hash(v, k, 5) % 1000)::INTEGER - 500) / 100000.0 + north
            ELSE a_lat + (b_lat - a_lat) * (s - paused) / (sail_s - pause_s) + north END AS lat,
       CASE WHEN s < 0 THEN a_lon + ((hash(v, k, 6) % 1000)::INTEGER - 500) / 100000.0
            ELSE a_lon + (b_lon - a_lon) * (s - paused) / (sail_s - pause_s) END AS lon,
       CASE WHEN s < 0 THEN (hash(v, t, 7) % 3) / 10.0
            WHEN paused > 0 AND paused < pause_s THEN 0.2 + (hash(v, t, 7) % 3) / 10.0
            -- the leg's length (equirectangular, nm) over its sailing time
            ELSE round(60 * sqrt(pow(b_lat - a_lat, 2)
                                 + pow((b_lon - a_lon) * cos(radians(a_lat)), 2))
                       / ((sail_s - pause_s) / 3600.0), 1) END AS sog,
       NULL AS cog, NULL AS heading,
       CASE WHEN s < 0 THEN 5 ELSE 0 END AS nav_status,
       1 AS msg_type, '{source}' AS source, NULL AS station, {ingest_id} AS ingest_id
FROM placed
"""

REPORTS_SQL = """
INSERT INTO vessel_reports (mmsi, ts, imo, name, callsign, ship_type, length, beam, draught,
                            destination, eta, msg_type, source, station, ingest_id)
SELECT 200000000 + v.range, TIMESTAMPTZ '2024-01-01 06:00:00+00' + to_days(d.range::INTEGER),
       9000000 + v.range, 'SCALE ' || v.range, 'SC' || v.range, 80, 180.0, 30.0,
       8.0 + (hash(v.range, d.range) % 4), NULL, NULL, 5, '{source}', NULL, {ingest_id}
FROM range($vessels) v, range($days) d
"""


def generate(store_path: Path, vessels: int, days: int, interval_s: int = 60,
             with_places: bool = True, memory_limit: str | None = None) -> int:
    """Write a store of `vessels` vessels over `days` days; the number of positions."""
    import cargotrace
    from cargotrace.store.places import Place, upsert_places

    with cargotrace.open_store(store_path) as store:
        con = store.con
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        now = datetime.now(UTC)
        con.execute(
            "INSERT INTO ingests (ingest_id, path, size_bytes, sha256, format, options, "
            "started_at, finished_at, records_read, positions_stored, reports_stored, "
            "duplicates, quarantined, counts, cargotrace_version) VALUES "
            "(?, ?, 0, '', 'parquet', ?, ?, ?, 0, 0, 0, 0, 0, '{}', ?)",
            [INGEST_ID, SOURCE, f'{{"vessels": {vessels}, "days": {days}}}', now, now,
             cargotrace.__version__],
        )
        ports = _anchorages()
        con.execute("CREATE TEMP TABLE _ports (i INTEGER, lat DOUBLE, lon DOUBLE)")
        con.executemany("INSERT INTO _ports VALUES (?, ?, ?)",
                        [(i, p[2], p[3]) for i, p in enumerate(ports)])
        args = {"vessels": vessels, "seconds": days * 86400, "interval": interval_s}
        con.execute(POSITIONS_SQL.format(source=SOURCE, ingest_id=INGEST_ID), args)
        con.execute(REPORTS_SQL.format(source=SOURCE, ingest_id=INGEST_ID),
                    {"vessels": vessels, "days": days})
        count = int(con.execute("SELECT count(*) FROM positions").fetchall()[0][0])
        reports = int(con.execute("SELECT count(*) FROM vessel_reports").fetchall()[0][0])
        con.execute("UPDATE ingests SET records_read = ?, positions_stored = ?, "
                    "reports_stored = ? WHERE ingest_id = ?",
                    [count + reports, count, reports, INGEST_ID])
        if with_places:
            upsert_places(store, [Place(pid, name, (), None, "seaport", lat, lon, radius, None,
                                        "simulator") for pid, name, lat, lon, radius in ports])
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--vessels", type=int, default=2000)
    parser.add_argument("--days", type=int, default=35)
    parser.add_argument("--interval-s", type=int, default=60)
    parser.add_argument("--no-places", action="store_true",
                        help="leave the anchorages out of places (the dense-anchorage case)")
    parser.add_argument("--memory-limit", default=None)
    args = parser.parse_args()
    if args.store.exists():
        sys.exit(f"{args.store} exists")
    count = generate(args.store, args.vessels, args.days, args.interval_s,
                     not args.no_places, args.memory_limit)
    sys.stdout.write(f"{count} positions\n")


if __name__ == "__main__":
    main()
