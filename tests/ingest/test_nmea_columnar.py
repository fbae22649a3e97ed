"""The columnar decoder against pyais and the line-by-line path: the same records, every field.

pyais is the oracle. Random messages of every type the columnar path decodes are encoded by
pyais, written as a feed and read both ways (columnar `read_nmea`, and one line at a time by the
checked path, which decodes with pyais): the yields must be equal, and every line must have been
decoded column-wise (else the comparison would prove nothing). Real files and a simulator feed
are read both ways too, and the lines around which the reader's state matters (a Gatehouse
wrapper, an open multipart group, a chunk boundary, line breaks) are checked one by one.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.encode import encode_dict

from cargotrace.ingest.nmea_columnar.lines import split_lines
from cargotrace.ingest.nmea_columnar.plan import make_plan
from cargotrace.ingest.nmea_columnar.sentences import match_sentences
from cargotrace.ingest.params import IngestOptions
from cargotrace.sim.nmea_writer import tag_block
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

from .nmea_reference import columnar, line_by_line

T0 = datetime(2023, 9, 7, 12, tzinfo=UTC)
SIXBIT = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"


def _text(chars: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=SIXBIT, max_size=chars)


_mmsi = st.integers(0, 2**30 - 1)
_dims = {"to_bow": st.integers(0, 511), "to_stern": st.integers(0, 511),
         "to_port": st.integers(0, 63), "to_starboard": st.integers(0, 63)}
_position = {
    "mmsi": _mmsi, "status": st.integers(0, 15),
    "speed": st.integers(0, 1023).map(lambda v: v / 10),
    "lon": st.integers(-(2**27), 2**27 - 1).map(lambda v: v / 600000),
    "lat": st.integers(-(2**26), 2**26 - 1).map(lambda v: v / 600000),
    "course": st.integers(0, 4095).map(lambda v: v / 10), "heading": st.integers(0, 511),
}
MESSAGES = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from([1, 2, 3, 18]), **_position}),
    st.fixed_dictionaries({"type": st.just(19), **_position, "shipname": _text(20),
                           "ship_type": st.integers(0, 255), **_dims}),
    st.fixed_dictionaries({
        "type": st.just(27), "mmsi": _mmsi, "status": st.integers(0, 15),
        "lon": st.integers(-(2**17), 2**17 - 1).map(lambda v: v / 600),
        "lat": st.integers(-(2**16), 2**16 - 1).map(lambda v: v / 600),
        "speed": st.integers(0, 63), "course": st.integers(0, 511)}),
    st.fixed_dictionaries({"type": st.just(24), "mmsi": _mmsi, "partno": st.just(0),
                           "shipname": _text(20)}),
    st.fixed_dictionaries({"type": st.just(24), "partno": st.just(1),
                           "mmsi": st.one_of(_mmsi, st.integers(980_000_000, 989_999_999)),
                           "ship_type": st.integers(0, 255), "callsign": _text(7),
                           "mothership_mmsi": _mmsi, **_dims}),
    st.fixed_dictionaries({
        "type": st.just(5), "mmsi": _mmsi, "imo": st.integers(0, 2**30 - 1),
        "callsign": _text(7), "shipname": _text(20), "ship_type": st.integers(0, 255), **_dims,
        "month": st.integers(0, 15), "day": st.integers(0, 31), "hour": st.integers(0, 31),
        "minute": st.integers(0, 63), "draught": st.integers(0, 255).map(lambda v: v / 10),
        "destination": _text(20)}),
)


def _feed(messages: list[dict[str, Any]]) -> bytes:
    lines = []
    for i, message in enumerate(messages):
        sentences = encode_dict(message, talker_id="AI", sentence_type="VDM", seq_id=i % 10)
        lines += [tag_block(T0, f"r{i % 3}") + s for s in sentences]
    return ("\n".join(lines) + "\n").encode()


def _all_planned(data: bytes) -> bool:
    found = match_sentences(split_lines(data), None)
    plan = make_plan(found, 2.0)
    return len(plan.single) + 2 * len(plan.pair) == data.count(b"\n")


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(MESSAGES, min_size=1, max_size=25))
def test_random_messages_decode_as_pyais_decodes_them(
    messages: list[dict[str, Any]], tmp_path: Path
) -> None:
    data = _feed(messages)
    assert _all_planned(data)
    path = tmp_path / "random.nmea"
    path.write_bytes(data)
    assert columnar(path, IngestOptions()) == line_by_line(path, IngestOptions())


def _same_both_ways(path: Path, options: IngestOptions) -> dict[str, Any]:
    got = columnar(path, options)
    assert got == line_by_line(path, options)
    return got


@pytest.mark.parametrize("chunk_records", [200_000, 997])
def test_every_real_nmea_file_reads_the_same_both_ways(
    shared_data: Path, chunk_records: int
) -> None:
    files = sorted(p for p in (shared_data / "ais_nmea").rglob("*") if p.is_file()
                   and p.name != "PROVENANCE.md")
    assert len(files) >= 12
    options = IngestOptions(assume_time=T0, chunk_records=chunk_records)
    stored = sum(len(_same_both_ways(p, options)["positions"]) for p in files)
    assert stored > 2500


def test_a_simulated_feed_reads_the_same_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "sim.nmea"
    write_sample_nmea(path, hours=2, fleet=scaled_fleet(25))
    got = _same_both_ways(path, IngestOptions(chunk_records=5000))
    # independent count: one position per single-sentence type 1-3/18/19/27 line, one report
    # per type 5 (two sentences), 19 and 24 line
    text = path.read_text()
    singles = re.findall(r"!AIVDM,1,1,[^,]*,[^,]*,(.)", text)
    assert len(got["positions"]) == sum(c in "123BCK" for c in singles) > 1000
    pairs = len(re.findall(r"!AIVDM,2,1,(.),(.),.*\n.*!AIVDM,2,2,\1,\2,", text))
    assert len(got["reports"]) == sum(c in "CH5" for c in singles) + pairs > 20
    assert got["quarantine"] == []


_POS = r"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"
_PART1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
_PART2 = "!AIVDM,2,2,1,A,88888888880,2*25"


def _tb(body: str) -> str:
    """A tag block around `body`, with its checksum (XOR of the bytes)."""
    return f"\\{body}*{reduce(xor, body.encode(), 0):02X}\\"


def _tag(seconds: int, station: str = "rx") -> str:
    return tag_block(datetime.fromtimestamp(1694088000 + seconds, tz=UTC), station)


CASES = {
    "gatehouse wrapper times the next line": [
        "$PGHP,1,2023,9,7,12,0,5,0,,,,1,1*2E", _POS, _POS],
    "gatehouse wrapper then a comment": ["$PGHP,1,2023,9,7,12,0,5,0,,,,1,1*2E", "# note", _POS],
    "broken gatehouse time": ["$PGHP,1,2023,13,7,12,0,5,0,,,,1,1*2E", _POS],
    "open group with the pair's key": [_PART1, _POS, _PART1, _PART2],
    "open group on another key": [_PART1.replace(",1,A,", ",2,A,"), _PART1, _PART2],
    "pair across receivers": [_tag(0, "ra") + _PART1, _tag(0, "rb") + _PART2],
    "pair parts too far apart": [_tag(0) + _PART1, _tag(9) + _PART2],
    "pair within the gap": [_tag(0) + _PART1, _tag(1) + _PART2, _tag(1) + _POS],
    "lone part 2": [_PART2, _POS],
    "c: in milliseconds, decimal, twice": [
        _tb("c:1694088000123") + _POS, _tb("c:1694088000.5") + _POS,
        _tb("c:1694088000,c:1694088001") + _POS],
    "station twice, a group, a long field": [
        _tb("s:a,s:b,c:1694088000") + _POS, _tb("g:1-1-7,c:1694088000") + _POS,
        _tb("s:" + "x" * 65 + ",c:1694088000") + _POS],
    "type 24 part 3, type 5 in one line, type 4": [
        "!AIVDM,1,1,,B,H39H6tTT1=3000046kpqpP0h7250,0*42",
        "!AIVDM,1,1,,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8"
        "88888888880,2*1C", "!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D"],
    "CR-only line breaks": None,
    "blank and padded lines": ["", "  " + _POS, _POS + " ", "\t", _POS],
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("chunk_records", [1, 2, 3, 200_000])
@pytest.mark.parametrize("assume", [T0, None])
def test_lines_that_depend_on_reader_state(
    tmp_path: Path, case: str, chunk_records: int, assume: datetime | None
) -> None:
    lines = CASES[case]
    path = tmp_path / "case.nmea"
    if lines is None:
        path.write_bytes(f"{_POS}\r{_tag(0)}{_PART1}\r\n{_tag(0)}{_PART2}\r\r{_POS}".encode())
    else:
        path.write_text("\n".join(lines) + "\n")
    _same_both_ways(path, IngestOptions(assume_time=assume, chunk_records=chunk_records))


def test_a_gzipped_feed_reads_as_the_plain_one(tmp_path: Path) -> None:
    plain = tmp_path / "feed.nmea"
    write_sample_nmea(plain, hours=0.5, fleet=scaled_fleet(10))
    packed = tmp_path / "feed.nmea.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert columnar(packed, IngestOptions()) == line_by_line(plain, IngestOptions())


@pytest.mark.parametrize("block_bytes", [90, 1000])
def test_blocks_end_at_line_breaks_wherever_they_fall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """Blocks smaller than a line, a pair or a CR+LF: the lines and records stay the same."""
    monkeypatch.setattr("cargotrace.ingest.nmea_columnar.lines.BLOCK_BYTES", block_bytes)
    plain = tmp_path / "feed.nmea"
    write_sample_nmea(plain, hours=0.15, fleet=scaled_fleet(8))
    _same_both_ways(plain, IngestOptions(chunk_records=101))
    crlf = tmp_path / "crlf.nmea"
    crlf.write_bytes(plain.read_bytes().replace(b"\n", b"\r\n"))
    _same_both_ways(crlf, IngestOptions())
    cr_only = tmp_path / "cr.nmea"
    cr_only.write_bytes(plain.read_bytes().replace(b"\n", b"\r"))
    _same_both_ways(cr_only, IngestOptions())
