"""Time windows as SQL conditions: the `[since, until)` filter every replace-what-this-run-covers
write and every count over a run's window uses.

Why one helper: the same few lines (start from a condition, add `>= $since`, add `< $until`)
were written in detection's event writer, its position flags and its notes; a window that is
half-open in one place and closed in another would make a re-run delete one set of rows and
count another.
"""

from __future__ import annotations

from datetime import datetime


def window_sql(column: str, since: datetime | None, until: datetime | None,
               where: str = "true", params: dict[str, object] | None = None,
               ) -> tuple[str, dict[str, object]]:
    """`where` narrowed to `since <= column < until` (either bound may be None), and the
    named parameters (`$since`, `$until`) for DuckDB's `execute`."""
    params = dict(params or {})
    if since is not None:
        where += f" AND {column} >= $since"
        params["since"] = since
    if until is not None:
        where += f" AND {column} < $until"
        params["until"] = until
    return where, params
