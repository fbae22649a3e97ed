"""store/lake/: the lake store, core tables as day-partitioned Parquet with snapshot commits.

docs/decisions/0012-lake-store.md says why this layout and protocol; docs/reference/lake.md
how to use it. `layout` (folders, table layouts, how `--store` names a lake), `snapshot` (the
commit protocol), `lock` (one writer), `files` (writing files, removing orphans), `store`
(`LakeStore`: the lake on DuckDB behind the `Store` interface), `appends` (deduplicated
appends to the day partitions, compaction), `params` and `housekeeping` (compact and vacuum, the
`cargotrace lake` commands).
"""
