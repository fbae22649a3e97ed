"""Vessel and owner names reduced to comparable keys.

Why: lists and AIS spell the same ship differently — "M/V SPARTA-IV", "Sparta 4", "СПАРТА IV",
"MAIA-1" and "MAIA 1". We transliterate any script to ASCII (`anyascii`: per character, after
the common romanisations — Cyrillic BGN/PCGN-like "ЖУКОВ" → "ZHUKOV", Hangul Revised
Romanization, Greek, Han pinyin; ISC licence, pure Python, so the default install needs no
compiled ICU: docs/decisions/0007-followthemoney-optional.md), upper-case, drop vessel-class
prefixes ("M/V", "MV", "M.V.", "MT", "SS", "The": the list rigour 2.6 maintains as
OBJ_NAME_PREFIXES, MIT), turn punctuation into spaces and roman numerals after the first word into
digits. `compact` then drops the spaces, so spacing and
hyphen variants ("CHON MA SAN", "CHONMASAN", "CHON-MA-SAN") compare equal.

Romanisation systems still differ after transliteration (Revised Romanization "CHEONMASAN" vs
McCune–Reischauer "CHONMASAN"); such pairs are left to the fuzzy comparison in
`screen/match.py`, which allows about one edit in ten letters.

In store/, below detect/ and screen/: screening matches names with these keys and identity
detection (`detect/identity.py`) compares a vessel's broadcast names with the same ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

# rigour 2.6 `resources/names/stopwords.yml` OBJ_NAME_PREFIXES and its prefix pattern (MIT)
OBJECT_PREFIXES = ("M T", "M V", "M.T", "M.V", "M/T", "M/V", "MT", "MV", "SS", "The")
_PREFIXES = re.compile(
    r"^\W*((" + "|".join(re.escape(p) for p in OBJECT_PREFIXES) + r")\.?\s+)*", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_NUMBER = re.compile(r"\d+")
ROMAN = {
    "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9,
    "X": 10, "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XVII": 17,
    "XVIII": 18, "XIX": 19, "XX": 20,
}


@dataclass(frozen=True)
class NameKey:
    """A name as compared: `normal` keeps word breaks, `compact` has none, `numbers` are the
    numbers in it (series members such as SPARTA III and SPARTA IV differ only there)."""

    original: str
    normal: str
    compact: str
    numbers: tuple[int, ...]


def _words(text: str) -> list[str]:
    latin = anyascii(text)
    stripped = _PREFIXES.sub("", latin.upper().strip()) or latin.upper()
    words = _NOT_ALNUM.sub(" ", stripped.upper()).split()
    return [w if i == 0 or w not in ROMAN else str(ROMAN[w]) for i, w in enumerate(words)]


@lru_cache(maxsize=200_000)
def name_key(text: str) -> NameKey:
    """The comparison key of one name (cached: screening sees the same names many times)."""
    words = _words(text)
    normal = " ".join(words)
    return NameKey(
        original=text,
        normal=normal,
        compact=normal.replace(" ", ""),
        numbers=tuple(int(n) for n in _NUMBER.findall(normal)),
    )


def normalise_name(text: str) -> str:
    """Upper-case Latin words without prefixes or punctuation: "M/V Sparta-IV" → "SPARTA 4"."""
    return name_key(text).normal
