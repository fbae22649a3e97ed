"""`cargotrace evaluate`: hand-built truth and detections scored exactly (issue 3).

Times sit around the reference case: the Angara loading at Najin from 7 Sept 2023.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import cargotrace
from cargotrace.cli.app import app
from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.sim.evaluate import Evaluation, evaluate, read_truth
from cargotrace.sim.params import MatchParams, OpenEnd
from cargotrace.sim.truth import TruthRow, truth_table

T0 = datetime(2023, 9, 7, 0, 0, tzinfo=UTC)
ANGARA = 273_610_930  # Russian MID 273
LADY_R = 273_549_900
CHOL_RYONG = 445_118_000  # DPRK MID 445
BALTIC = 636_021_457  # Liberia

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("kind", pa.string()),
        ("mmsi", pa.int64()),
        ("other_mmsi", pa.int64()),
        ("start", pa.timestamp("us", tz="UTC")),
        ("end", pa.timestamp("us", tz="UTC")),
        ("attrs", pa.string()),
    ]
)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def truth(
    truth_id: str,
    kind: str,
    start_h: float,
    end_h: float,
    mmsi: int = ANGARA,
    other: int | None = None,
    subkind: str | None = None,
) -> TruthRow:
    return TruthRow(truth_id=truth_id, kind=kind, mmsi=mmsi, start=at(start_h), end=at(end_h),
                    subkind=subkind, other_mmsi=other)


def event(
    event_id: str,
    kind: str,
    start_h: float,
    end_h: float | None,
    mmsi: int = ANGARA,
    other: int | None = None,
    identity_kind: str | None = None,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {"duration_h": None if end_h is None else end_h - start_h}
    if identity_kind:
        attrs["identity_kind"] = identity_kind
    return {"event_id": event_id, "kind": kind, "mmsi": mmsi, "other_mmsi": other,
            "start": at(start_h), "end": None if end_h is None else at(end_h),
            "attrs": json.dumps(attrs)}


def run(
    truths: list[TruthRow],
    events: list[dict[str, Any]],
    kinds: set[str] | None = None,
    data_end_h: float | None = None,
    **params: Any,
) -> Evaluation:
    return evaluate(
        pa.Table.from_pylist(events, schema=EVENT_SCHEMA),
        truth_table(truths),
        MatchParams(**params),
        kinds=kinds,
        data_end=None if data_end_h is None else at(data_end_h),
    )


def counts(result: Evaluation, kind: str) -> tuple[int, int, int]:
    s = result.score(kind)
    return s.tp, s.fp, s.fn


def test_perfect_match() -> None:
    truths = [
        truth("gap-0001", "gap", 10, 22),
        truth("encounter-0001", "encounter", 30, 34, other=LADY_R),
        truth("port_visit-0001", "port_visit", 0, 20, mmsi=CHOL_RYONG),
    ]
    events = [
        event("e1", "gap", 10, 22),
        event("e2", "encounter", 30, 34, other=LADY_R),
        event("e3", "port_visit", 0, 20, mmsi=CHOL_RYONG),
    ]
    result = run(truths, events)
    assert [s.kind for s in result.kinds] == ["encounter", "gap", "port_visit"]
    for s in result.kinds:
        assert (s.tp, s.fp, s.fn, s.duplicates) == (1, 0, 0, 0)
        assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
        assert (s.start_error_max_min, s.end_error_max_min) == (0.0, 0.0)
        assert s.unmatched_truth_ids == s.unmatched_event_ids == []
    assert [(m.truth_id, m.event_id) for m in result.matches] == [
        ("encounter-0001", "e2"), ("gap-0001", "e1"), ("port_visit-0001", "e3")
    ]
    assert result.unscored_events == result.unscored_truth == {}


@pytest.mark.parametrize(
    ("start_h", "end_h", "min_overlap", "expected"),
    [
        pytest.param(15, 27, 0.5, (1, 0, 0), id="7_of_12h_above_half"),
        pytest.param(16, 28, 0.5, (1, 0, 0), id="6_of_12h_exactly_half"),
        pytest.param(17, 29, 0.5, (0, 1, 1), id="5_of_12h_below_half"),
        pytest.param(13, 25, 0.75, (1, 0, 0), id="9_of_12h_at_three_quarters"),
        pytest.param(14, 26, 0.75, (0, 1, 1), id="8_of_12h_below_three_quarters"),
        pytest.param(4, 40, 0.5, (1, 0, 0), id="event_covers_truth"),
    ],
)
def test_partial_overlap(
    start_h: float, end_h: float, min_overlap: float, expected: tuple[int, int, int]
) -> None:
    result = run([truth("gap-0001", "gap", 10, 22)], [event("e1", "gap", start_h, end_h)],
                 min_overlap_fraction=min_overlap)
    assert counts(result, "gap") == expected


def test_event_overlap_fraction_rejects_an_overlong_event() -> None:
    result = run([truth("gap-0001", "gap", 10, 22)], [event("e1", "gap", 4, 40)],
                 min_event_overlap_fraction=0.5)  # 12 h of a 36 h event
    assert counts(result, "gap") == (0, 1, 1)


def test_duplicate_detection_is_a_false_positive() -> None:
    truths = [truth("gap-0001", "gap", 10, 22)]
    # "e-a" sorts first but fits worse: the better-fitting "e-b" gets the truth
    events = [event("e-a", "gap", 11, 22), event("e-b", "gap", 10, 22)]
    s = run(truths, events).score("gap")
    assert (s.tp, s.fp, s.fn, s.duplicates) == (1, 1, 0, 1)
    assert s.duplicate_event_ids == s.unmatched_event_ids == ["e-a"]
    assert (s.precision, s.recall) == (0.5, 1.0)
    assert s.f1 == pytest.approx(2 / 3)


def test_equal_fit_is_broken_by_event_id() -> None:
    events = [event("e-b", "gap", 10, 22), event("e-a", "gap", 10, 22)]
    result = run([truth("gap-0001", "gap", 10, 22)], events)
    assert [m.event_id for m in result.matches] == ["e-a"]
    assert result.score("gap").duplicate_event_ids == ["e-b"]


def test_one_event_matches_one_truth_only() -> None:
    # two truth gaps of one vessel, one long detection covering both: it can claim one
    truths = [truth("gap-0001", "gap", 10, 22), truth("gap-0002", "gap", 24, 30)]
    s = run(truths, [event("e1", "gap", 10, 30)]).score("gap")
    assert (s.tp, s.fp, s.fn) == (1, 0, 1)
    assert s.unmatched_truth_ids == ["gap-0002"]  # the shorter-error pair won: gap-0001


def test_wrong_vessel_is_no_match() -> None:
    s = run([truth("gap-0001", "gap", 10, 22)], [event("e1", "gap", 10, 22, mmsi=BALTIC)]).score(
        "gap"
    )
    assert (s.tp, s.fp, s.fn, s.duplicates) == (0, 1, 1, 0)
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    assert (s.unmatched_truth_ids, s.unmatched_event_ids) == (["gap-0001"], ["e1"])


@pytest.mark.parametrize(
    ("mmsi", "other", "expected"),
    [
        pytest.param(ANGARA, LADY_R, (1, 0, 0), id="same_order"),
        pytest.param(LADY_R, ANGARA, (1, 0, 0), id="reversed_pair"),
        pytest.param(ANGARA, BALTIC, (0, 1, 1), id="other_partner"),
        pytest.param(ANGARA, None, (0, 1, 1), id="one_vessel_only"),
    ],
)
def test_encounter_pair_is_unordered(
    mmsi: int, other: int | None, expected: tuple[int, int, int]
) -> None:
    result = run([truth("encounter-0001", "encounter", 30, 34, other=LADY_R)],
                 [event("e1", "encounter", 30.5, 34, mmsi=mmsi, other=other)])
    assert counts(result, "encounter") == expected


def test_shared_mmsi_with_other_mmsi_equal_to_mmsi_counts_as_one_vessel() -> None:
    truths = [truth("identity-0001", "identity", 40, 90, mmsi=CHOL_RYONG, subkind="shared_mmsi")]
    events = [event("e1", "identity", 41, 90, mmsi=CHOL_RYONG, other=CHOL_RYONG,
                    identity_kind="shared_mmsi")]
    assert counts(run(truths, events), "identity") == (1, 0, 0)


def test_identity_subkind_must_agree() -> None:
    truths = [truth("identity-0001", "identity", 50, 50, subkind="teleport")]
    events = [event("e1", "identity", 50, 50, identity_kind="name_change")]
    result = run(truths, events)
    assert counts(result, "identity") == (0, 1, 1)
    by_subkind = {s.subkind: (s.truth, s.detected, s.tp, s.precision, s.recall)
                  for s in result.subkinds}
    assert by_subkind == {"name_change": (0, 1, 0, 0.0, 1.0), "teleport": (1, 0, 0, 0.0, 0.0)}


def test_identity_event_without_identity_kind_matches_nothing() -> None:
    result = run([truth("identity-0001", "identity", 50, 50, subkind="teleport")],
                 [event("e1", "identity", 50, 50)])
    assert counts(result, "identity") == (0, 1, 1)
    assert result.score("identity").unmatched_event_ids == ["e1"]


@pytest.mark.parametrize(
    ("start_h", "end_h", "tolerance_min", "matched", "start_error_min", "end_error_min"),
    [
        pytest.param(50, 50, 60, True, 0.0, 0.0, id="same_instant"),
        pytest.param(50.75, 50.75, 60, True, 45.0, 45.0, id="45_min_late"),
        pytest.param(49, 49, 60, True, -60.0, -60.0, id="60_min_early_at_tolerance"),
        pytest.param(51.5, 51.5, 60, False, None, None, id="90_min_late"),
        pytest.param(49, 50, 60, True, -60.0, 0.0, id="jump_between_two_fixes"),
        pytest.param(50.5, 50.5, 0, False, None, None, id="zero_tolerance"),
    ],
)
def test_teleport_tolerance(
    start_h: float,
    end_h: float,
    tolerance_min: float,
    matched: bool,
    start_error_min: float | None,
    end_error_min: float | None,
) -> None:
    truths = [truth("identity-0003", "identity", 50, 50, subkind="teleport")]
    events = [event("e1", "identity", start_h, end_h, identity_kind="teleport")]
    result = run(truths, events, instant_tolerance_min=tolerance_min)
    assert counts(result, "identity") == ((1, 0, 0) if matched else (0, 1, 1))
    if matched:
        (match,) = result.matches
        assert (match.start_error_min, match.end_error_min) == (start_error_min, end_error_min)


def test_teleport_score_falls_with_distance() -> None:
    truths = [truth("identity-0003", "identity", 50, 50, subkind="teleport")]
    events = [event("e1", "identity", 50.75, 50.75, identity_kind="teleport")]
    assert run(truths, events).matches[0].score == 0.25


def test_open_gap_matches_a_truth_gap_ending_at_data_end() -> None:
    truths = [truth("gap-0009", "gap", 200, 240)]  # AIS off until the simulation ends
    events = [event("e1", "gap", 200.5, None)]
    result = run(truths, events, data_end_h=240)
    s = result.score("gap")
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    assert (s.start_error_median_min, s.end_error_median_min) == (30.0, 0.0)
    assert result.data_end == at(240)


@pytest.mark.parametrize(
    ("open_end_as", "min_event_overlap", "matched", "end_error_min"),
    [
        pytest.param(OpenEnd.DATA_END, 0.0, True, 218 * 60.0, id="data_end"),
        pytest.param(OpenEnd.DATA_END, 0.5, False, None, id="data_end_overlong"),
        pytest.param(OpenEnd.TRUTH_END, 0.5, True, 0.0, id="truth_end"),
    ],
)
def test_open_event_against_a_closed_truth(
    open_end_as: OpenEnd, min_event_overlap: float, matched: bool, end_error_min: float | None
) -> None:
    result = run([truth("gap-0001", "gap", 10, 22)], [event("e1", "gap", 10, None)],
                 data_end_h=240, open_end_as=open_end_as,
                 min_event_overlap_fraction=min_event_overlap)
    assert counts(result, "gap") == ((1, 0, 0) if matched else (0, 1, 1))
    assert result.score("gap").end_error_max_min == end_error_min


def test_data_end_is_never_before_the_tables() -> None:
    result = run([truth("gap-0001", "gap", 10, 22)], [event("e1", "gap", 10, None)], data_end_h=5)
    assert result.data_end == at(22)


def test_kinds_filter() -> None:
    truths = [truth("gap-0001", "gap", 10, 22),
              truth("encounter-0001", "encounter", 30, 34, other=LADY_R)]
    events = [
        event("e1", "gap", 10, 22),
        event("e2", "encounter", 30, 34, other=LADY_R),
        event("e3", "loitering", 60, 70),
        event("e4", "sanction_match", 0, 0),
    ]
    default = run(truths, events)
    assert [s.kind for s in default.kinds] == ["encounter", "gap"]
    assert default.unscored_events == {"loitering": 1, "sanction_match": 1}
    assert default.unscored_truth == {}

    asked = run(truths, events, kinds={"gap", "loitering"})
    assert [s.kind for s in asked.kinds] == ["gap", "loitering"]
    loitering = asked.score("loitering")
    assert (loitering.tp, loitering.fp, loitering.fn) == (0, 1, 0)
    assert (loitering.precision, loitering.recall, loitering.f1) == (0.0, 1.0, 0.0)
    assert asked.unscored_events == {"encounter": 1, "sanction_match": 1}
    assert asked.unscored_truth == {"encounter": 1}


def test_unknown_kind_is_a_params_error() -> None:
    with pytest.raises(ParamsError, match="^unknown kind\\(s\\) gaps; use port_visit, gap, "):
        run([], [], kinds={"gaps"})


@pytest.mark.parametrize(
    ("truths", "events", "expected"),
    [
        pytest.param([], [], (1.0, 1.0, 1.0), id="nothing_to_find_nothing_found"),
        pytest.param([truth("gap-0001", "gap", 10, 22)], [], (0.0, 0.0, 0.0), id="all_missed"),
    ],
)
def test_zero_denominators(
    truths: list[TruthRow], events: list[dict[str, Any]], expected: tuple[float, float, float]
) -> None:
    s = run(truths, events, kinds={"gap"}).score("gap")
    assert (s.precision, s.recall, s.f1) == expected
    assert s.start_error_median_min is None


def test_timing_errors_are_exact() -> None:
    truths = [truth("gap-0001", "gap", 10, 22), truth("gap-0002", "gap", 40, 52),
              truth("gap-0003", "gap", 100, 130)]
    events = [
        event("e1", "gap", 10 + 10 / 60, 22),  # start +10 min, end 0
        event("e2", "gap", 39.5, 52.75),  # start -30 min, end +45 min
        event("e3", "gap", 101.5, 128),  # start +90 min, end -120 min
    ]
    s = run(truths, events).score("gap")
    assert (s.tp, s.fp, s.fn) == (3, 0, 0)
    assert s.start_error_median_min == pytest.approx(30.0)
    assert s.start_error_max_min == pytest.approx(90.0)
    assert (s.end_error_median_min, s.end_error_max_min) == (45.0, 120.0)
    signed = {m.truth_id: (m.start_error_min, m.end_error_min) for m in run(truths, events).matches}
    assert signed["gap-0003"] == (90.0, -120.0)


def test_shuffled_events_give_the_same_evaluation() -> None:
    truths = [truth(f"gap-{i:04d}", "gap", 30 * i, 30 * i + 12) for i in range(8)]
    events = [event(f"e{i}", "gap", 30 * i + i / 4, 30 * i + 12) for i in range(8)]
    events += [event("dup", "gap", 31, 42)]
    expected = run(truths, events)
    random.Random(7).shuffle(events)
    assert run(truths, events) == expected
    assert expected.score("gap").duplicate_event_ids == ["dup"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_overlap_fraction": 0.0}, "min_overlap_fraction must be in (0, 1], got 0.0"),
        ({"min_overlap_fraction": 1.5}, "min_overlap_fraction must be in (0, 1], got 1.5"),
        ({"min_event_overlap_fraction": -0.1},
         "min_event_overlap_fraction must be in [0, 1], got -0.1"),
        ({"instant_tolerance_min": -5}, "instant_tolerance_min must be >= 0 minutes, got -5"),
        ({"open_end_as": "forever"},
         "open_end_as must be one of data_end, truth_end, got 'forever'"),
    ],
)
def test_match_params_are_validated(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParamsError) as info:
        MatchParams(**params)
    assert str(info.value) == message


def test_match_params_document_every_field() -> None:
    import dataclasses

    for f in dataclasses.fields(MatchParams):
        assert f.metadata.get("help"), f.name


# --- reading truth files ------------------------------------------------------------------

def test_read_truth_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "truth.parquet"
    pq.write_table(pa.table({"truth_id": ["gap-0001"], "kind": ["gap"]}), path)
    with pytest.raises(UnreadableInputError) as info:
        read_truth(path)
    assert str(info.value) == (
        f"{path}: not a truth table: no column(s) subkind, mmsi, other_mmsi, start, end, lat, "
        "lon, place_id, attrs (found: truth_id, kind)"
    )


def test_read_truth_wrong_column_type(tmp_path: Path) -> None:
    path = tmp_path / "truth.parquet"
    table = truth_table([truth("gap-0001", "gap", 10, 22)])
    table = table.set_column(5, "start", pa.array(["7 Sept 2023"]))
    pq.write_table(table, path)
    with pytest.raises(UnreadableInputError) as info:
        read_truth(path)
    assert str(info.value) == (
        f"{path}: column 'start' is string, expected timestamp[us, tz=UTC]"
    )


def test_read_truth_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "truth.parquet"
    path.write_text("truth_id,kind\ngap-0001,gap\n")
    with pytest.raises(UnreadableInputError, match=f"^{path}: not a Parquet file \\("):
        read_truth(path)


# --- the command --------------------------------------------------------------------------

def _store_with_events(path: Path, events: list[dict[str, Any]]) -> None:
    with cargotrace.open_store(path) as store:
        for e in events:
            store.con.execute(
                'INSERT INTO events (event_id, kind, mmsi, other_mmsi, start, "end", attrs, '
                "pipeline_version) VALUES (?, ?, ?, ?, ?, ?, ?, '0.1.0')",
                [e["event_id"], e["kind"], e["mmsi"], e["other_mmsi"], e["start"], e["end"],
                 e["attrs"]],
            )


def test_cli_evaluate_json(tmp_path: Path) -> None:
    """The worked example of docs/concepts/evaluation.md."""
    store, truth_path = tmp_path / "s.duckdb", tmp_path / "truth.parquet"
    _store_with_events(store, [
        event("e1", "gap", 10.5, 22),
        event("e2", "gap", 11, 22),  # duplicate
        event("e3", "encounter", 30, 34, mmsi=LADY_R, other=ANGARA),
        event("e4", "identity", 50.25, 50.25, mmsi=CHOL_RYONG, identity_kind="teleport"),
        event("e5", "loitering", 60, 70),
        event("e6", "identity", 50.25, 50.25, mmsi=CHOL_RYONG, identity_kind="name_change"),
    ])
    pq.write_table(truth_table([
        truth("gap-0001", "gap", 10, 22),
        truth("gap-0002", "gap", 100, 140, mmsi=BALTIC),
        truth("encounter-0001", "encounter", 30, 34, other=LADY_R),
        truth("identity-0001", "identity", 50, 50, mmsi=CHOL_RYONG, subkind="teleport"),
    ]), truth_path)
    result = CliRunner().invoke(
        app, ["evaluate", "--store", str(store), "--truth", str(truth_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["params"] == {"min_overlap_fraction": 0.5, "min_event_overlap_fraction": 0.0,
                             "instant_tolerance_min": 60.0, "open_end_as": "data_end",
                             "outage_lead_min": 60.0}
    assert doc["data_end"] == "2023-09-12T20:00:00+00:00"  # gap-0002's end, 140 h in
    scores = {s["kind"]: s for s in doc["kinds"]}
    assert {k: (s["tp"], s["fp"], s["fn"], s["duplicates"]) for k, s in scores.items()} == {
        "encounter": (1, 0, 0, 0), "gap": (1, 1, 1, 1), "identity": (1, 1, 0, 0),
    }
    assert scores["gap"]["unmatched_truth_ids"] == ["gap-0002"]
    assert scores["gap"]["duplicate_event_ids"] == ["e2"]
    assert scores["gap"]["start_error_max_min"] == 30.0
    assert scores["identity"]["start_error_max_min"] == 15.0
    assert [(s["subkind"], s["tp"], s["fp"]) for s in doc["subkinds"]] == [
        ("name_change", 0, 1), ("teleport", 1, 0)
    ]
    assert [(m["truth_id"], m["event_id"], m["score"]) for m in doc["matches"]] == [
        ("encounter-0001", "e3", 1.0), ("gap-0001", "e1", 11.5 / 12), ("identity-0001", "e4", 0.75)
    ]
    assert doc["unscored_events"] == {"loitering": 1}


def test_cli_evaluate_table_and_kind_option(tmp_path: Path) -> None:
    store, truth_path = tmp_path / "s.duckdb", tmp_path / "truth.parquet"
    _store_with_events(store, [event("e1", "gap", 10, 22), event("e5", "loitering", 60, 70)])
    pq.write_table(truth_table([truth("gap-0001", "gap", 10, 22)]), truth_path)
    args = ["evaluate", "--store", str(store), "--truth", str(truth_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "gap" in result.stdout and "1.000" in result.stdout
    assert "Not scored (kind not in the truth; ask with --kind): loitering ×1" in result.stderr
    result = CliRunner().invoke(app, [*args, "--kind", "loitering", "--json"])
    assert result.exit_code == 0, result.output
    assert [(s["kind"], s["fp"]) for s in json.loads(result.stdout)["kinds"]] == [("loitering", 1)]


def test_cli_evaluate_missing_truth_file(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    _store_with_events(store, [])
    missing = tmp_path / "out" / "truth.parquet"
    proc = subprocess.run(
        [sys.executable, "-m", "cargotrace", "evaluate", "--store", str(store), "--truth",
         str(missing)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        f"Error: {missing}: no such truth file; write one with `cargotrace simulate --out DIR`\n"
    )


def test_cli_evaluate_bad_min_overlap(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", "--store", str(tmp_path / "s.duckdb"),
                                      "--truth", str(tmp_path / "t.parquet"),
                                      "--min-overlap", "0"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ParamsError)
    assert str(result.exception) == "min_overlap_fraction must be in (0, 1], got 0.0"
