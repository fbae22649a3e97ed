"""Matching vessels against the real OFAC SDN list (2024-05-03): the reference case's ships."""

from __future__ import annotations

import pytest

from cargotrace.screen.candidates import match_all
from cargotrace.screen.imo import imo_check_digit_ok
from cargotrace.screen.match import CONFIRMED, POSSIBLE, ListVessel, Vessel
from cargotrace.screen.params import ScreenParams
from cargotrace.store.names import name_key

PARAMS = ScreenParams()
# OFAC entity numbers and IMO numbers from the file (see ../shared/data/sanctions/PROVENANCE.md)
SHIPS = {
    "ofac-37059": ("ANGARA", 9179842),
    "ofac-37095": ("LADY R", 9161003),
    "ofac-37098": ("MAIA-1", 9358010),
    "ofac-37027": ("SPARTA", 9268710),
    "ofac-36696": ("SPARTA II", 9160994),
    "ofac-37028": ("SPARTA III", 9538892),
    "ofac-37029": ("SPARTA IV", 9743033),
}


def _hits(entries: list[ListVessel], vessel: Vessel) -> dict[str, tuple[str, float]]:
    return {h.entity_id: (h.match, h.score) for h in match_all([vessel], entries, PARAMS)}


@pytest.mark.parametrize("entity_id", sorted(SHIPS))
def test_found_by_imo_is_confirmed(ofac_vessels: list[ListVessel], entity_id: str) -> None:
    _, imo = SHIPS[entity_id]
    hits = _hits(ofac_vessels, Vessel(mmsi=None, imos=(imo,)))
    assert hits == {entity_id: (CONFIRMED, 1.0)}


@pytest.mark.parametrize("entity_id", sorted(SHIPS))
def test_found_by_exact_name_is_only_possible(
    ofac_vessels: list[ListVessel], entity_id: str
) -> None:
    name, _ = SHIPS[entity_id]
    hits = _hits(ofac_vessels, Vessel(mmsi=None, names=(name,)))
    assert hits[entity_id][0] == POSSIBLE
    assert all(level == POSSIBLE for level, _ in hits.values())


@pytest.mark.parametrize(("variant", "entity_id"), [
    ("ANGARA ", "ofac-37059"),
    ("M/V ANGARA", "ofac-37059"),
    ("MV. ANGARA", "ofac-37059"),
    ("ANGRA", "ofac-37059"),  # one letter missing
    ("ANGAPA", "ofac-37059"),  # one letter wrong (Cyrillic Р read as Latin P)
    ("АНГАРА", "ofac-37059"),  # Cyrillic
    ("LADY-R", "ofac-37095"),
    ("LADYR", "ofac-37095"),
    ("M.V. LADY R", "ofac-37095"),
    ("LADI R", "ofac-37095"),  # one-letter typo in a 5-letter name
    ("MAIA 1", "ofac-37098"),
    ("MAIA1", "ofac-37098"),
    ("MAIA-I", "ofac-37098"),
    ("MAJA-1", "ofac-37098"),
    ("SPARTA 4", "ofac-37029"),
    ("SPARTA-IV", "ofac-37029"),
    ("M/V SPARTA IV", "ofac-37029"),
    ("SPARTA 3", "ofac-37028"),
    ("SPARTA II", "ofac-36696"),
    ("SPARTTA IV", "ofac-37029"),
])
def test_found_by_realistic_variants(
    ofac_vessels: list[ListVessel], variant: str, entity_id: str
) -> None:
    hits = _hits(ofac_vessels, Vessel(mmsi=None, names=(variant,)))
    assert entity_id in hits, sorted(hits)
    assert hits[entity_id][0] == POSSIBLE


def test_series_members_are_not_confused(ofac_vessels: list[ListVessel]) -> None:
    hits = _hits(ofac_vessels, Vessel(mmsi=None, names=("SPARTA IV",)))
    assert "ofac-37029" in hits
    assert not {"ofac-37027", "ofac-36696", "ofac-37028"} & set(hits)


def test_maria_with_another_imo_is_at_most_possible(ofac_vessels: list[ListVessel]) -> None:
    # OFAC lists a MARIA (IMO 8517839) and MARIA E a.k.a. MARIA (IMO 9617923); this MARIA
    # reports IMO 9387425 (valid check digit, on no list).
    other = 9387425
    assert imo_check_digit_ok(other) and all(e.imo != other for e in ofac_vessels)
    maria = Vessel(mmsi=215000000, names=("MARIA",), imos=(other,), flag="MT",
                   ship_types=(70,))
    hits = match_all([maria], ofac_vessels, ScreenParams(min_score=0.0))
    assert {h.entity_id for h in hits} >= {"ofac-46773", "ofac-36716"}
    assert all(h.match == POSSIBLE for h in hits)
    assert all(any("IMO differs" in r for r in h.reasons) for h in hits if h.imo)
    assert match_all([maria], ofac_vessels, PARAMS) == []  # below the default min_score


def test_mmsi_and_name_confirm_but_mmsi_alone_is_possible(
    ofac_vessels: list[ListVessel],
) -> None:
    # VIKTOR BAKAEV: OFAC gives IMO 9610810 and MMSI 636015565
    entry = next(e for e in ofac_vessels if e.id == "ofac-46611")
    renamed = Vessel(mmsi=636015565, names=("OCEAN STAR",), flag="LR")
    same = Vessel(mmsi=636015565, names=("VIKTOR BAKAEV",), flag="LR")
    [alone] = match_all([renamed], [entry], PARAMS)
    [both] = match_all([same], [entry], PARAMS)
    assert (alone.match, both.match) == (POSSIBLE, CONFIRMED)
    assert both.fields["mmsi"] == "equal" and both.fields["name"]["method"] == "same"


def test_invalid_imo_is_never_used(ofac_vessels: list[ListVessel]) -> None:
    hits = match_all([Vessel(mmsi=None, imos=(9179843,))], ofac_vessels, PARAMS)
    assert hits == []


def test_every_hit_is_explained(ofac_vessels: list[ListVessel]) -> None:
    vessel = Vessel(mmsi=273311111, names=("ANGARA",), imos=(9179842,), flag="RU",
                    ship_types=(70,))
    [hit] = match_all([vessel], ofac_vessels, PARAMS)
    assert hit.match == CONFIRMED and hit.program == "RUSSIA-EO14024"
    assert hit.fields == {"imo": "equal", "mmsi": "unknown", "flag": "equal", "type": "fits",
                          "name": {"vessel_name": "ANGARA", "list_name": "ANGARA",
                                   "similarity": 1.0, "method": "same"}}
    assert hit.reasons[0].startswith("IMO 9179842: given by the vessel")


def test_name_similarity_threshold_is_documented_in_edits() -> None:
    assert PARAMS.max_edits(6, 6) == 1  # one typo in ANGARA
    assert PARAMS.max_edits(4, 4) == 0  # short names must be equal
    assert PARAMS.max_edits(17, 17) == 2
    assert name_key("ANGRA").compact != name_key("ANGARA").compact
