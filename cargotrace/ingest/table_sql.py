"""The one DuckDB query that parses a decoded table's columns into our fields.

Kept apart from the column profiles (table_formats.py: which column feeds which field) because
this is about values: casting text or typed columns, "no value" tokens, coded labels, bounds, and
naming the first problem of a row as a quarantine reason with a readable detail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.table_formats import (
    FIELD_KINDS,
    INT_SQL_TYPES,
    STATIC_FIELDS,
    Kind,
    Layout,
)

# Texts that mean "no value" in the exports we know (AISdb writes None, DMA Unknown/Undefined).
NULL_TOKENS = ("", "none", "null", "na", "n/a", "nan", "unknown", "undefined")
_SPELLINGS = sorted({v for t in NULL_TOKENS for v in (t, t.upper(), t.capitalize())}
                    | {"NaN", "N/A"})
NULL_TOKEN_MACROS = (
    # ct_val: the thorough test, run on the few values that failed a cast.
    "CREATE MACRO ct_val(x) AS CASE WHEN x = '' OR (strlen(x) <= 11 AND lower(trim(x)) IN "
    f"({', '.join(repr(t) for t in NULL_TOKENS)})) THEN NULL ELSE x END",
    # ct_text: for every text value, so exact spellings only (3x faster); texts are not trimmed
    # here because the pipeline trims them.
    f"CREATE MACRO ct_text(x) AS CASE WHEN x IN ({', '.join(repr(t) for t in _SPELLINGS)})"
    " THEN NULL ELSE x END",
)
# The optimizers a convert query runs without. `in_clause`: DuckDB plans `x IN (constants)` as
# a join, evaluated on every row even inside a CASE branch few rows reach; as a plain
# expression the query runs ~2x faster.
CONVERT_OPTIMIZERS_OFF = "in_clause"
# And for a typed file (Parquet), `common_subexpressions`: an expression written more than
# once (a typed time's ISO text, an integer's text, in the fallbacks, checks and details that
# only rows failing the direct read reach) is hoisted out of its CASE / COALESCE and computed
# for every row: `strftime(timezone('UTC', t))` through ICU's calendar on each of 1M rows
# (issue 16: staging the 1M-row Parquet file 0.82 -> 0.55 CPU-s, the same rows). A CSV's
# query shares its text inputs, where the optimizer pays (without it: ~5% slower).
TYPED_CONVERT_OPTIMIZERS_OFF = f"{CONVERT_OPTIMIZERS_OFF},common_subexpressions"
SQL_TYPES = {Kind.MMSI: "BIGINT", Kind.TIME: "TIMESTAMP", Kind.FLOAT: "DOUBLE",
             Kind.IMO: "BIGINT", Kind.TEXT: "VARCHAR"}
INT_BOUNDS = {"SMALLINT": 32767, "TINYINT": 127}


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _problem(column: str, value: str, what: str) -> str:
    """SQL for a detail text such as: LAT: 'abc' is not a number."""
    template = _lit(column.replace("%", "%%") + ": '%s' " + what)
    return f"printf({template}, {value})"


@dataclass
class _Parts:
    """What the query is assembled from, field by field."""

    values: list[str] = field(default_factory=list)  # "<parse> AS f_<name>"
    checks: list[tuple[str, str, str]] = field(default_factory=list)
    """(condition, reason, detail SQL): the first that matches names the row's problem."""
    gates: list[str] = field(default_factory=list)
    """Cheap tests, one true for every row some check will flag."""
    typed: Mapping[int, str] = field(default_factory=dict)
    """The columns handed over typed (`t<i>`, see `convert_sql`): their DuckDB types."""

    def text(self, i: int) -> str:
        """SQL for column i's text: `s<i>`, or a typed column written as text where a check
        or a detail needs it (only for the rows that reach it: CASE and COALESCE branches)."""
        kind = self.typed.get(i)
        if kind is None:
            return f"s{i}"
        if kind in _TYPED_TIMES:
            return _TYPED_TIMES[kind].format(f"t{i}")
        return f"CAST(t{i} AS VARCHAR)"


