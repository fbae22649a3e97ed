"""`evaluate` on coverage: `left_coverage` is scored like any kind, `outage` truth is never
scored, and silences reported because of an outage are counted (issue 14, part 5).

Hand-built tables: the detector of `left_coverage` is another branch's; these pin the scoring.
Times are hours after 7 Sept 2023 00:00 UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.errors import ParamsError
from cargotrace.sim.evaluate import evaluate
from cargotrace.sim.params import MatchParams
from cargotrace.sim.truth import TruthRow, truth_table

T0 = datetime(2023, 9, 7, tzinfo=UTC)
ANGARA, LADY_R, SPARTA = 273_610_930, 273_549_900, 273_213_710


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def truth(truth_id: str, kind: str, start_h: float, end_h: float | None,
          mmsi: int | None = ANGARA) -> TruthRow:
    attrs = {"station": "all"} if kind == "outage" else {}
    return TruthRow(truth_id, kind, mmsi, at(start_h), None if end_h is None else at(end_h),
                    attrs=attrs)


def events(*rows: tuple[str, str, float, float | None, int]) -> pa.Table:
    return pa.table({
        "event_id": [r[0] for r in rows],
        "kind": [r[1] for r in rows],
        "mmsi": pa.array([r[4] for r in rows], pa.int64()),
        "other_mmsi": pa.array([None] * len(rows), pa.int64()),
        "start": pa.array([at(r[2]) for r in rows], pa.timestamp("us", tz="UTC")),
        "end": pa.array([None if r[3] is None else at(r[3]) for r in rows],
                        pa.timestamp("us", tz="UTC")),
        "attrs": ["{}"] * len(rows),
    })


# An outage from 10 h to 18 h; Angara left coverage at 2 h and came back at 20 h; Lady R
# left at 30 h and was not heard again (open, data ends at 48 h); Sparta's gap at 25-33 h.
TRUTH = [
    truth("outage-0001", "outage", 10, 18, mmsi=None),
    truth("left_coverage-0001", "left_coverage", 2, 20),
    truth("left_coverage-0002", "left_coverage", 30, None, mmsi=LADY_R),
    truth("gap-0001", "gap", 25, 33, mmsi=SPARTA),
]
EVENTS = events(
    ("e-exit", "left_coverage", 2, 20, ANGARA),  # matches
    ("e-open", "left_coverage", 30.1, None, LADY_R),  # matches the open exit
    ("e-gap", "gap", 25, 33, SPARTA),  # matches
    ("e-exit-fp", "left_coverage", 40, 47, SPARTA),  # no such exit: a false positive
    ("e-out-1", "gap", 9.5, 18.2, LADY_R),  # began 30 min before the outage: explained
    ("e-out-2", "dark_voyage", 12, 19, SPARTA),  # began inside it: explained
    ("e-out-3", "left_coverage", 10, 30, SPARTA),  # began at its start: explained
    ("e-before", "gap", 7, 18, LADY_R),  # began 3 h before: the vessel's own, not explained
    ("e-after", "gap", 18, 26, LADY_R),  # began as it ended: not explained
)


def test_left_coverage_is_scored_like_any_kind_and_outage_is_not() -> None:
    result = evaluate(EVENTS, truth_table(TRUTH), data_end=at(48))
    scored = {s.kind for s in result.kinds}
    assert "outage" not in scored and {"left_coverage", "gap"} <= scored
    exits = result.score("left_coverage")
    # truth 2; detected 4, matched 2 (e-exit, e-open); e-exit-fp and e-out-3 unmatched
    assert (exits.truth, exits.detected, exits.tp, exits.fp, exits.fn) == (2, 4, 2, 2, 0)
    assert sorted(exits.unmatched_event_ids) == ["e-exit-fp", "e-out-3"]
    assert result.unscored_truth == {"outage": 1}
    assert {(m.truth_id, m.event_id) for m in result.matches if m.kind == "left_coverage"} == {
        ("left_coverage-0001", "e-exit"), ("left_coverage-0002", "e-open")}


def test_silences_explained_by_the_outage_are_counted() -> None:
    result = evaluate(EVENTS, truth_table(TRUTH), data_end=at(48))
    check = result.outages
    assert (check.outages, check.outage_hours) == (1, 8.0)
    assert check.explained == {"gap": 1, "dark_voyage": 1, "left_coverage": 1}
    assert check.explained_event_ids == ["e-out-1", "e-out-2", "e-out-3"]
    doc = result.to_dict()
    assert doc["outages"]["total_explained"] == 3 and doc["params"]["outage_lead_min"] == 60.0
    # a shorter lead leaves out the gap that began 30 min before the outage
    strict = evaluate(EVENTS, truth_table(TRUTH), MatchParams(outage_lead_min=15),
                      data_end=at(48))
    assert strict.outages.explained["gap"] == 0
    # a matched silence is never put down to the outage, even if it began with it
    matched = evaluate(EVENTS, truth_table([*TRUTH, truth("gap-0002", "gap", 9.5, 18.2,
                                                           mmsi=LADY_R)]), data_end=at(48))
    assert "e-out-1" not in matched.outages.explained_event_ids


def test_no_outage_in_the_truth_reports_nothing() -> None:
    result = evaluate(EVENTS, truth_table(TRUTH[1:]), data_end=at(48))
    assert result.outages.outages == 0 and result.outages.explained == {}
    assert result.to_dict()["outages"]["total_explained"] == 0


def test_kinds_accept_left_coverage_but_not_outage() -> None:
    result = evaluate(EVENTS, truth_table(TRUTH), kinds={"left_coverage"}, data_end=at(48))
    assert [s.kind for s in result.kinds] == ["left_coverage"]
    with pytest.raises(ParamsError, match="outage"):
        evaluate(EVENTS, truth_table(TRUTH), kinds={"outage"})


def _store_with(path: Path, table: pa.Table) -> None:
    with cargotrace.open_store(path) as store:
        for r in table.to_pylist():
            store.con.execute(
                'INSERT INTO events (event_id, kind, mmsi, other_mmsi, start, "end", attrs, '
                "pipeline_version) VALUES (?, ?, ?, ?, ?, ?, ?, '0.1.0')",
                [r["event_id"], r["kind"], r["mmsi"], r["other_mmsi"], r["start"], r["end"],
                 r["attrs"]],
            )


def test_cli_shows_the_outage_check(tmp_path: Path) -> None:
    store, truth_path = tmp_path / "s.duckdb", tmp_path / "truth.parquet"
    _store_with(store, EVENTS)
    pq.write_table(truth_table(TRUTH), truth_path)
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--store", str(store), "--truth", str(truth_path)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "left_coverage" in text
    assert ("Feed outages in the truth: 1 (8 h). Silences reported because of them (should be "
            "0): gap 1, dark_voyage 1, left_coverage 1.") in text
    result = runner.invoke(app, ["evaluate", "--store", str(store), "--truth", str(truth_path),
                                 "--json", "--outage-lead-min", "15"])
    doc: dict[str, Any] = json.loads(result.stdout)
    assert doc["outages"]["explained"] == {"gap": 0, "dark_voyage": 1, "left_coverage": 1}
