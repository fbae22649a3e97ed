"""NMEA ingest on the real captures in ../shared/data/ais_nmea, and on corrupted copies of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyais import decode

from cargotrace import Store
from cargotrace import open_store as cargotrace_store
from cargotrace.ingest.nmea_lines import nmea_checksum
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.ingest.reasons import QuarantineReason as R

ASSUMED = datetime(2020, 1, 1, tzinfo=UTC)

# Real sentences (pyais tests/mixed.txt, AISHub; gpsd test/sample.aivdm).
TYPE1_A = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"
TYPE1_B = "!AIVDM,1,1,,A,133sVfPP00PD>hRMDH@jNOvN20S8,0*7F"
TYPE1_C = "!AIVDM,1,1,,B,13eaJF0P00Qd388Eew6aagvH85Ip,0*45"
TYPE5 = (
    "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
    "!AIVDM,2,2,1,A,88888888880,2*25",
)
TYPE5_B = (
    "!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A",
    "!AIVDM,2,2,9,B,`88888888888880,2*76",
)


def with_checksum(body: str) -> str:
    """A sentence with a correct checksum for `body` (everything between '!' and '*')."""
    return f"!{body}*{nmea_checksum(body.encode()):02X}"


def tagged(sentence: str, ts: int, station: str = "rx1") -> str:
    body = f"s:{station},c:{ts}"
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\{sentence}"


def quarantine_rows(store: Store) -> list[tuple[int, str, str]]:
    return store.con.execute(
        "SELECT line_no, reason, raw FROM quarantine ORDER BY line_no"
    ).fetchall()


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_gpsd_sample_decodes_like_gpsd(tmp_store: Store, shared_data: Path) -> None:
    """Every position and static report in gpsd's sample matches gpsd's own JSON decode."""
    nmea = shared_data / "ais_nmea/gpsd/sample.aivdm"
    oracle = [
        json.loads(line)
        for line in (shared_data / "ais_nmea/gpsd/sample.aivdm.js.chk").read_text().splitlines()
        if line.startswith("{")
    ]
    ingest_file(tmp_store, nmea, IngestOptions(assume_time=ASSUMED))
    positions = {
        (m, round(lat, 4), round(lon, 4)): (sog, cog, heading)
        for m, lat, lon, sog, cog, heading in tmp_store.con.execute(
            "SELECT mmsi, lat, lon, sog, cog, heading FROM positions"
        ).fetchall()
    }
    expected = [o for o in oracle if o["type"] in (1, 2, 3, 18, 19) and o["mmsi"] >= 100000000]
    assert len(expected) >= 9
    for o in expected:
        key = (o["mmsi"], round(o["lat"], 4), round(o["lon"], 4))
        assert key in positions, o
        sog, cog, heading = positions[key]
        assert sog == pytest.approx(o["speed"])
        assert cog == pytest.approx(o["course"])
        assert heading == (None if o["heading"] == 511 else o["heading"])
    reports = {
        (m, n): (imo, callsign, ship_type, length)
        for m, n, imo, callsign, ship_type, length in tmp_store.con.execute(
            "SELECT mmsi, name, imo, callsign, ship_type, length FROM vessel_reports"
        ).fetchall()
    }
    for o in (o for o in oracle if o["type"] == 5):
        imo, callsign, ship_type, length = reports[(o["mmsi"], o["shipname"])]
        assert (imo or 0, callsign, ship_type) == (o["imo"], o["callsign"], o["shiptype"])
        assert length == o["to_bow"] + o["to_stern"]


def test_tag_block_time_and_station(tmp_store: Store, shared_data: Path) -> None:
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    summary = ingest_file(tmp_store, path)
    # first line: \s:42809,c:1635731889,...\!AIVDM,1,1,,,403t>B1vFhQr5`NonbBw?>G00<0n,0*7B is a
    # type 4 (base station); the first position comes from receiver 41925 at c:1635731889
    row = tmp_store.con.execute(
        "SELECT ts, station FROM positions WHERE mmsi = ? ORDER BY ts LIMIT 1",
        [decode("!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`,0*37").mmsi],
    ).fetchone()
    assert row == (datetime.fromtimestamp(1635731889, tz=UTC), "41925")
    assert summary.skipped["msg_type_4"] == 5
    assert summary.skipped["blank_lines"] == 3
    # real MMSIs below 100000000, on 6 lines (a type 19 gives a position and a report: one row)
    assert summary.quarantined == {R.MALFORMED_MMSI: 6}
    assert tmp_store.count("positions") == summary.positions_stored == 912


def test_uscg_suffix_time_and_receiver(tmp_store: Store, shared_data: Path) -> None:
    ingest_file(tmp_store, shared_data / "ais_nmea/aisdb/test_data_201201.nmea")
    rows = tmp_store.con.execute("SELECT DISTINCT station FROM positions").fetchall()
    assert rows == [("r003669946",)]
    first = tmp_store.con.execute("SELECT min(ts) FROM positions").fetchone()
    assert first is not None and first[0].year == 2012 and first[0].month == 1


def test_gatehouse_wrapper_times_next_sentence(tmp_store: Store, shared_data: Path) -> None:
    summary = ingest_file(tmp_store, shared_data / "ais_nmea/pyais/gatehouse.nmea")
    # $PGHP,1,2008,5,9,0,0,0,10,... is followed by !AIVDM ... 15NBj>PP1gG>1PVKTDTUJOv00<0M
    ts = tmp_store.con.execute(
        "SELECT ts FROM positions WHERE mmsi = ?",
        [decode("!AIVDM,1,1,,B,15NBj>PP1gG>1PVKTDTUJOv00<0M,0*09").mmsi],
    ).fetchone()
    assert ts == (datetime(2008, 5, 9, 0, 0, 0, 10000, tzinfo=UTC),)
    # the second $PGHP line's checksum was hand-edited in the sample: it is quarantined
    assert summary.quarantined[R.BAD_CHECKSUM] == 1


@pytest.mark.parametrize(
    "prefix",
    ["2023-09-07 12:00:05.500 ", "2023-09-07T12:00:05.5Z,", "1694088005.5 ", "1694088005500;",
     "[2023-09-07T12:00:05.500+00:00] "],
    ids=["iso-space", "iso-z-comma", "epoch-s", "epoch-ms", "bracketed"],
)
def test_receive_time_prefix(tmp_store: Store, tmp_path: Path, prefix: str) -> None:
    path = write(tmp_path, "feed.log", [prefix + TYPE1_A])
    ingest_file(tmp_store, path)
    assert tmp_store.con.execute("SELECT ts FROM positions").fetchall() == [
        (datetime(2023, 9, 7, 12, 0, 5, 500000, tzinfo=UTC),)
    ]


def test_untimed_lines_are_quarantined_not_given_a_time(tmp_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "untimed.nmea", [TYPE1_A, TYPE1_B, *TYPE5])
    summary = ingest_file(tmp_store, path)
    assert summary.positions_stored == 0
    assert summary.quarantined == {R.MISSING_TIME: 3}
    assert [r[:2] for r in quarantine_rows(tmp_store)] == [
        (1, R.MISSING_TIME), (2, R.MISSING_TIME), (3, R.MISSING_TIME)
    ]


def test_assume_time_and_time_from_filename(tmp_store: Store, tmp_path: Path) -> None:
    untimed = write(tmp_path, "ais_20230907.nmea", [TYPE1_A])
    ingest_file(tmp_store, untimed, IngestOptions(time_from_filename=True))
    assert tmp_store.con.execute("SELECT ts FROM positions").fetchone() == (
        datetime(2023, 9, 7, tzinfo=UTC),
    )
    other = write(tmp_path, "feed.nmea", [TYPE1_B])
    ingest_file(tmp_store, other, IngestOptions(assume_time=datetime(2023, 9, 8, tzinfo=UTC)))
    assert tmp_store.count("positions") == 2


def test_interleaved_multipart_across_channels_and_receivers(
    tmp_store: Store, tmp_path: Path
) -> None:
    """Fragments of four type 5 messages interleave; each is reassembled with its own parts."""
    t = 1694088000
    lines = [
        tagged(TYPE5[0], t, "rx1"),
        tagged(TYPE5_B[0], t, "rx1"),  # other channel, same receiver
        tagged(TYPE5[0], t, "rx2"),  # same message heard by a second receiver
        tagged(TYPE1_A, t, "rx1"),
        tagged(TYPE5_B[1], t, "rx1"),
        tagged(TYPE5[1], t, "rx2"),
        tagged(TYPE5[1], t, "rx1"),
    ]
    summary = ingest_file(tmp_store, write(tmp_path, "interleaved.nmea", lines))
    assert summary.quarantined_total == 0
    names = tmp_store.con.execute(
        "SELECT mmsi, name, station FROM vessel_reports ORDER BY station, mmsi"
    ).fetchall()
    a, b = decode(*TYPE5), decode(*TYPE5_B)
    assert names == [(a.mmsi, a.shipname, "rx1"), (b.mmsi, b.shipname, "rx1")]
    assert summary.duplicate_reports == 1  # rx2 heard the same report at the same time


def test_parts_received_far_apart_are_joined_only_within_the_limit(
    tmp_path: Path
) -> None:
    """A type 5's second part stamped 5 s after its first (an aggregator that stamps late):
    by default the parts are not joined (quarantined with the gap in the reason); with
    `max_part_gap_s=10` they are, and decode exactly as pyais decodes the two sentences."""
    t = 1694088000
    path = write(tmp_path, "late.nmea", [tagged(TYPE5[0], t), tagged(TYPE5[1], t + 5)])
    with cargotrace_store(tmp_path / "strict.duckdb") as strict:
        summary = ingest_file(strict, path)
        assert summary.reports_stored == 0
        details = dict(strict.con.execute("SELECT reason, detail FROM quarantine").fetchall())
        assert set(details) == {R.ORPHAN_FRAGMENT, R.INCOMPLETE_MULTIPART}
        assert "received 5 s after part 1" in details[R.ORPHAN_FRAGMENT]
    with cargotrace_store(tmp_path / "lenient.duckdb") as lenient:
        summary = ingest_file(lenient, path, IngestOptions(max_part_gap_s=10))
        assert summary.quarantined_total == 0
        name = lenient.con.execute("SELECT name FROM vessel_reports").fetchone()
        assert name == (decode(*TYPE5).shipname,)


def test_tag_block_groups_link_fragments(tmp_store: Store, tmp_path: Path) -> None:
    # pyais tests/mixed.txt: a 2-part message whose second tag block has only g: and n:
    lines = [
        r"\g:1-2-27300,n:636994,s:b003669710,c:1428621738*5F\!SAVDM,2,1,2,B,"
        r"55Mw@A7J1adAL@?;7WPl58F0U<h4pB222222220t1PN5553fN4g?`4iSp5Rc,0*26",
        r"\g:2-2-27300,n:636995*15\!SAVDM,2,2,2,B,iP`88888880,2*5E",
    ]
    ingest_file(tmp_store, write(tmp_path, "groups.nmea", lines))
    row = tmp_store.con.execute("SELECT name, ts, station FROM vessel_reports").fetchone()
    assert row is not None
    assert row[1] == datetime.fromtimestamp(1428621738, tz=UTC) and row[2] == "b003669710"
    assert row[0] == decode(
        "!SAVDM,2,1,2,B,55Mw@A7J1adAL@?;7WPl58F0U<h4pB222222220t1PN5553fN4g?`4iSp5Rc,0*26",
        "!SAVDM,2,2,2,B,iP`88888880,2*5E",
    ).shipname


def test_corrupted_real_sentences_each_land_in_quarantine(tmp_store: Store, tmp_path: Path) -> None:
    """Every kind of damage gets its reason; every good line around it is stored."""
    t = 1694088000
    body_1a = TYPE1_A[1 : TYPE1_A.index("*")]
    bad_checksum = TYPE1_A.replace("13HOI", "13HOJ")
    truncated = with_checksum(body_1a.replace("0000VOHLCnHQKwvL05Ip", "0000VOHL"))
    wrong_fields = with_checksum(body_1a.replace(",A,", ",A,X,"))
    orphan = TYPE5_B[1]
    broken_tag = tagged(TYPE1_B, t).replace("*", "*0", 1)
    lines = [
        tagged(TYPE1_A, t),  # 1 good
        tagged(bad_checksum, t),  # 2
        tagged(truncated, t),  # 3
        "\x00\x17garbage between lines \xff",  # 4
        tagged(wrong_fields, t),  # 5
        tagged(orphan, t),  # 6
        tagged(TYPE5[0], t),  # 7 first part whose second part never comes
        tagged(TYPE1_B, t + 1),  # 8 good
        broken_tag,  # 9
        tagged(TYPE1_C, t + 2),  # 10 good
        tagged("!AIVDM,1,1,,B,,0*25", t),  # 11 real empty payload (pyais nmea_data_sample)
    ]
    path = tmp_path / "dirty.nmea"
    path.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    summary = ingest_file(tmp_store, path)
    assert [r[:2] for r in quarantine_rows(tmp_store)] == [
        (2, R.BAD_CHECKSUM),
        (3, R.TRUNCATED_PAYLOAD),
        (4, R.NOT_NMEA),
        (5, R.MALFORMED_SENTENCE),
        (6, R.ORPHAN_FRAGMENT),
        (7, R.INCOMPLETE_MULTIPART),
        (9, R.BAD_TAG_BLOCK),
        (11, R.EMPTY_PAYLOAD),
    ]
    assert summary.positions_stored == 3
    assert {m for (m,) in tmp_store.con.execute("SELECT mmsi FROM positions").fetchall()} == {
        decode(s).mmsi for s in (TYPE1_A, TYPE1_B, TYPE1_C)
    }
    # the raw text is kept as received, so the record can be inspected or repaired later
    raws = {line_no: raw for line_no, _, raw in quarantine_rows(tmp_store)}
    assert raws[2] == lines[1] and raws[7] == lines[6]


def test_not_available_values_become_null(tmp_store: Store, tmp_path: Path) -> None:
    from pyais.encode import encode_dict

    t = 1694088000
    n_a = encode_dict(
        {"type": 1, "mmsi": 273310010, "lat": 91, "lon": 181, "speed": 102.3, "course": 360,
         "heading": 511},
        talker_id="AI", sentence_type="VDM",
    )[0]
    out_of_range = encode_dict(
        {"type": 1, "mmsi": 273310011, "lat": 95.0, "lon": 30.0, "speed": 5, "course": 10},
        talker_id="AI", sentence_type="VDM",
    )[0]
    summary = ingest_file(
        tmp_store, write(tmp_path, "na.nmea", [tagged(n_a, t), tagged(out_of_range, t)])
    )
    assert tmp_store.con.execute(
        "SELECT mmsi, lat, lon, sog, cog, heading FROM positions"
    ).fetchall() == [(273310010, None, None, None, None, None)]
    assert summary.quarantined == {R.LAT_OUT_OF_RANGE: 1}


def test_same_file_twice_changes_nothing(tmp_store: Store, shared_data: Path) -> None:
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    first = ingest_file(tmp_store, path)
    counts = {t: tmp_store.count(t) for t in ("positions", "vessel_reports", "quarantine")}
    again = ingest_file(tmp_store, path)
    assert again.already_ingested and again.ingest_id == first.ingest_id
    assert {t: tmp_store.count(t) for t in counts} == counts
    assert tmp_store.count("ingests") == 1


def test_overlapping_files_store_each_position_once(tmp_store: Store, tmp_path: Path) -> None:
    t = 1694088000
    first = write(tmp_path, "a.nmea", [tagged(TYPE1_A, t), tagged(TYPE1_B, t)])
    second = write(tmp_path, "b.nmea", [tagged(TYPE1_B, t, "rx2"), tagged(TYPE1_C, t)])
    ingest_file(tmp_store, first)
    summary = ingest_file(tmp_store, second)
    assert (summary.positions_stored, summary.duplicate_positions) == (1, 1)
    assert tmp_store.count("positions") == 3


SAMPLES_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/ais_nmea"
NMEA_SAMPLES = sorted(
    p.relative_to(SAMPLES_DIR).as_posix()
    for p in SAMPLES_DIR.rglob("*")
    if p.is_file() and p.suffix not in (".md", ".chk")
)


@pytest.mark.parametrize("name", NMEA_SAMPLES)
def test_every_real_sample_ingests_and_every_line_is_read(tmp_store: Store, name: str) -> None:
    path = SAMPLES_DIR / name
    summary = ingest_file(tmp_store, path, IngestOptions(assume_time=ASSUMED))
    with path.open("rb") as fh:
        assert summary.records_read == sum(1 for _ in fh)
    assert tmp_store.count("quarantine") == summary.quarantined_total
    assert tmp_store.count("positions") == summary.positions_stored
    # what these real captures contain: junk their authors planted, and real transponder faults
    # (7-digit MMSIs, headings of 360-510, positions off the globe in libais examples)
    expected = {R.NOT_NMEA, R.BAD_CHECKSUM, R.BAD_TAG_BLOCK, R.MALFORMED_SENTENCE,
                R.EMPTY_PAYLOAD, R.INCOMPLETE_MULTIPART, R.TRUNCATED_PAYLOAD, R.MALFORMED_MMSI,
                R.LAT_OUT_OF_RANGE, R.LON_OUT_OF_RANGE, R.HEADING_OUT_OF_RANGE}
    assert set(summary.quarantined) <= expected
    assert summary.positions_stored + summary.reports_stored + sum(summary.skipped.values()) > 0
    # what is on screen adds up to the lines read (issue 21): a line is a record's first part
    # (a position, a report, or both for a type 19), a later part of one, quarantined or skipped
    both = tmp_store.con.execute(
        "SELECT count(*) FROM positions WHERE msg_type = 19").fetchall()[0][0]
    assert summary.records_read == (
        summary.positions_read + summary.reports_read - both + summary.quarantined_total
        + sum(summary.skipped.values()))


@pytest.mark.parametrize("name", ["mixed.txt", "ais_test_messages", "sample.ais"])
def test_later_parts_of_multipart_messages_are_counted(tmp_store: Store, name: str) -> None:
    """These pyais samples hold complete two-part type 5 messages: each second part is a line
    read that the summary counts under `multipart_later_parts` (counted here from the text)."""
    import re

    path = SAMPLES_DIR / "pyais" / name
    later = sum(1 for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                if (m := re.search(r"![A-Z]{2}VD[MO],(\d),(\d),", line)) and int(m.group(2)) > 1)
    summary = ingest_file(tmp_store, path, IngestOptions(assume_time=ASSUMED))
    assert later > 0 and summary.skipped["multipart_later_parts"] == later


def test_gzipped_feed_reads_like_the_plain_one(tmp_path: Path, shared_data: Path) -> None:
    import gzip

    plain = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    packed = tmp_path / "feed.nm4.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    with cargotrace_store(tmp_path / "a.duckdb") as a, cargotrace_store(tmp_path / "b.duckdb") as b:
        one, two = ingest_file(a, plain), ingest_file(b, packed)
    assert (two.format, two.positions_stored, two.quarantined) == (
        "nmea", one.positions_stored, one.quarantined
    )


def test_damaged_gzip_is_one_clear_error_and_stores_nothing(
    tmp_store: Store, tmp_path: Path, shared_data: Path
) -> None:
    import gzip

    from cargotrace.errors import UnreadableInputError

    data = gzip.compress((shared_data / "ais_nmea/aisdb/test_data_20211101.nm4").read_bytes())
    damaged = tmp_path / "cut.nm4.gz"
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableInputError, match="the compressed data is damaged"):
        ingest_file(tmp_store, damaged)
    assert tmp_store.count("positions") == tmp_store.count("ingests") == 0