def convert_sql(layout: Layout, rows_in: str = "rows_in",
                typed: Mapping[int, str] | None = None) -> str:
    """One DuckDB query that parses every mapped field of `rows_in` and names the first problem.

    `rows_in` (a table name or a parenthesised query) holds line_no and the source columns as
    c<i> (text, or typed from Parquet). `typed` (from `parquet_inputs`): the columns whose
    values are read as they are typed, without a round trip through text (DuckDB type by
    index); every other column is read as text.
    Output: line_no, our typed fields, `reason`/`detail` (NULL when the row is fine),
    `has_static`, and `kind`: position, report, quarantine, or a skipped-count key.
    This query is most of the reader's time, so each check first tests the parsed value and
    only rows that failed a cast pay for the null-token test and the message.
    """
    used = sorted({i for cols in layout.sources.values() for i in cols})
    parts = _Parts(typed=dict(typed or {}))
    for name, kind in [*FIELD_KINDS.items(), ("mobile", Kind.TEXT)]:
        if name in layout.sources:
            _add_field(parts, layout, name, kind)
    values, checks, gates = parts.values, parts.checks, parts.gates
    has_position = "lat" in layout.sources
    if has_position:
        lat, lon = (layout.header[layout.sources[c][0]] for c in ("lat", "lon"))
        gates.append("(f_lat IS NULL) <> (f_lon IS NULL)")
        checks.append(("(f_lat IS NULL) <> (f_lon IS NULL)", R.UNPARSEABLE_ROW,
                       _lit(f"only one of {lat} and {lon} has a value")))
    problem = " ".join(f"WHEN {c} THEN {k}" for k, (c, _, _) in enumerate(checks))
    gate = " OR ".join(f"({g})" for g in gates)
    reason = " ".join(f"WHEN {k} THEN '{r}'" for k, (_, r, _) in enumerate(checks))
    detail = " ".join(f"WHEN {k} THEN {d}" for k, (_, _, d) in enumerate(checks))
    statics = [f"f_{f} IS NOT NULL" for f in STATIC_FIELDS if f in layout.sources]
    outputs = []
    for name, kind in FIELD_KINDS.items():
        sql_type = INT_SQL_TYPES.get(name) or SQL_TYPES[kind]
        source = f"f_{name}" if name in layout.sources else "NULL"
        outputs.append(f"TRY_CAST({source} AS {sql_type}) AS {name}")
    inputs = ", ".join(f"c{i} AS t{i}" if i in parts.typed else f"CAST(c{i} AS VARCHAR) AS s{i}"
                       for i in used)
    return f"""
        WITH p AS (SELECT line_no, {inputs} FROM {rows_in}),
        f AS (SELECT *, {", ".join(values)} FROM p),
        q AS (SELECT *, CASE WHEN {gate} THEN CASE {problem} END END AS problem,
                     {" OR ".join(statics) or "false"} AS has_static FROM f)
        SELECT line_no, CASE problem {reason} END AS reason,
               CASE problem {detail} END AS detail, coalesce(has_static, false) AS has_static,
               CASE {_skips_sql(layout, parts)} WHEN problem IS NOT NULL THEN 'quarantine'
                    WHEN {"f_lat" if has_position else "NULL"} IS NOT NULL THEN 'position'
                    WHEN has_static THEN 'report'
                    ELSE 'rows_without_position' END AS kind,
               {", ".join(outputs)}
        FROM q"""


def typed_columns(layout: Layout, types: list[str]) -> dict[int, str]:
    """The columns of a typed file (Parquet; `types`: each column's DuckDB type, in header
    order) whose values can be read as they are: the same values, reasons and details as
    through their text, for a fraction of the time (issue 16: the text round trip was ~80% of
    staging a 1M-row Parquet file).

    Why these only: an integer or a DOUBLE written as text by DuckDB reads back as the same
    DOUBLE (the shortest text that round-trips), and an integer is an MMSI's digits when it
    lies in 0..10^18 - 1; a REAL would read back as its shortest decimal, not its widened
    value, and other types (text, decimals, lists) keep the text rules. A lone typed time is
    read as it is between the years 1000 and 9999, and through its ISO text outside them."""
    kinds: dict[int, set[Kind]] = {}
    for name, cols in layout.sources.items():
        kind = FIELD_KINDS.get(name, Kind.TEXT)
        for i in cols:
            kinds.setdefault(i, set()).add(kind)
    ts_cols = layout.sources.get("ts", ())
    typed: dict[int, str] = {}
    for i, used in kinds.items():
        sql_type = types[i]
        if sql_type in _TYPED_TIMES and used == {Kind.TIME} and ts_cols == (i,):
            typed[i] = sql_type
        elif sql_type in _INTEGER_TYPES and used <= {Kind.MMSI, Kind.FLOAT, Kind.INT, Kind.CODE}:
            typed[i] = sql_type
        elif sql_type == "DOUBLE" and used <= {Kind.FLOAT, Kind.INT, Kind.CODE}:
            typed[i] = sql_type
    return typed


