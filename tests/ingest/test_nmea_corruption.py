"""Damage that the NMEA checksum does not catch, fed as exact bytes to both decoding paths.

Issue 21: NUL bytes XOR as nothing, so a sentence with NULs in its payload kept its checksum and
was decoded with shifted bits (a wrong vessel at a wrong place); characters outside the six-bit
alphabet were decoded; a second sentence on the same line vanished; `--assume-time` replaced a
broken `c:` time. Every case here must be quarantined with the same reason by the bulk path
(`read_nmea`, which tries the columnar decoder `nmea_columnar` first) and by the checked
path alone (pyais, line by line).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyais import decode

from cargotrace.ingest import nmea
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.nmea_lines import nmea_checksum
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.reasons import QuarantineReason as R

ASSUMED = datetime(2023, 9, 1, tzinfo=UTC)
# The sentence of issue 21 (MMSI 273543513 off Vladivostok) and a real aisdb capture line.
ISSUE = b"\\s:rDUNAY,c:1693536452*07\\!AIVDM,1,1,,A,144oiF@P1H9LF6HHS1So0Ea1P000,0*20"
ISSUE_WITH_NULS = (
    b"\\s:rDUNAY,c:1693536452*07\\!AIVDM,1,1,,A,144\x00oiF@P1H9L\x00F6HHS1So0Ea1P000\x00,0*20"
)
AISDB = rb"\s:41925,c:1635731889,t:1635731965*66\!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`,0*37"
SENTENCE = b"!AIVDM,1,1,,A,144oiF@P1H9LF6HHS1So0Ea1P000,0*20"
PAYLOAD = b"144oiF@P1H9LF6HHS1So0Ea1P000"


def sentence(body: bytes) -> bytes:
    """`!body*hh` with the checksum made to match, as a corrupting writer would leave it."""
    return b"!" + body + b"*%02X" % nmea_checksum(body)


def tag(body: bytes) -> bytes:
    return b"\\" + body + b"*%02X\\" % nmea_checksum(body)


def with_payload(payload: bytes, fill: bytes = b"0") -> bytes:
    return tag(b"s:rx,c:1693536452") + sentence(b"AIVDM,1,1,,A," + payload + b"," + fill)


CASES: list[tuple[str, bytes, R]] = [
    ("nul_in_payload_issue_21", ISSUE_WITH_NULS, R.INVALID_CHARACTER),
    ("nul_in_station", ISSUE.replace(b"rDUNAY", b"rDU\x00NAY"), R.INVALID_CHARACTER),
    ("nul_in_c_time", ISSUE.replace(b"c:1693", b"c:16\x0093"), R.INVALID_CHARACTER),
    ("nul_in_channel_field", ISSUE.replace(b",A,", b",A\x00,"), R.INVALID_CHARACTER),
    ("nul_in_real_aisdb_line", AISDB.replace(b"=4002", b"=40\x0002"), R.INVALID_CHARACTER),
    ("control_byte_in_payload", ISSUE.replace(b"oiF", b"oi\x07F"), R.INVALID_CHARACTER),
    ("utf8_in_payload", with_payload("144oiF@P1H9LF6HHS1Sé0Ea1P000".encode()),
     R.INVALID_CHARACTER),
    ("latin1_byte_in_tag_block", ISSUE.replace(b"rDUNAY", b"rD\xdcNAY"), R.INVALID_CHARACTER),
    ("tilde_in_payload", with_payload(PAYLOAD.replace(b"oiF", b"o~F")),
     R.INVALID_PAYLOAD_CHARACTER),
    ("slash_in_payload", with_payload(PAYLOAD.replace(b"@P1", b"@/1")),
     R.INVALID_PAYLOAD_CHARACTER),
    ("space_in_payload", with_payload(PAYLOAD.replace(b"HHS", b"H S")),
     R.INVALID_PAYLOAD_CHARACTER),
    ("x_above_alphabet", with_payload(PAYLOAD.replace(b"So0", b"Sx0")),
     R.INVALID_PAYLOAD_CHARACTER),
    ("type_0", with_payload(b"0" + PAYLOAD[1:]), R.UNSUPPORTED_MSG_TYPE),
    ("type_28", with_payload(b"L" + PAYLOAD[1:]), R.UNSUPPORTED_MSG_TYPE),
    ("fill_bits_6", with_payload(PAYLOAD, b"6"), R.BAD_FILL_BITS),
    ("fill_bits_letter", with_payload(PAYLOAD, b"x"), R.BAD_FILL_BITS),
    ("fill_bits_two_digits", with_payload(PAYLOAD, b"00"), R.BAD_FILL_BITS),
    ("fill_bits_on_first_part",
     tag(b"s:rx,c:1693536452") + sentence(b"AIVDM,2,1,3,A," + PAYLOAD + b",2"), R.BAD_FILL_BITS),
    ("part_3_of_2", tag(b"s:rx,c:1693536452") + sentence(b"AIVDM,2,3,3,A," + PAYLOAD + b",0"),
     R.MALFORMED_SENTENCE),
    ("two_tagged_sentences_run_together", ISSUE + AISDB, R.MALFORMED_SENTENCE),
    ("two_bare_sentences_run_together", SENTENCE + SENTENCE, R.MALFORMED_SENTENCE),
    ("sentence_then_cut_tag_block", ISSUE + b"\\s:rDUNAY,c:16935", R.MALFORMED_SENTENCE),
    ("empty_tag_block_bad_checksum", b"\\*5A\\" + SENTENCE, R.BAD_TAG_BLOCK),
    ("c_zero", tag(b"s:rx,c:0") + SENTENCE, R.TIME_OUT_OF_RANGE),
    ("c_negative", tag(b"s:rx,c:-5") + SENTENCE, R.TIME_OUT_OF_RANGE),
    ("c_year_2200", tag(b"s:rx,c:7258118400") + SENTENCE, R.TIME_OUT_OF_RANGE),
    ("c_beyond_int64", tag(b"s:rx,c:99999999999999999999") + SENTENCE, R.TIME_OUT_OF_RANGE),
    ("c_not_a_number", tag(b"s:rx,c:16935364x2") + SENTENCE, R.UNPARSEABLE_TIME),
    ("c_empty", tag(b"s:rx,c:") + SENTENCE, R.UNPARSEABLE_TIME),
    ("c_scientific_notation", tag(b"s:rx,c:1.5e9") + SENTENCE, R.UNPARSEABLE_TIME),
    ("c_nan", tag(b"s:rx,c:nan") + SENTENCE, R.UNPARSEABLE_TIME),
    ("c_second_one_broken", tag(b"c:1693536452,s:rx,c:0") + SENTENCE, R.TIME_OUT_OF_RANGE),
    ("station_65_chars", tag(b"s:" + b"r" * 65 + b",c:1693536452") + SENTENCE,
     R.FIELD_TOO_LONG),
    ("station_1_megabyte", tag(b"s:" + b"r" * 1_000_000 + b",c:1693536452") + SENTENCE,
     R.FIELD_TOO_LONG),
    ("tag_block_of_many_short_fields", tag(b"s:rx,c:1693536452" + b",n:1" * 80) + SENTENCE,
     R.FIELD_TOO_LONG),
    ("uscg_receiver_id_too_long",
     SENTENCE + b",d-109,S2105,t050056.00,T56.1,r" + b"0" * 100 + b",1693536452,1693536452",
     R.FIELD_TOO_LONG),
]


def _reasons_bulk(path: Path, options: IngestOptions) -> list[tuple[int, str]]:
    chunks = list(read_nmea(path, options))
    assert sum(c.positions.num_rows + c.reports.num_rows for c in chunks) == 0
    return [(r["line_no"], r["reason"]) for c in chunks for r in c.quarantine.to_pylist()]


def _reasons_checked(path: Path, options: IngestOptions) -> list[tuple[int, str]]:
    reader = nmea._NmeaReader(path, options)
    with path.open("rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            reader.read_line(line_no, line)
    reader.flush_stale(line_no, everything=True)
    chunk = reader.out.build(0)
    assert chunk.positions.num_rows + chunk.reports.num_rows == 0
    return [(r["line_no"], r["reason"]) for r in chunk.quarantine.to_pylist()]


@pytest.mark.parametrize("assume_time", [None, ASSUMED], ids=["no-assumed-time", "assume-time"])
@pytest.mark.parametrize(("line", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_both_paths_quarantine_with_the_same_reason(
    tmp_path: Path, line: bytes, reason: R, assume_time: datetime | None
) -> None:
    path = tmp_path / "one.nmea"
    path.write_bytes(line + b"\n")
    options = IngestOptions(assume_time=assume_time)
    assert _reasons_bulk(path, options) == _reasons_checked(path, options) == [(1, reason)]


def test_the_issue_sentence_without_its_nuls_is_stored_as_pyais_decodes_it(tmp_path: Path) -> None:
    path = tmp_path / "issue.nmea"
    path.write_bytes(ISSUE_WITH_NULS + b"\n" + ISSUE + b"\n")
    chunks = list(read_nmea(path, IngestOptions()))
    rows = [r for c in chunks for r in c.positions.to_pylist()]
    ref = decode(SENTENCE)
    assert [(r["line_no"], r["mmsi"], r["lat"], r["lon"]) for r in rows] == [
        (2, ref.mmsi, ref.lat, ref.lon)
    ]
    assert ref.mmsi == 273543513
    assert [r["reason"] for c in chunks for r in c.quarantine.to_pylist()] == [
        R.INVALID_CHARACTER
    ]


def test_assume_time_still_fills_a_missing_time(tmp_path: Path) -> None:
    path = tmp_path / "untimed.nmea"
    path.write_bytes(tag(b"s:rx") + SENTENCE + b"\n" + SENTENCE + b"\n")
    rows = [r for c in read_nmea(path, IngestOptions(assume_time=ASSUMED))
            for r in c.positions.to_pylist()]
    assert sorted((r["line_no"], r["ts"], r["station"] or "") for r in rows) == [
        (1, ASSUMED, "rx"), (2, ASSUMED, "")
    ]


def test_cr_only_line_endings_read_like_newlines(tmp_path: Path, shared_data: Path) -> None:
    """The real aisdb capture with its CRLF endings rewritten as bare CRs gives the same rows."""
    real = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    data = real.read_bytes()
    cr_only = tmp_path / "cr.nm4"
    cr_only.write_bytes(data.replace(b"\r\n", b"\r").replace(b"\n", b"\r"))

    def rows(path: Path) -> tuple[int, list[tuple[object, ...]]]:
        chunks = list(read_nmea(path, IngestOptions()))
        keys = ["line_no", "mmsi", "ts"]
        table = [r for c in chunks for r in c.positions.select(keys).to_pylist()]
        return sum(c.records_read for c in chunks), sorted(tuple(r.values()) for r in table)

    read, positions = rows(cr_only)
    assert (read, positions) == rows(real)
    assert read == len(data.splitlines()) == len(cr_only.read_bytes().splitlines())
    assert len(positions) > 900


def test_every_case_is_a_real_corruption() -> None:
    lines = [c[1] for c in CASES]
    assert len(set(lines)) == len(lines)
    assert not {ISSUE, AISDB, SENTENCE} & set(lines)


# Real type 5 parts (pyais tests/mixed.txt, gpsd sample.aivdm); Y's sequence id set to X's, as
# happens when a receiver's ids (0-9) wrap around.
TYPE5_X = (b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
           b"!AIVDM,2,2,1,A,88888888880,2*25")
TYPE5_Y_PART_2 = sentence(b"AIVDM,2,2,1,A,`88888888888880,2")


def test_parts_of_two_messages_with_a_reused_sequence_id_are_not_joined(tmp_path: Path) -> None:
    """X lost its part 2 and Y its part 1: X's part 1 and Y's part 2, 40 s apart, are not one."""
    lines = [
        tag(b"s:rx,c:1693536452") + TYPE5_X[0],
        tag(b"s:rx,c:1693536492") + TYPE5_Y_PART_2,
        tag(b"s:rx,c:1693536500") + TYPE5_X[0],  # X again, complete, parts 1 s apart
        tag(b"s:rx,c:1693536501") + TYPE5_X[1],
    ]
    path = tmp_path / "wrapped.nmea"
    path.write_bytes(b"\n".join(lines) + b"\n")
    chunks = list(read_nmea(path, IngestOptions()))
    rows = [r for c in chunks for r in c.quarantine.to_pylist()]
    quarantined = sorted((r["line_no"], r["reason"]) for r in rows)
    assert quarantined == [(1, R.INCOMPLETE_MULTIPART), (2, R.ORPHAN_FRAGMENT)]
    reports = [r for c in chunks for r in c.reports.to_pylist()]
    ref = decode(*TYPE5_X)
    assert [(r["line_no"], r["mmsi"], r["name"]) for r in reports] == [
        (3, ref.mmsi, ref.shipname)
    ]


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [("2023-13-45 12:00:05 ", R.UNPARSEABLE_TIME), ("0000000000 ", R.TIME_OUT_OF_RANGE),
     ("9999999999999.5 ", R.TIME_OUT_OF_RANGE)],
    ids=["iso-month-13", "epoch-zero", "epoch-ms-after-2100"],
)
def test_an_unusable_time_prefix_is_not_replaced_by_the_assumed_time(
    tmp_path: Path, prefix: str, reason: R
) -> None:
    path = tmp_path / "prefixed.log"
    path.write_bytes(prefix.encode() + SENTENCE + b"\n" + b"junk " + SENTENCE + b"\n")
    chunks = list(read_nmea(path, IngestOptions(assume_time=ASSUMED)))
    assert [(r["line_no"], r["reason"]) for c in chunks for r in c.quarantine.to_pylist()] == [
        (1, reason)
    ]
    # a prefix that is no time at all is left alone: the assumed time is used
    assert [(r["line_no"], r["ts"]) for c in chunks for r in c.positions.to_pylist()] == [
        (2, ASSUMED)
    ]


def test_a_broken_gatehouse_time_is_not_replaced_by_the_assumed_time(tmp_path: Path) -> None:
    """pyais examples/gatehouse.nmea with month 13 written into its first wrapper."""
    wrapper = b"$PGHP,1,2008,13,9,0,0,0,10,338,2,,1,09"
    lines = [
        wrapper + b"*%02X" % nmea_checksum(wrapper[1:]),
        b"!AIVDM,1,1,,B,15NBj>PP1gG>1PVKTDTUJOv00<0M,0*09",
        b"!AIVDM,1,1,,A,16:=?;0P00`SstvFnFbeGH6L088h,0*44",  # no wrapper: the assumed time
    ]
    path = tmp_path / "gatehouse.nmea"
    path.write_bytes(b"\n".join(lines) + b"\n")
    chunks = list(read_nmea(path, IngestOptions(assume_time=ASSUMED)))
    assert [(r["line_no"], r["reason"]) for c in chunks for r in c.quarantine.to_pylist()] == [
        (2, R.UNPARSEABLE_TIME)
    ]
    assert [(r["line_no"], r["ts"]) for c in chunks for r in c.positions.to_pylist()] == [
        (3, ASSUMED)
    ]
