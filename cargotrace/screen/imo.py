"""IMO ship numbers and MMSIs: validated before they are trusted as identifiers.

Why check digits matter: an IMO number is the one identifier a ship keeps through renames and
reflagging, so an exact match with a list entry is decisive. AIS transponders are typed in by
crews, though, and often carry zeros, MMSIs or typos in the IMO field; the check digit (the
seventh digit is the sum of the first six times 7, 6, 5, 4, 3, 2, modulo 10 — IMO resolution
A.1117(30)) tells a real number from noise. Company and owner IMO numbers use another scheme
(`company_imo_ok`) and never identify a ship.
"""

from __future__ import annotations

import re

from cargotrace.ftm.clean import imo_company_ok

_SHIP_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)
_DIGITS = re.compile(r"\d+")


def imo_check_digit_ok(number: int | str | None) -> bool:
    """True when `number` is a 7-digit ship IMO number whose check digit is right."""
    if number is None:
        return False
    text = str(number).strip().upper().removeprefix("IMO").strip()
    if len(text) != 7 or not text.isdigit() or text == "0000000":
        return False
    digits = [int(c) for c in text]
    return sum(d * w for d, w in zip(digits, _SHIP_IMO_WEIGHTS, strict=False)) % 10 == digits[6]


def company_imo_ok(number: str) -> bool:
    """True when `number` is a 7-digit company (registered owner) IMO number with the right check
    digit: weights 8, 6, 4, 2, 9, 7, then (11 - sum mod 11) mod 10 (as rigour checks it)."""
    text = number.strip()
    if len(text) != 7 or not text.isdigit() or text == "0000000":
        return False
    return imo_company_ok([int(c) for c in text])


def parse_imo(text: object) -> int | None:
    """A valid ship IMO number from `9179842`, `"IMO 9179842"` or `"IMO9179842"`, else None."""
    if text is None:
        return None
    match = _DIGITS.fullmatch(str(text).strip().upper().removeprefix("IMO").strip())
    if match is None:
        return None
    return int(match.group()) if imo_check_digit_ok(match.group()) else None


def valid_mmsi(number: object) -> int | None:
    """A 9-digit MMSI as an int, else None (FtM does not validate MMSIs: we do it first)."""
    text = str(number).strip() if number is not None else ""
    if len(text) != 9 or not text.isdigit() or text == "000000000":
        return None
    return int(text)
