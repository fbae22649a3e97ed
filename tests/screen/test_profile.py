"""`vessel_profile` on a small hand-built store: ANGARA (IMO 9179842) meets a tanker at sea,
then goes dark for 16 h far offshore in the Sea of Japan."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

import cargotrace
from cargotrace.detect.run import detect
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.screen.profile import vessel_profile
from cargotrace.screen.screen import screen_store

from .factories import T0, track, write_marinecadastre

ANGARA_MMSI = 273311111
PARTNER_MMSI = 273322222
CONTRACT_KEYS = {"identities", "sanctions", "owners", "events", "practices"}
HIT_KEYS = {"list", "program", "listed_on", "entity_name", "imo", "match", "score", "reasons"}


@pytest.fixture
def angara_store(screen_store: cargotrace.Store, tmp_path: Path) -> cargotrace.Store:
    rows = (
        track(ANGARA_MMSI, "ANGARA", "IMO9179842", T0, 360, 40.0, 134.0, 0.5)
        + track(PARTNER_MMSI, "SEA BREEZE", "IMO9387425", T0, 360, 40.0009, 134.0, 0.5,
                ship_type=80)
        + track(ANGARA_MMSI, "ANGARA", "IMO9179842", T0 + timedelta(hours=6), 360, 40.05,
                134.0, 10.0)
        + track(ANGARA_MMSI, "ANGARA", "IMO9179842", T0 + timedelta(hours=28), 240, 41.5,
                134.0, 10.0)
    )
    ingest_file(screen_store, write_marinecadastre(tmp_path / "angara.csv", rows))
    return screen_store


def _practices(profile: dict[str, object]) -> dict[str, str]:
    return {p["practice"]: p["status"] for p in profile["practices"]}  # type: ignore[attr-defined]


def test_profile_before_detection_says_no_data(angara_store: cargotrace.Store) -> None:
    profile = vessel_profile(angara_store, "9179842")
    assert CONTRACT_KEYS <= set(profile)
    practices = _practices(profile)
    assert practices["ais_disabling"] == "no data"
    assert practices["ship_to_ship_transfers"] == "no data"
    [hit] = profile["sanctions"]
    assert HIT_KEYS <= set(hit) and hit["match"] == "confirmed" and hit["mmsi"] == ANGARA_MMSI


def test_profile_after_detection(angara_store: cargotrace.Store) -> None:
    detect(angara_store)
    screen_store(angara_store)
    profile = vessel_profile(angara_store, "IMO 9179842")
    assert profile["found_in_store"] and not profile["ambiguous"]
    [identity] = profile["identities"]
    assert identity["mmsi"] == ANGARA_MMSI and identity["flag"] == "RU"
    assert identity["imos"][0]["value"] == "9179842" and identity["imos"][0]["check_digit_ok"]
    [hit] = profile["sanctions"]
    assert (hit["list"], hit["entity_name"], hit["imo"], hit["match"], hit["program"]) == (
        "ofac", "ANGARA", 9179842, "confirmed", "RUSSIA-EO14024")
    assert hit["listed_on"] is None  # the OFAC legacy CSV has no listing date
    assert [(o["name"], o["relation"]) for o in profile["owners"]] == [
        ("M LEASING LLC", "linked_to")]
    kinds = {e["kind"] for e in profile["events"]}
    assert {"gap", "encounter", "sanction_match"} <= kinds
    practices = {p["practice"]: p for p in profile["practices"]}
    gap_ids = {e["event_id"] for e in profile["events"]
               if e["kind"] == "gap" and e["attrs"]["likely_disabling"]}
    assert practices["ais_disabling"]["status"] == "seen"
    assert gap_ids and gap_ids <= set(practices["ais_disabling"]["event_ids"])
    assert practices["ship_to_ship_transfers"]["status"] == "seen"
    encounter = next(e for e in profile["events"] if e["kind"] == "encounter")
    assert PARTNER_MMSI in (encounter["mmsi"], encounter["other_mmsi"])
    assert practices["altered_identification"]["status"] == "not seen"
    assert practices["false_flags_flag_hopping"]["status"] == "not seen"
    assert practices["complex_ownership"]["status"] == "not seen"
    assert practices["voyage_irregularities"]["status"] in ("seen", "not seen")
    assert all(p["rule"] for p in practices.values())


def test_a_ship_never_seen_still_shows_its_list_entry(screen_store: cargotrace.Store) -> None:
    profile = vessel_profile(screen_store, "LADY R")
    assert not profile["found_in_store"] and profile["identities"] == []
    hits = {h["entity_id"]: h for h in profile["sanctions"]}
    assert hits["ofac-37095"]["match"] == "possible"  # a name alone never confirms
    assert set(_practices(profile).values()) <= {"no data", "not seen"}
    by_imo = vessel_profile(screen_store, "9161003")
    assert [(h["entity_name"], h["match"]) for h in by_imo["sanctions"]] == [
        ("LADY R", "confirmed")]
    assert by_imo["owners"][0]["name"] == "TRANSMORFLOT LLC"


def test_an_explicit_mmsi_query_is_never_read_as_an_imo() -> None:
    from cargotrace.screen.profile import Query

    assert Query.parse("1193046").kind == "imo"  # 7 digits alone: an IMO number
    short = Query.parse("MMSI 1193046")  # a factory-default MMSI, named as one
    assert (short.kind, short.mmsi, short.imo) == ("mmsi", 1193046, None)
    assert Query.parse("mmsi:273269509").mmsi == 273269509


def test_a_capture_too_short_for_a_behaviour_says_not_or_partly_detectable(
    solent_store: Path, tmp_path: Path,
) -> None:
    """Found by a new-user test: on the real Solent capture (84 minutes) `detect` says gaps,
    dark voyages, encounters and loitering could not be found ("capture too short"), yet the
    profile said "AIS disabling: not seen", which reads as "looked and found nothing". The
    run stores why with it, and the profile says `not detectable` when none of the practice's
    kinds could find anything, `partly detectable` when some could (AIS disabling: identity's
    position jumps and shared MMSIs did look), with the blind kinds, why, and who looked."""
    import duckdb

    from cargotrace.cli.commands.vessel import render
    from cargotrace.detect.presets import resolve
    from cargotrace.publish.params import ReportParams
    from cargotrace.publish.report.vessels import vessel_sections

    path = tmp_path / "solent.duckdb"
    path.write_bytes(solent_store.read_bytes())
    with cargotrace.open_store(path) as store:
        summary = detect(store)
    with duckdb.connect(str(path), read_only=True) as con:  # independent of the code under test
        mmsi, span_h = con.execute(
            "SELECT mmsi, (epoch(max(ts)) - epoch(min(ts))) / 3600 FROM positions GROUP BY mmsi"
            " ORDER BY count(*) DESC LIMIT 1").fetchone() or (0, 0.0)
        kinds = {k for (k,) in con.execute(
            "SELECT DISTINCT kind FROM events WHERE mmsi = ? OR other_mmsi = ?",
            [mmsi, mmsi]).fetchall()}
        runs = {k.removeprefix("detected:"): json.loads(v) for k, v in con.execute(
            "SELECT key, value FROM meta WHERE key LIKE 'detected:%'").fetchall()}
    stored = runs["gap"]
    blind = {k for k, run in runs.items() if run["blocked"]}
    gfw = resolve("gfw", {})
    assert span_h < gfw.gap.min_gap_h and span_h < gfw.encounter.min_duration_h
    assert not kinds & {"gap", "dark_voyage", "encounter", "loitering"}
    assert stored["blocked"] == summary.blocked["gap"] and "capture too short" in \
        stored["blocked"][0]
    with cargotrace.open_store(path, read_only=True) as store:
        profile = vessel_profile(store, str(mmsi))
        sections = vessel_sections({"vessels": [{"in_store_mmsis": [mmsi], "evidence": ["t"]}],
                                    "hypotheses": []}, store, ReportParams())
    assert profile["profile_version"] == 2
    practices = {p["practice"]: p for p in profile["practices"]}
    for practice in practices.values():  # the status follows the stored runs' blocked notes
        if practice["practice"] == "altered_identification":  # needs static reports: none here
            assert practice["status"] == "no data"
            continue
        needs = [k for k in practice["needs"] if k in runs]
        if practice["event_ids"] or practice["evidence"] or len(needs) < len(practice["needs"]):
            continue
        blind_here = [k for k in needs if k in blind]
        expected = ("not seen" if not blind_here else "not detectable"
                    if len(blind_here) == len(needs) else "partly detectable")
        assert practice["status"] == expected, practice
        assert sorted(practice["undetectable"]) == sorted(blind_here)
        assert sorted(practice["looked"]) == sorted(set(needs) - blind)
    disabling = practices["ais_disabling"]
    assert disabling["status"] == "partly detectable"  # identity could look, and saw nothing
    assert set(disabling["undetectable"]) == {"gap", "dark_voyage"} and disabling["looked"] == [
        "identity"]
    assert disabling["undetectable"]["gap"] == stored["blocked"]
    assert practices["ship_to_ship_transfers"]["status"] == "not detectable"
    assert practices["voyage_irregularities"]["status"] == "not detectable"
    # identity was not blocked (shared MMSIs, position jumps come from positions): looked
    assert practices["false_flags_flag_hopping"]["status"] == "not seen"
    assert practices["false_flags_flag_hopping"]["undetectable"] == {}
    shown = render(profile)[-1]
    cells = "\n".join(str(c) for col in shown.columns for c in col._cells)  # type: ignore[union-attr]
    assert "partly detectable" in cells and "not seen by identity" in cells
    assert "gap could not be detected: capture too short" in cells
    in_report = {p["title"]: p for p in sections[0]["practices"]}
    assert in_report["AIS disabling or manipulation"]["blind"] == (
        "not seen by identity; gap, dark_voyage could not be detected (capture too short)")
    assert in_report["AIS disabling or manipulation"]["status"] == "partly detectable"
    assert in_report["False flags and flag hopping"]["blind"] == ""