_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT",
                            "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"})
# the typed times read as they are (the years that their ISO text reads back exactly); a
# TIMESTAMPTZ's UTC wall time by arithmetic on its microseconds, the same value as
# `timezone('UTC', t)`, which goes through ICU's calendar per row (~0.09 CPU-s per 1M rows)
_TIME_RANGE = {"TIMESTAMP WITH TIME ZONE": ("TIMESTAMPTZ '1000-01-01 00:00:00+00'",
                                            "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'",
                                            "make_timestamp(epoch_us({0}))"),
               "TIMESTAMP": ("TIMESTAMP '1000-01-01 00:00:00'",
                             "TIMESTAMP '9999-12-31 23:59:59.999999'", "{0}")}


def _add_field(parts: _Parts, layout: Layout, name: str, kind: Kind) -> None:
    """The parse of one field into `f_<name>`, and the checks that name its bad values."""
    cols = layout.sources[name]
    ins = [parts.text(i) for i in cols]
    heads = [layout.header[i] for i in cols]
    combine = layout.profile.combine.get(name)
    f = f"f_{name}"
    values, checks, gates = parts.values, parts.checks, parts.gates
    if kind is Kind.MMSI:
        if cols[0] in parts.typed:  # an integer: its digits when >= 0
            values.append(f"CASE WHEN t{cols[0]} BETWEEN 0 AND {10**18 - 1} "
                          f"THEN CAST(t{cols[0]} AS BIGINT) END AS {f}")
        else:
            values.append(f"CASE WHEN regexp_full_match({ins[0]}, '\\s*[0-9]{{1,18}}(\\.0*)?\\s*')"
                          f" THEN TRY_CAST({ins[0]} AS BIGINT) END AS {f}")
        gates.append(f"{f} IS NULL")
        checks.append((f"{f} IS NULL", R.MALFORMED_MMSI,
                       f"CASE WHEN ct_val({ins[0]}) IS NULL THEN {_lit(heads[0] + ' is empty')}"
                       f" ELSE {_problem(heads[0], ins[0], 'is not an integer')} END"))
    elif kind is Kind.TIME:
        value = layout.profile.time_sql.format(*ins)
        if cols[0] in parts.typed:
            low, high, direct = _TIME_RANGE[parts.typed[cols[0]]]
            t = f"t{cols[0]}"
            value = (f"coalesce(CASE WHEN {t} BETWEEN {low} AND {high} "
                     f"THEN {direct.format(t)} END, {value})")
        values.append(f"{value} AS {f}")
        gates.append(f"{f} IS NULL")
        checks.append((f"{f} IS NULL AND ct_val({ins[0]}) IS NULL", R.MISSING_TIME,
                       _lit(heads[0] + " is empty")))
        checks.append((f"{f} IS NULL", R.UNPARSEABLE_TIME,
                       _problem(heads[0], ins[0], "is not a timestamp we can read")))
    elif kind is Kind.TEXT:
        values.append(f"{(combine or '{0}').format(*(f'ct_text({v})' for v in ins))} AS {f}")
    elif kind is Kind.IMO:
        values.append(f"TRY_CAST(CASE WHEN upper(left({ins[0]}, 3)) = 'IMO' THEN {ins[0]}[4:]"
                      f" ELSE {ins[0]} END AS BIGINT) AS {f}")
        gates.append(f"{f} IS NULL AND {ins[0]} <> ''")
        checks.append((f"{f} IS NULL AND ct_val({ins[0]}) IS NOT NULL", R.UNPARSEABLE_ROW,
                       _problem(heads[0], ins[0], "is not an IMO number")))
    else:
        _add_number(parts, layout, name, kind)


