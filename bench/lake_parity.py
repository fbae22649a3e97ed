"""Do two stores hold the same rows? A DuckDB file or a lake folder against another, table by table.

    python bench/lake_parity.py STORE_A STORE_B [TABLES]   (default: positions,vessel_reports,
                                                            quarantine,position_flags,events)

Issue 23's parity check at scale (docs/reference/scaling.md): the DuckDB file, the lake detected
with DuckDB and the lake detected with Spark must give identical events and stored positions.
It is deliberately independent of cargotrace's own readers: a lake table is read as the files
its newest `_snapshots/*.json` lists (plain `read_parquet`, the `day` folder ignored), a file's
with DuckDB's ATTACH. For each table it prints one JSON line: the row counts, `EXCEPT ALL` both
ways over every column (JSON columns compared as text) and a hash aggregate (`sum(hash(...))`)
of each side. An empty lake table (no files listed) is compared as zero rows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

DEFAULT_TABLES = "positions,vessel_reports,quarantine,position_flags,events"


def lake_files(lake: Path, table: str) -> list[str]:
    """The files the lake's newest snapshot lists for `table` (what a reader sees)."""
    newest = max(Path(lake, "_snapshots").glob("*.json"), key=lambda p: int(p.stem))
    doc = json.loads(newest.read_text())
    return [str(lake / entry["path"]) for entry in doc["tables"].get(table, [])]


def open_side(con: duckdb.DuckDBPyConnection, name: str, store: str, table: str) -> bool:
    """Create view `name` over `table` of `store`; False for a lake table with no files."""
    if store.endswith(".duckdb"):
        alias = f"store_{name}"
        con.execute(f"ATTACH IF NOT EXISTS '{store}' AS {alias} (READ_ONLY)")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {alias}.{table}")
        return True
    files = lake_files(Path(store.removeprefix("lake:")), table)
    if not files:
        return False
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                f"read_parquet({files!r}, hive_partitioning = false)")
    return True


def compare(con: duckdb.DuckDBPyConnection, table: str, a: str, b: str) -> dict[str, object]:
    """Counts, EXCEPT ALL both ways and a hash aggregate of one table on both sides."""
    has_a, has_b = open_side(con, "side_a", a, table), open_side(con, "side_b", b, table)
    if not (has_a or has_b):
        return {"table": table, "rows_a": 0, "rows_b": 0, "a_minus_b": 0, "b_minus_a": 0}
    if not has_a:
        con.execute("CREATE OR REPLACE VIEW side_a AS SELECT * FROM side_b WHERE false")
    if not has_b:
        con.execute("CREATE OR REPLACE VIEW side_b AS SELECT * FROM side_a WHERE false")
    described = con.execute("DESCRIBE side_a").fetchall()
    cols = ", ".join(f'"{n}"::VARCHAR' if t == "JSON" else f'"{n}"' for n, t, *_ in described)

    def one(sql: str) -> object:
        row = con.execute(sql).fetchone()
        return row[0] if row else None

    return {
        "table": table,
        "rows_a": one("SELECT count(*) FROM side_a"),
        "rows_b": one("SELECT count(*) FROM side_b"),
        "a_minus_b": one(f"SELECT count(*) FROM (SELECT {cols} FROM side_a "
                         f"EXCEPT ALL SELECT {cols} FROM side_b)"),
        "b_minus_a": one(f"SELECT count(*) FROM (SELECT {cols} FROM side_b "
                         f"EXCEPT ALL SELECT {cols} FROM side_a)"),
        "hash_a": str(one(f"SELECT sum(hash({cols})) FROM side_a")),
        "hash_b": str(one(f"SELECT sum(hash({cols})) FROM side_b")),
    }


def main(argv: list[str]) -> int:
    a, b = argv[0], argv[1]
    tables = (argv[2] if len(argv) > 2 else DEFAULT_TABLES).split(",")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'; SET memory_limit = '3GB'")
    same = True
    for table in tables:
        result = compare(con, table, a, b)
        same = same and result["a_minus_b"] == 0 and result["b_minus_a"] == 0 \
            and result["rows_a"] == result["rows_b"]
        print(json.dumps({"a": a, "b": b, **result}), flush=True)
    print("identical" if same else "DIFFERENT")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
