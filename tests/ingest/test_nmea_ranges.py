"""A file cut into byte ranges (for Spark tasks) decodes to exactly what the whole-file read
gives: the same records, quarantine rows and counts, wherever the cuts fall, including between
the parts of a multipart message and inside chunks whose stale groups close."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cargotrace.ingest.byte_ranges import byte_ranges
from cargotrace.ingest.nmea_ranges import count_lines, decode_range, plan_tasks
from cargotrace.ingest.params import IngestOptions
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

from .nmea_reference import _summary, columnar

T0 = datetime(2021, 11, 1, tzinfo=UTC)


def in_ranges(path: Path, options: IngestOptions,
              ranges: list[tuple[int, int]]) -> dict[str, Any]:
    """Every range decoded on its own (as Spark tasks do), added up like `columnar`."""
    counted = [count_lines(path, a, b) for a, b in ranges]
    tasks = plan_tasks(ranges, counted, path.stat().st_size, options.chunk_records)
    chunks = [c for task in tasks for c in decode_range(path, task, options)]
    got = _summary(chunks)
    del got["records_per_chunk"]  # a range's chunks end at its ends too
    return got


def whole(path: Path, options: IngestOptions) -> dict[str, Any]:
    got = columnar(path, options)
    assert got["records_read"] == len(path.read_bytes().splitlines())  # every line counted
    del got["records_per_chunk"]
    return got


def test_ranges_start_at_line_starts_and_cover_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    rng = random.Random(5)
    for trial in range(200):
        data = b"".join(b"x" * rng.randint(0, 9) + rng.choice([b"\n", b"\r\n", b"\r"])
                        for _ in range(rng.randint(0, 40)))
        data += b"tail" if trial % 2 else b""
        path.write_bytes(data)
        ranges = byte_ranges(path, rng.randint(1, 12))
        if not data:
            assert ranges == []
            continue
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        assert all(b == c and a < b for (a, b), (c, _) in zip(ranges, ranges[1:], strict=False))
        for start, _ in ranges[1:]:  # a line starts after LF, or after a CR without its LF
            assert data[start - 1] == 10 or (data[start - 1] == 13 and data[start] != 10)
        assert sum(len(data[a:b].splitlines()) for a, b in ranges) == len(data.splitlines())


@pytest.mark.parametrize(("chunk_records", "cuts"), [(200_000, (2, 5, 17)), (97, (3,))])
def test_every_real_nmea_file_decodes_in_ranges_as_it_does_whole(
    shared_data: Path, chunk_records: int, cuts: tuple[int, ...],
) -> None:
    """Small chunks: chunk ends (where stale groups close) fall inside the ranges."""
    files = sorted(p for p in (shared_data / "ais_nmea").rglob("*") if p.is_file()
                   and p.name != "PROVENANCE.md")
    assert len(files) >= 12
    options = IngestOptions(assume_time=T0, chunk_records=chunk_records)
    positions = quarantined = 0
    for path in files:
        expected = whole(path, options)
        for n in cuts:
            assert in_ranges(path, options, byte_ranges(path, n)) == expected, (path.name, n)
        positions += len(expected["positions"])
        quarantined += len(expected["quarantine"])
    assert positions > 2500 and quarantined > 100


def test_multipart_messages_cut_between_their_parts_are_decoded_once(tmp_path: Path) -> None:
    path = tmp_path / "sim.nmea"
    write_sample_nmea(path, hours=1, fleet=scaled_fleet(20))
    data = path.read_bytes()
    # cut right after every 8th part 1 of a two-part message: each range must read past its
    # end to complete it, and the next must not take its part 2 for an orphan
    part_ones = [m.end() for m in re.finditer(rb"!AIVDM,2,1,[^\n]*\n", data)]
    cuts = sorted(set(part_ones[::8]))
    assert len(cuts) >= 10
    ranges = list(zip([0, *cuts], [*cuts, len(data)], strict=True))
    for options in (IngestOptions(), IngestOptions(chunk_records=50)):
        got = in_ranges(path, options, ranges)
        assert got == whole(path, options)
        assert got["quarantine"] == []
        # independent count: one report per single-sentence type 5/19/24 line and per pair
        text = data.decode()
        singles = re.findall(r"!AIVDM,1,1,[^,]*,[^,]*,(.)", text)
        pairs = len(re.findall(r"!AIVDM,2,1,(.),(.),.*\n.*!AIVDM,2,2,\1,\2,", text))
        assert len(got["reports"]) == sum(c in "CH5" for c in singles) + pairs
        assert got["skipped"] == Counter({"multipart_later_parts": pairs})
