"""The table peer: DuckDB's own CSV reader into a new database file, in a fresh process."""

import sys

import duckdb

con = duckdb.connect(sys.argv[2])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
