"""Planted dark port calls (AIS off from 20 km before a watched port to 20 km after) against
the gap and possible-dark-port-call detectors, scored by `evaluate` with the place required to
match: every silence that hid a call is found, with its port among those it names, and no other
silence is (docs/concepts/evaluation.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.gazetteers import load_curated_gazetteer
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.evaluate import Evaluation, evaluate, read_events, read_truth, store_data_end
from cargotrace.sim.params import BehaviourCounts, MatchParams, ScenarioParams
from cargotrace.sim.run import simulate

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


def test_every_dark_call_is_found_with_its_port(scored: tuple[Evaluation, Path]) -> None:
    result, out = scored
    calls = result.score("possible_dark_port_call")
    assert calls.truth == CALLS and calls.recall == 1.0 and calls.precision == 1.0, calls
    # the event spans the whole silence, the truth only the stay inside it (20 km each side)
    matched = [m for m in result.matches if m.kind == "possible_dark_port_call"]
    assert len(matched) == CALLS
    assert all(-180 < m.start_error_min < 0 < m.end_error_min < 180 for m in matched)
    gaps = result.score("gap")
    assert gaps.truth >= CALLS and gaps.precision == 1.0 and gaps.recall == 1.0
    # the port named first is the one with the shortest detour: the true one, except where two
    # watched ports share a bay (Nakhodka and Vostochny, 16 km apart)
    truth = {r["mmsi"]: r["place_id"] for r in read_truth(out / "truth.parquet").to_pylist()
             if r["kind"] == "possible_dark_port_call"}
    with cargotrace.open_store(out / "s.duckdb", read_only=True) as store:
        named = store.con.execute("SELECT mmsi, place_id, attrs FROM events "
                                  "WHERE kind = 'possible_dark_port_call'").fetchall()
    bay = {"ct:nakhodka", "ct:vostochny"}
    for mmsi, place_id, attrs in named:
        detours = [c["detour_km"] for c in json.loads(attrs)["candidates"]]
        assert detours == sorted(detours)
        assert place_id == truth[mmsi] or {place_id, truth[mmsi]} <= bay


def test_a_call_at_a_port_the_event_does_not_name_does_not_count(
    scored: tuple[Evaluation, Path],
) -> None:
    _, out = scored
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
    # without a place_id column the rule cannot apply: the silence alone matches
    unplaced = events.drop_columns(["place_id"])
    assert evaluate(unplaced, moved, MatchParams(), data_end=end,
                    kinds=kinds).score("possible_dark_port_call").recall == 1.0
