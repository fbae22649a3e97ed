"""The bulk decoder must agree with pyais, field for field, on every position it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import decode as pyais_decode
from pyais.encode import encode_dict

from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.nmea_fast import FastBatch, decode, try_add
from cargotrace.ingest.params import IngestOptions
from cargotrace.sim.nmea_writer import tag_block

T0 = datetime(2023, 9, 7, 12, tzinfo=UTC)

position = st.fixed_dictionaries(
    {
        "type": st.sampled_from([1, 2, 3, 18]),
        "mmsi": st.integers(0, 2**30 - 1),
        "status": st.integers(0, 15),
        "speed": st.integers(0, 1023).map(lambda v: v / 10),
        "lon": st.integers(-(2**27), 2**27 - 1).map(lambda v: v / 600000),
        "lat": st.integers(-(2**26), 2**26 - 1).map(lambda v: v / 600000),
        "course": st.integers(0, 4095).map(lambda v: v / 10),
        "heading": st.integers(0, 511),
        "second": st.integers(0, 63),
    }
)


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(position, min_size=1, max_size=20))
def test_bulk_decode_matches_pyais(messages: list[dict[str, float]]) -> None:
    batch = FastBatch()
    sentences = [encode_dict(m, talker_id="AI", sentence_type="VDM")[0] for m in messages]
    for i, sentence in enumerate(sentences):
        assert try_add(batch, i + 1, (tag_block(T0, "rx") + sentence).encode(), None)
    table, rejected = decode(batch)
    assert rejected == []
    for row, sentence in zip(table.to_pylist(), sentences, strict=True):
        ref = pyais_decode(sentence)
        assert row["mmsi"] == ref.mmsi
        assert row["msg_type"] == ref.msg_type
        assert row["lat"] == ref.lat and row["lon"] == ref.lon
        assert row["sog"] == ref.speed and row["cog"] == ref.course
        assert row["heading"] == ref.heading
        assert row["nav_status"] == (int(ref.status) if ref.msg_type != 18 else None)
        assert row["ts"] == T0 and row["station"] == "rx"


@pytest.mark.parametrize(
    "line",
    [
        "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*24",  # bad checksum
        r"\s:rx,c:1694088000*00\!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",  # bad tag block
    ],
)
def test_rejected_lines_go_back_to_the_checked_path(line: str) -> None:
    batch = FastBatch()
    assert try_add(batch, 1, line.encode(), T0)
    table, rejected = decode(batch)
    assert (table.num_rows, rejected) == (0, [0])


@pytest.mark.parametrize(
    "line",
    [
        "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
        "!AIVDM,1,1,,B,H39H6tTT1=3000046kpqpP0h7250,0*42",  # type 24
        r"\g:1-2-73874*A\!AIVDM,1,1,,A,15MrVH0000KH<:V:NtBLoqFP2H9:,0*2F",  # group
        "2023-09-07 12:00:05 !AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",  # prefix
        "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23,r003669946,1325394060",  # suffix
        "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",  # no time and none assumed
    ],
)
def test_other_shapes_are_left_to_pyais(line: str) -> None:
    assert not try_add(FastBatch(), 1, line.encode(), None)


def test_bulk_and_checked_paths_give_the_same_store_rows(tmp_path: Path, shared_data: Path) -> None:
    """The aisdb capture decoded with the bulk path on, and line by line, yields equal rows."""
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    bulk = [c.positions for c in read_nmea(path, IngestOptions())]
    rows = sorted(r for t in bulk for r in zip(*t.to_pydict().values(), strict=True))
    from cargotrace.ingest import nmea

    checked = nmea._NmeaReader(path, IngestOptions())
    with path.open("rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            checked.read_line(line_no, line)
    ref = checked.out.build(0).positions
    assert rows == sorted(zip(*ref.to_pydict().values(), strict=True))
    assert len(rows) > 900
