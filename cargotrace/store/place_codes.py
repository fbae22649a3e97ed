"""Codes that gazetteers spell differently: country names -> ISO 3166-1 alpha-2, and UN/LOCODEs.

Why a table of names rather than a library: the World Port Index gives the country as a *name*
("Burma", "Cote D'Ivoire", "Congo (Kinshasa)") and searoute another spelling ("Myanmar",
"Ivory_coast"); a ~240-row CSV shipped in the package (`data/country_names.csv`) covers every
name in both files with no new dependency. A name not in the table maps to None (stored as NULL)
and is counted in the load summary, never guessed.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from importlib import resources


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: "Côte d'Ivoire" -> "cote d ivoire"."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).strip()


@functools.cache
def country_names() -> dict[str, str]:
    """Folded country name -> ISO2, read once from data/country_names.csv."""
    text = resources.files("cargotrace").joinpath("data", "country_names.csv").read_text("utf-8")
    return {fold(row["name"]): row["iso2"] for row in csv.DictReader(io.StringIO(text))}


@functools.cache
def _display_names() -> dict[str, str]:
    text = resources.files("cargotrace").joinpath("data", "country_names.csv").read_text("utf-8")
    out: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out.setdefault(row["iso2"], row["name"])
    return out


def country_display_name(iso2: str) -> str:
    """The name a reader knows a country by ("CN" -> "China"): the first of its names in
    data/country_names.csv (common names come before official ones there); the code itself when
    the table has none."""
    return _display_names().get(iso2.upper(), iso2)


def country_iso2(text: str | None) -> str | None:
    """ISO2 for a country code or name ("RU", "Russia", "North_korea"); None when unknown.

    A two-letter value is taken as an ISO2 code already (upper-cased); anything else is folded
    and looked up by name.
    """
    value = (text or "").strip()
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    return country_names().get(fold(value)) if value else None


_LOCODE = re.compile(r"([A-Z]{2})\s*([A-Z0-9]{3})")


def locode_forms(value: str) -> list[str]:
    """Both spellings of a UN/LOCODE ("RU VVO" and "RUVVO"): sources and reports use either.

    A value that is not a whole LOCODE (WPI has "LB", "CL" and 'GB ME""') gives no alias: a
    two-letter country code would make every port of that country match a search.
    """
    match = _LOCODE.fullmatch(value.strip())
    return [f"{match[1]} {match[2]}", f"{match[1]}{match[2]}"] if match else []
