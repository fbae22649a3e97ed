"""Presets are typed objects (issue 22): `--set` overrides parse to each field's type, bad keys and
values keep their messages, and events record the same params JSON as when presets were dicts."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

import cargotrace
from cargotrace.detect.params import (
    CoverageParams,
    EncounterParams,
    GapParams,
    IdentityParams,
    LoiteringParams,
    OutlierParams,
)
from cargotrace.detect.presets import GFW, PRESETS, RENDEZVOUS, Preset, resolve
from cargotrace.detect.run import detect
from cargotrace.errors import ParamsError
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.world_gazetteer import gazetteer_version

SAMPLE = "ais_positions/marinecadastre_AIS_2022_01_03_first99999.csv"
DETECTORS = ("outlier, coverage, identity, gap, port_visit, dark_voyage, draught_change, "
             "encounter, loitering, shuttle, window")


def test_a_preset_is_a_typed_frozen_object() -> None:
    assert isinstance(GFW.encounter, EncounterParams) and isinstance(GFW.gap, GapParams)
    assert list(PRESETS) == ["gfw", "rendezvous"]
    # rendezvous differs from gfw in encounters and loitering only (DESIGN.md)
    differs = [d for d in Preset.detectors() if GFW.params_of(d) != RENDEZVOUS.params_of(d)]
    assert differs == ["encounter", "loitering"]
    assert (RENDEZVOUS.encounter.max_distance_m, RENDEZVOUS.encounter.min_duration_h) == (
        250.0, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        GFW.gap = GapParams(min_gap_h=1.0)  # type: ignore[misc]


def test_overrides_parse_to_each_fields_type_and_leave_the_preset_alone() -> None:
    chosen = resolve("rendezvous", {
        "gap.min_gap_h": "4",  # float
        "encounter.resample_min": "5",  # int
        "outlier.enabled": "false",  # bool
        "port_visit.place_kinds": "seaport",  # str
    })
    assert chosen.name == "rendezvous"
    assert chosen.gap == GapParams(min_gap_h=4.0)
    assert chosen.encounter == EncounterParams(max_distance_m=250.0, min_duration_h=0.5,
                                               resample_min=5)
    assert chosen.outlier == OutlierParams(enabled=False)
    assert chosen.port_visit.place_kinds == "seaport"
    assert chosen.loitering == LoiteringParams(min_duration_h=1.0)
    assert RENDEZVOUS.gap == GapParams() and RENDEZVOUS.outlier.enabled
    assert GFW.with_overrides({"outlier.enabled": "yes"}).outlier.enabled
    assert resolve(chosen, {}) is chosen


@pytest.mark.parametrize(("preset", "overrides", "message"), [
    pytest.param("gfw", {"gap": "4"}, f"--set gap=4: expected DETECTOR.FIELD=VALUE with DETECTOR "
                 f"one of {DETECTORS}", id="no_field"),
    pytest.param("gfw", {"gaps.min_gap_h": "4"}, "--set gaps.min_gap_h=4: expected "
                 f"DETECTOR.FIELD=VALUE with DETECTOR one of {DETECTORS}", id="unknown_detector"),
    pytest.param("gfw", {"draught_change.min_change": "1"},
                 "--set draught_change.min_change: draught_change has no field 'min_change' "
                 "(fields: min_change_m)", id="unknown_field"),
    pytest.param("gfw", {"encounter.resample_min": "7.5"},
                 "--set encounter.resample_min=7.5: not a int", id="not_an_int"),
    pytest.param("gfw", {"gap.min_gap_h": "six"}, "--set gap.min_gap_h=six: not a float",
                 id="not_a_float"),
    pytest.param("gfw", {"gap.min_gap_h": "-1"}, "min_gap_h must be > 0, got -1.0",
                 id="rejected_by_the_params_class"),
    pytest.param("gfw", {"gap.min_gap_h": "nan"}, "--set gap.min_gap_h=nan: not a finite number",
                 id="nan"),
    pytest.param("gfw", {"window.gap_h": "inf"}, "--set window.gap_h=inf: not a finite number",
                 id="infinite"),
    pytest.param("skylight", {}, "unknown preset 'skylight'; choose one of gfw, rendezvous",
                 id="unknown_preset"),
])
def test_bad_overrides_say_what_is_wrong(preset: str, overrides: dict[str, str],
                                         message: str) -> None:
    with pytest.raises(ParamsError) as raised:
        resolve(preset, overrides)
    assert str(raised.value) == message


@pytest.fixture(scope="module")
def detected(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 20,000 rows of the real MarineCadastre sample (21 minutes of US traffic),
    identity detected under the rendezvous preset with two `--set` overrides."""
    folder = tmp_path_factory.mktemp("presets")
    csv = folder / "sample.csv"
    pd.read_csv(shared_data / SAMPLE, nrows=20_000).to_csv(csv, index=False)
    with cargotrace.open_store(folder / "s.duckdb") as store:
        ingest_file(store, csv)
        detect(store, kinds=["identity"], preset="rendezvous",
               overrides={"identity.min_jump_km": "6", "outlier.max_agreeing_h": "12"})
    return folder / "s.duckdb"


def _recorded(preset: str, params: object, coverage: object) -> str:
    """The params JSON events record (`events.params`): the preset's name and every
    field, and the coverage parameters under `coverage`, keys sorted, default separators
    (restated here, not imported)."""
    values = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}  # type: ignore[arg-type]
    shared = {f.name: getattr(coverage, f.name) for f in dataclasses.fields(coverage)}  # type: ignore[arg-type]
    return json.dumps({"preset": preset, **values, "coverage": shared}, sort_keys=True,
                      default=str)


def test_events_and_flags_record_the_preset_and_overridden_values(detected: Path) -> None:
    with cargotrace.open_store(detected) as store:
        events = store.con.execute("SELECT kind, params FROM events").fetchall()
        flags = store.con.execute("SELECT params FROM position_flags").fetchall()
    assert events and flags  # the sample has a jumping MMSI and lone glitches
    # identity reads the feed's coverage (a segment is not aged by hours the feed was quiet):
    # its events record the coverage parameters too
    expected = _recorded("rendezvous", IdentityParams(min_jump_km=6.0), CoverageParams())
    assert {kind for kind, _ in events} == {"identity"}
    recorded = [json.loads(params) for _, params in events]
    # beside the parameters, the places the run judged against (the packaged gazetteer)
    assert {r.pop("inputs")["places"]["gazetteer"] for r in recorded} == {gazetteer_version()}
    assert {json.dumps(r, sort_keys=True) for r in recorded} == {expected}
    assert json.loads(flags[0][0])["max_agreeing_h"] == 12.0
