"""The NMEA reader's main loop: blocks of lines, most decoded column-wise, the rest one by one.

Why this is exact: the line-by-line reader (`nmea._NmeaReader`) keeps state across lines (open
multipart groups, a pending Gatehouse time). A line decoded here is a complete message that
would neither read nor change that state, except in two cases, which this loop checks in file
order as it hands every other line to the reader: a line right after a pending Gatehouse
wrapper (it would take the wrapper's time), and a two-line type 5 whose key has an open group
(its part 1 would close that group). Such lines go to the reader too. Chunks end every
`chunk_records` lines, where the reader closes stale groups, as it always has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from cargotrace.errors import UnreadableInputError
from cargotrace.ingest.nmea_columnar import compiled, lines
from cargotrace.ingest.nmea_columnar.lines import Lines, read_blocks, split_lines
from cargotrace.ingest.nmea_columnar.plan import Plan, decode, make_plan
from cargotrace.ingest.nmea_columnar.sentences import Sentences, match_sentences
from cargotrace.ingest.records import Chunk, ChunkBuilder
from cargotrace.ingest.summary import JOINED_PARTS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Scan = Callable[[Lines, "int | None"], Sentences]


class LineReader(Protocol):
    """What this loop needs of `nmea._NmeaReader`."""

    out: ChunkBuilder
    default_time: datetime | None

    @property
    def gatehouse_time(self) -> datetime | None: ...
    @property
    def gatehouse_problem(self) -> object | None: ...
    @property
    def groups(self) -> Mapping[tuple[object, ...], object]: ...

    def read_line(self, line_no: int, line: bytes) -> None: ...
    def flush_stale(self, line_no: int, everything: bool = False) -> None: ...


def stream_chunks(
    reader: LineReader, raw: BinaryIO, fh: BinaryIO, path: Path, chunk_records: int,
    max_gap_s: float, use_compiled: bool = False,
) -> Iterator[Chunk]:
    """Chunks of staged records of `fh` (`raw`: the file under it, for progress in bytes);
    `use_compiled`: find the sentences with the compiled kernels (`compiled`, numba)."""
    scan = compiled.match_sentences if use_compiled else match_sentences
    split = compiled.split_lines if use_compiled else split_lines
    default = reader.default_time
    default_us = None if default is None else (default - _EPOCH) // timedelta(microseconds=1)
    done = in_chunk = reported = 0
    for block in _blocks(fh, path):
        block_lines = split(block)
        at = 0
        while at < len(block_lines):
            take = min(len(block_lines) - at, chunk_records - in_chunk)
            batch = block_lines.slice(at, at + take)
            _Batch(reader, batch, done + 1, default_us, max_gap_s, scan).run()
            at, done, in_chunk = at + take, done + take, in_chunk + take
            if in_chunk >= chunk_records:
                reader.flush_stale(done)
                position = raw.tell()
                yield reader.out.build(position - reported)
                reported, in_chunk = position, 0
    reader.flush_stale(done, everything=True)
    yield reader.out.build(raw.tell() - reported)


def _blocks(fh: BinaryIO, path: Path) -> Iterator[bytes]:
    """The file's blocks; a damaged compressed file is an unusable file, not a crash."""
    try:
        yield from read_blocks(fh, lines.BLOCK_BYTES)
    except (OSError, EOFError) as exc:
        raise UnreadableInputError(
            f"{path}: the compressed data is damaged ({exc}); nothing from this file was stored"
        ) from exc


class _Batch:
    """One batch of lines: plan, hand the other lines to the reader in order, decode the rest."""

    def __init__(self, reader: LineReader, batch: Lines, first_line_no: int,
                 default_us: int | None, max_gap_s: float, scan: Scan) -> None:
        self.reader, self.lines, self.first = reader, batch, first_line_no
        self.found: Sentences = scan(batch, default_us)
        self.plan: Plan = make_plan(self.found, max_gap_s)
        rows = self.found.rows
        self.single_lines = rows[self.plan.single]
        self.pair_lines = rows[self.plan.pair]
        self.keep_single = np.ones(len(self.single_lines), bool)
        self.keep_pair = np.ones(len(self.pair_lines), bool)

    def run(self) -> None:
        n = len(self.lines)
        fast = np.zeros(n, bool)
        fast[self.single_lines] = True
        fast[self.pair_lines] = fast[self.pair_lines + 1] = True
        previous = -1
        for j in [*np.flatnonzero(~fast).tolist(), n]:
            if j > previous + 1:
                self._fast_stretch(previous + 1, j)
            if j < n:
                self._read(j)
            previous = j
        self._decode()

    def _read(self, i: int) -> None:
        self.reader.read_line(self.first + i, self.lines.line(i))

    def _fast_stretch(self, begin: int, end: int) -> None:
        """Lines begin..end-1 are all planned here: hand back those that depend on state."""
        reader = self.reader
        if reader.gatehouse_time is not None or reader.gatehouse_problem is not None:
            self._give_back(begin)
        if not reader.groups:
            return
        lo, hi = np.searchsorted(self.pair_lines, [begin, end])
        for p in range(int(lo), int(hi)):
            if self.keep_pair[p] and self._pair_key(p) in reader.groups:
                self._give_back(int(self.pair_lines[p]))

    def _pair_key(self, p: int) -> tuple[object, ...]:
        """The group key the reader would give this type 5's part 1 (`nmea._NmeaReader`)."""
        i = int(self.plan.pair[p])
        f = self.found
        seq = int(f.seq[i])
        channel = chr(f.channel[i]) if f.channel[i] else ""
        return (f.tags.station[i].as_py(), channel, seq if seq >= 0 else None, 2)

    def _give_back(self, line: int) -> None:
        """The planned message starting at `line` is read by the reader instead."""
        p = np.searchsorted(self.pair_lines, line)
        if p < len(self.pair_lines) and self.pair_lines[p] == line:
            self.keep_pair[p] = False
            self._read(line)
            self._read(line + 1)
            return
        s = np.searchsorted(self.single_lines, line)
        self.keep_single[s] = False
        self._read(line)

    def _decode(self) -> None:
        plan = Plan(self.plan.single[self.keep_single], self.plan.pair[self.keep_pair],
                    self.plan.msg_type)
        out = self.reader.out
        lines = len(plan.single) + 2 * len(plan.pair)
        if not lines:
            return
        found_positions, found_reports = decode(self.found, plan, self.first)
        out.extra_positions.append(found_positions)
        out.extra_reports.append(found_reports)
        out.records_read += lines
        if len(plan.pair):
            out.skipped[JOINED_PARTS] += len(plan.pair)
