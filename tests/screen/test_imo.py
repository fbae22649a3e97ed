"""IMO check digits and MMSI validation (IMO resolution A.1117(30))."""

from __future__ import annotations

import pytest

from cargotrace.screen.imo import imo_check_digit_ok, parse_imo, valid_mmsi


@pytest.mark.parametrize("number", [9179842, 9161003, 9358010, 9160994, 9268710, 9538892,
                                    9743033, 9610810, "IMO9179842", "8606173"])
def test_valid_ship_imo_numbers(number: int | str) -> None:
    assert imo_check_digit_ok(number)


@pytest.mark.parametrize("number", [9179843, 9161004, 1234568, 959803600, 917984, 0, "0000000",
                                    "IMO", "91798A2", None, 6246853])
def test_invalid_ship_imo_numbers(number: int | str | None) -> None:
    # 6246853 is M LEASING LLC's *company* IMO number: another check-digit scheme
    assert not imo_check_digit_ok(number)


def test_parse_imo_accepts_prefixes_and_rejects_bad_check_digits() -> None:
    assert parse_imo("IMO 9179842") == 9179842
    assert parse_imo("imo9179842") == 9179842
    assert parse_imo(" 9179842 ") == 9179842
    assert parse_imo("IMO 9179843") is None
    assert parse_imo("RS 150443 (Russia)") is None


def test_valid_mmsi() -> None:
    assert valid_mmsi("636015565") == 636015565
    assert valid_mmsi(273) is None
    assert valid_mmsi("1234567890") is None
    assert valid_mmsi("000000000") is None