def _add_number(parts: _Parts, layout: Layout, name: str, kind: Kind) -> None:
    """FLOAT, INT, CODE: numbers (or, for CODE, a label from the profile's table); INT and CODE
    must also be whole and fit their column type."""
    cols = layout.sources[name]
    ins = [parts.text(i) for i in cols]
    heads = [layout.header[i] for i in cols]
    combine = layout.profile.combine.get(name)
    f = f"f_{name}"
    numbers = [f"nullif(CAST(t{i} AS DOUBLE), 'NaN'::DOUBLE)" if i in parts.typed
               else f"nullif(TRY_CAST({v} AS DOUBLE), 'NaN'::DOUBLE)"
               for i, v in zip(cols, ins, strict=True)]
    value = (combine or "{0}").format(*numbers)
    labels = layout.profile.labels.get(name) if kind is Kind.CODE else None
    if labels:
        cases = " ".join(f"WHEN '{k}' THEN {c}" for k, c in labels.items())
        key = f"regexp_replace(lower({ins[0]}), '[^a-z]', '', 'g')"
        value = f"coalesce({value}, CASE {key} {cases} END)"
    parts.values.append(f"{value} AS {f}")
    for i, v, number, head in zip(cols, ins, numbers, heads, strict=True):
        # a typed value's text is never '' (and NULL is no value, as '' is)
        parts.gates.append(f"{f} IS NULL AND " + (f"t{i} IS NOT NULL" if i in parts.typed
                                                  else f"{v} <> ''"))
        failed = f"{f} IS NULL" + (f" AND {number} IS NULL" if len(ins) > 1 else "")
        lenient = f" AND NOT regexp_matches({v}, '[a-zA-Z]')" if labels else ""
        parts.checks.append((f"{failed} AND ct_val({v}) IS NOT NULL{lenient}",
                             R.UNPARSEABLE_ROW, _problem(head, v, "is not a number")))
    if kind is not Kind.FLOAT:
        bound = INT_BOUNDS[INT_SQL_TYPES[name]]
        parts.gates.append(f"{f} <> trunc({f}) OR abs({f}) > {bound}")
        parts.checks.append((f"{f} <> trunc({f}) OR abs({f}) > {bound}", R.UNPARSEABLE_ROW,
                             _problem(heads[0], ins[0], f"is not a whole number up to {bound}")))


def _skips_sql(layout: Layout, parts: _Parts) -> str:
    """The profile's skip rules as CASE branches: rows counted, not stored (base stations,
    message types we do not keep)."""
    raw_values = {f: f"ct_val({parts.text(cols[0])})" for f, cols in layout.sources.items()}
    skips = ""
    for condition, key in layout.profile.skip:
        try:
            skips += f"WHEN {condition.format(**raw_values)} THEN {key.format(**raw_values)} "
        except KeyError:
            continue  # the rule reads a column this file lacks
    return skips


# A typed time (Parquet) as ISO text, and the format that reads it back, tried before the
# recipe: DuckDB writes a TIMESTAMPTZ as '... 10:00:00.095089+00', which every format of the
# recipes refuses (`try_strptime` with a list of formats costs ~2 us per failed format), so
# each row reached the recipe's last resort, the ICU cast: 12 of 17 s of a 1M-row Parquet
# file. The value is the same instant; a NULL stays NULL, and a time the format cannot write
# back (before year 1, after 9999) falls through to the recipe as before.
_TYPED_TIMES = {
    "TIMESTAMP WITH TIME ZONE": "strftime(timezone('UTC', {0}), '%Y-%m-%d %H:%M:%S.%f')",
    "TIMESTAMP": "strftime({0}, '%Y-%m-%d %H:%M:%S.%f')",
}
_TYPED_TIME_FIRST = "coalesce(try_strptime({0}, '%Y-%m-%d %H:%M:%S.%f'), "  # + recipe + ")"


def parquet_inputs(layout: Layout, types: list[str]) -> tuple[Layout, str, dict[int, str]]:
    """The used columns of a Parquet file as `c<i>` for `convert_sql` (`types`: each column's
    DuckDB type, in header order), the layout to convert them with, and the columns read as
    they are typed (`typed_columns`, for `convert_sql`). A lone typed time column that is not
    read as it is (outside the years 1000-9999) is read as ISO text, read back first by one
    format (`_TYPED_TIMES`)."""
    used = sorted({i for cols in layout.sources.values() for i in cols})
    ts_cols = layout.sources.get("ts", ())
    typed = typed_columns(layout, types)
    inputs = []
    for i in used:
        column = quoted(layout.header[i])
        if ts_cols == (i,) and types[i] in _TYPED_TIMES:
            if i not in typed:
                column = _TYPED_TIMES[types[i]].format(column)
            layout = replace(layout, profile=replace(
                layout.profile, time_sql=_TYPED_TIME_FIRST + layout.profile.time_sql + ")"))
        inputs.append(f"{column} AS c{i}")
    return layout, ", ".join(inputs), typed


def quoted(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'
