"""Name normalisation: prefixes, punctuation, spacing, roman numerals, other scripts."""

from __future__ import annotations

import pytest

from cargotrace.store.names import name_key, normalise_name


@pytest.mark.parametrize(("variant", "expected"), [
    ("M/V SPARTA IV", "SPARTA 4"),
    ("MV Sparta-IV", "SPARTA 4"),
    ("M.V. SPARTA 4", "SPARTA 4"),
    ("MT  ANGARA", "ANGARA"),
    ("СПАРТА IV", "SPARTA 4"),  # Cyrillic
    ("АНГАРА", "ANGARA"),
    ("MAIA-1", "MAIA 1"),
    ("Lady R.", "LADY R"),
    ("ЖУКОВ", "ZHUKOV"),  # BGN/PCGN-like, as Russian ships are spelled on AIS (not ICU's ZUKOV)
    ("ΑΓΙΑ ΕΙΡΗΝΗ", "AGIA EIRINI"),  # Greek, modern (ELOT 743) as Greek ships are registered
    ("The Ocean Vanguard", "OCEAN VANGUARD"),
])
def test_normalise_name(variant: str, expected: str) -> None:
    assert normalise_name(variant) == expected


def test_spacing_variants_share_a_compact_key() -> None:
    assert name_key("CHON MA SAN").compact == name_key("Chonmasan").compact == "CHONMASAN"
    assert name_key("천마산").compact == "CHEONMASAN"  # Hangul → Revised Romanization


def test_series_members_differ_in_their_numbers() -> None:
    assert name_key("SPARTA III").numbers == (3,)
    assert name_key("SPARTA IV").numbers == (4,)
    assert name_key("SPARTA").numbers == ()
    assert name_key("I").normal == "I"  # a roman numeral is converted only after the first word
