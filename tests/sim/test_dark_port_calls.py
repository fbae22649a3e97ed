"""Planted dark port calls (AIS off from 20 km before a watched port to 20 km after) against
the gap and possible-dark-port-call detectors, scored by `evaluate` with the place required to
match: every call is found at its port; the other watched ports within reach are listed too,
which is what a screening signal is for (docs/concepts/evaluation.md)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.places import load_curated_gazetteer
from cargotrace.sim.evaluate import (
    Evaluation,
    MatchParams,
    evaluate,
    read_events,
    read_truth,
    store_data_end,
)
from cargotrace.sim.run import simulate
from cargotrace.sim.scenarios import BehaviourCounts, ScenarioParams

CALLS = 8


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Evaluation, Path]:
    out = tmp_path_factory.mktemp("dark-calls")
    simulate(ScenarioParams.for_scenario("mixed", vessels=50, days=10, seed=3,
                                         behaviours=BehaviourCounts(dark_port_calls=CALLS)), out)
    with cargotrace.open_store(out / "s.duckdb") as store:
        for name in ("positions.parquet", "vessel_reports.parquet"):
            ingest_file(store, out / name)
        load_curated_gazetteer(store)
        detect(store, kinds=["gap", "possible_dark_port_call"])
        result = evaluate(read_events(store), read_truth(out / "truth.parquet"), MatchParams(),
                          data_end=store_data_end(store),
                          kinds={"gap", "possible_dark_port_call"})
    return result, out


def test_every_dark_call_is_listed_at_its_port(scored: tuple[Evaluation, Path]) -> None:
    result, _ = scored
    calls = result.score("possible_dark_port_call")
    assert calls.truth == CALLS and calls.recall == 1.0, calls
    # the event spans the whole silence, the truth only the stay inside it (20 km each side)
    matched = [m for m in result.matches if m.kind == "possible_dark_port_call"]
    assert len(matched) == CALLS
    assert all(-180 < m.start_error_min < 0 < m.end_error_min < 180 for m in matched)
    gaps = result.score("gap")
    assert gaps.truth >= CALLS and gaps.precision == 1.0 and gaps.recall == 1.0


def test_a_call_listed_at_another_port_does_not_count(scored: tuple[Evaluation, Path]) -> None:
    result, out = scored
    calls = result.score("possible_dark_port_call")
    # the other watched ports near the true one are reachable in the same silence: listed, and
    # unmatched (the precision of a list of possibilities, not an error)
    assert calls.fp == calls.detected - CALLS > 0
    truth = read_truth(out / "truth.parquet")
    elsewhere = pc.if_else(pc.equal(truth["kind"], "possible_dark_port_call"),
                           pa.scalar("ct:tartus"), truth["place_id"])
    moved = truth.set_column(truth.schema.get_field_index("place_id"), "place_id", elsewhere)
    with cargotrace.open_store(out / "s.duckdb", read_only=True) as store:
        events = read_events(store)
        end = store_data_end(store)
    kinds = {"possible_dark_port_call"}
    assert evaluate(events, moved, MatchParams(), data_end=end,
                    kinds=kinds).score("possible_dark_port_call").recall == 0.0
    # without a place_id column the rule cannot apply: any listed port of the silence matches
    unplaced = events.drop_columns(["place_id"])
    assert evaluate(unplaced, moved, MatchParams(), data_end=end,
                    kinds=kinds).score("possible_dark_port_call").recall == 1.0
