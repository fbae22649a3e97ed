"""Gaps and coverage exits made on Spark's executors: the silences never come to the driver.

Why apart from `gaps.py` and `left_coverage.py`: on DuckDB the silence candidates are collected,
the positions at their ends are looked up with one join of the collected keys
(`left_coverage.at_silence_ends`), and Python splits exits from gaps. On Spark
(`on_executors.py`) the lookup is a join in the candidates' own expression instead
(`with_silence_ends`: the end positions' `AT_END` values as `start_*`/`end_*` columns), so an
executor holds everything one vessel's silences need, and `silence_events` rebuilds the
lookup from those columns and runs the same judgement (`exits_at`, `gap_events`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from cargotrace.detect.coverage import CoverageModel
from cargotrace.detect.gaps import gap_events
from cargotrace.detect.left_coverage import AT_END, Key, exits_at, positions_at
from cargotrace.detect.params import CoverageParams, GapParams
from cargotrace.store.events import Event

_SIDES = ("start", "end")


def with_silence_ends(positions: Any, silences: Any) -> Any:
    """`silences` (`gaps.gap_candidates` rows) with the `AT_END` values of the positions
    at their start and at their end (`start_cog`, ..., `end_class_b`; NULL for an open end)."""
    keys = silences.select(k_mmsi=silences.mmsi, k_ts=silences.start)
    closed = silences.filter(silences["end"].notnull())
    keys = keys.union(closed.select(k_mmsi=closed.mmsi, k_ts=closed["end"])).distinct()
    ends = positions_at(positions, keys)
    out = silences
    for side in _SIDES:
        at = ends.select(**{f"{side}_k_mmsi": ends.k_mmsi, f"{side}_k_ts": ends.k_ts},
                         **{f"{side}_{c}": ends[c] for c in AT_END})
        out = out.left_join(at, [out.mmsi == at[f"{side}_k_mmsi"],
                                 out[side] == at[f"{side}_k_ts"]])
        out = out.drop(f"{side}_k_mmsi", f"{side}_k_ts")
    return out.select(*silences.columns, *[f"{side}_{c}" for side in _SIDES for c in AT_END])


def _split_ends(candidates: pa.Table) -> tuple[pa.Table, dict[Key, dict[str, Any]]]:
    """The candidates without the end columns, and the lookup `at_silence_ends` gives, rebuilt
    from them (a key whose position was heard has a `class_b` of 0 or 1)."""
    ends = [f"{side}_{c}" for side in _SIDES for c in AT_END]
    at: dict[Key, dict[str, Any]] = {}
    for row in candidates.select(["mmsi", *_SIDES, *ends]).to_pylist():
        for side in _SIDES:
            if row[f"{side}_class_b"] is not None:
                key = (int(row["mmsi"]), row[side])
                at[key] = {"k_mmsi": key[0], "k_ts": key[1],
                           **{c: row[f"{side}_{c}"] for c in AT_END}}
    return candidates.drop_columns(ends), at


def silence_events(candidates: pa.Table, params: GapParams, data_end: datetime,
                   coverage: CoverageModel, coverage_params: CoverageParams) -> list[Event]:
    """One partition's silences to gap and left-coverage events, as `registry._gaps` makes
    them on the driver (the end columns present when the run judges exits)."""
    if f"start_{AT_END[0]}" in candidates.column_names:
        candidates, at = _split_ends(candidates)
        candidates, exits = exits_at(candidates, at, coverage, coverage_params)
    else:
        exits = []
    return gap_events(candidates, params, data_end, coverage) + exits


def silence_candidates(positions: Any, silences: Any, judge_exits: bool) -> Any:
    """The executors' candidates: the silences, with their ends' positions when exits are
    judged (`left_coverage.judges_exits`)."""
    return with_silence_ends(positions, silences) if judge_exits else silences
