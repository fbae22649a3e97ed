"""MMSI -> flag via the ITU MID table: the digit layouts of ITU-R M.585 and the shipped CSV."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import pytest

from cargotrace.store.mid import country_of_mid, flag_of, mid_table, mmsi_kind


def _csv_rows() -> list[dict[str, str]]:
    text = (files("cargotrace") / "data" / "mid.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- MMSI layouts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmsi", "kind", "flag"),
    [
        (273123450, "ship", "RU"),
        (445001230, "ship", "KP"),
        (636012345, "ship", "LR"),
        (538001234, "ship", "MH"),
        (352001234, "ship", "PA"),
        (477123400, "ship", "HK"),
        (366999000, "ship", "US"),
        (27312345, "group", "RU"),  # 027312345
        (2734567, "coast_station", "RU"),  # 002734567
        (2320001, "coast_station", "GB"),  # 002320001
        (111273123, "sar_aircraft", "RU"),
        (992731234, "aton", "RU"),
        (992351234, "aton", "GB"),
        (982731234, "parent_craft", "RU"),
        (827312345, "handheld", "RU"),
        (970123456, "sart", None),
        (972123456, "mob", None),
        (974123456, "epirb", None),
    ],
)
def test_kind_and_flag(mmsi: int, kind: str, flag: str | None) -> None:
    assert mmsi_kind(mmsi) == kind
    assert flag_of(mmsi) == flag


@pytest.mark.parametrize(
    "mmsi",
    [
        12345,  # 000012345: coast-station layout but "001" is no MID
        0,
        -273123456,
        1_000_000_000,
        2734567890,  # ten digits
        123456789,  # 1xx but not 111 (SAR)
        111012345,  # SAR layout with MID 012
        975123456,  # 97x other than SART/MOB/EPIRB
        960000000,
        900000000,
        812345678,  # handheld layout with MID 123
        991234567,  # AtoN layout with MID 123
    ],
)
def test_malformed_is_invalid_and_flagless(mmsi: int) -> None:
    assert mmsi_kind(mmsi) == "invalid"
    assert flag_of(mmsi) is None


def test_none_and_bool_have_no_flag() -> None:
    assert flag_of(None) is None
    assert flag_of(True) is None
    assert mmsi_kind(False) == "invalid"


def test_wellformed_but_unallocated_mid() -> None:
    # 217 and 780 are not in the ITU table: structurally a ship station, but no flag.
    assert mmsi_kind(217123456) == "ship"
    assert flag_of(217123456) is None
    assert mmsi_kind(780123456) == "ship"
    assert flag_of(780123456) is None


# --- The table ----------------------------------------------------------------------------------


def test_csv_header_and_rows_are_well_formed() -> None:
    rows = _csv_rows()
    assert list(rows[0].keys()) == ["mid", "iso2", "country"]
    assert len(rows) > 280
    mids = [row["mid"] for row in rows]
    assert len(mids) == len(set(mids)), "duplicate MID"
    for row in rows:
        assert len(row["mid"]) == 3 and row["mid"].isdigit(), row
        assert 201 <= int(row["mid"]) <= 775, row
        assert len(row["iso2"]) == 2 and row["iso2"].isascii(), row
        assert row["iso2"].isalpha() and row["iso2"].isupper(), row
        assert row["country"].strip() == row["country"] != "", row
    assert len(mid_table()) == len(rows)


KNOWN = {
    # Europe
    273: "RU", 211: "DE", 218: "DE", 219: "DK", 220: "DK", 224: "ES", 226: "FR", 232: "GB",
    235: "GB", 236: "GI", 237: "GR", 244: "NL", 246: "NL", 247: "IT", 257: "NO", 259: "NO",
    265: "SE", 266: "SE", 271: "TR", 272: "UA", 209: "CY", 210: "CY", 212: "CY", 215: "MT",
    229: "MT", 248: "MT", 249: "MT", 256: "MT", 230: "FI", 231: "FO", 261: "PL", 276: "EE",
    # Americas
    338: "US", 366: "US", 367: "US", 368: "US", 369: "US", 303: "US", 316: "CA", 312: "BZ",
    319: "KY", 341: "KN", 345: "MX", 351: "PA", 357: "PA", 370: "PA", 373: "PA", 376: "VC",
    378: "VG", 308: "BS", 310: "BM", 710: "BR", 701: "AR", 725: "CL", 775: "VE", 740: "FK",
    # Asia / Middle East
    412: "CN", 413: "CN", 414: "CN", 416: "TW", 419: "IN", 422: "IR", 431: "JP", 432: "JP",
    440: "KR", 441: "KR", 445: "KP", 457: "MN", 468: "SY", 470: "AE", 477: "HK", 453: "MO",
    403: "SA", 466: "QA",
    # Oceania / Pacific registries
    503: "AU", 512: "NZ", 511: "PW", 518: "CK", 538: "MH", 563: "SG", 566: "SG", 572: "TV",
    576: "VU", 577: "VU", 548: "PH", 525: "ID", 533: "MY", 574: "VN",
    # Africa
    601: "ZA", 613: "CM", 620: "KM", 616: "KM", 622: "EG", 636: "LR", 637: "LR", 642: "LY",
    657: "NG", 667: "SL", 671: "TG", 677: "TZ", 676: "CD", 608: "SH", 660: "RE",
}  # fmt: skip


@pytest.mark.parametrize(("mid", "iso2"), sorted(KNOWN.items()))
def test_known_pairs(mid: int, iso2: str) -> None:
    assert flag_of(mid * 1_000_000 + 123_456) == iso2


def test_country_names() -> None:
    assert country_of_mid(273) == "Russian Federation"
    assert country_of_mid(445) == "Democratic People's Republic of Korea"
    assert country_of_mid(468) == "Syrian Arab Republic"
    assert country_of_mid(642) == "Libya"
    assert country_of_mid(636) == "Liberia"
    assert country_of_mid(217) is None
    assert country_of_mid(1) is None


def test_table_is_loaded_once_and_read_only() -> None:
    assert mid_table() is mid_table()
    with pytest.raises(TypeError):
        mid_table()[999] = mid_table()[273]  # type: ignore[index]
