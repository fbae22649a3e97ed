"""Decode one byte range of an NMEA file exactly as a whole-file read decodes those lines.

Why this is exact: the reader (`nmea._NmeaReader`) keeps state across lines (open multipart
groups, a pending Gatehouse time), and closes groups that are stale at chunk ends (every
`chunk_records` lines from the top of the file). So a range is decoded from an earlier line,
far enough back that the state at its first line is the whole-file read's: a group still open
at the range's first line started at most `STALE_AFTER_LINES` lines before the last chunk end
(older ones were closed there), so reading from that point rebuilds every such group. Chunk ends
stay where the whole-file read has them (global line numbers). Ownership:

- a range owns the lines it covers, and the multipart groups whose first part is one of them;
- it reads past its end, one line at a time, until none of its groups is still open (a
  group's parts are rarely more than a line or two apart), and keeps nothing else from there;
- every stored, quarantined or counted thing is attributed to the line that owns it (a
  message and its parts to its first part's line), and a range keeps only its own.

The ranges' outputs added up are therefore the whole-file read's, whatever the cuts
(tests/ingest/test_nmea_ranges.py). Line numbers are global: `count_lines` (a first pass over
every range) gives each range's first line number.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.ingest.nmea import STALE_AFTER_LINES, _NmeaReader
from cargotrace.ingest.nmea_columnar import compiled
from cargotrace.ingest.nmea_columnar.lines import BLOCK_BYTES, Lines, read_blocks, split_lines
from cargotrace.ingest.nmea_columnar.sentences import match_sentences
from cargotrace.ingest.nmea_columnar.stream import _Batch
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.records import Chunk

CHECKPOINT_LINES = 1000
"""`count_lines` notes the byte offset of every this-many-th line of a range: where a later
range's look-back may start reading."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RangeLines:
    """What the first pass learns of one range: its lines, and where some of them start."""

    lines: int
    checkpoints: tuple[tuple[int, int], ...]
    """(line index within the range, byte offset in the file), every CHECKPOINT_LINES lines."""


@dataclass(frozen=True)
class RangeTask:
    """One range to decode, with where its look-back starts (all line numbers 1-based and
    global, all offsets in bytes from the top of the file)."""

    index: int
    start: int
    end: int
    first_line: int
    lines: int
    read_from: int
    """Byte offset of the line `read_from_line`: where reading starts (the look-back)."""
    read_from_line: int
    size: int
    """The file's size: a range ending there reads no further (end of file)."""


class _Window:
    """A binary file read from `start` up to `stop` only."""

    def __init__(self, fh: BinaryIO, start: int, stop: int) -> None:
        fh.seek(start)
        self.fh, self.left = fh, stop - start

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.fh.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


def count_lines(path: Path, start: int, end: int) -> RangeLines:
    """The lines of bytes start..end-1 (whole lines, as the reader splits them) and the byte
    offset of every CHECKPOINT_LINES-th one."""
    count = 0
    offset = start
    checkpoints: list[tuple[int, int]] = []
    with path.open("rb") as fh:
        for block in read_blocks(_Window(fh, start, end), BLOCK_BYTES):  # type: ignore[arg-type]
            found = split_lines(block)
            first = -count % CHECKPOINT_LINES
            for i in range(first, len(found), CHECKPOINT_LINES):
                checkpoints.append((count + i, offset + int(found.starts[i])))
            count += len(found)
            offset += len(block)
    return RangeLines(count, tuple(checkpoints))


def plan_tasks(ranges: list[tuple[int, int]], counted: list[RangeLines], size: int,
               chunk_records: int) -> list[RangeTask]:
    """Each range's global first line and look-back start (module docstring)."""
    known: list[tuple[int, int]] = [(1, 0)]  # (global line, offset) of line starts, ascending
    tasks: list[RangeTask] = []
    first = 1
    for index, ((start, end), seen) in enumerate(zip(ranges, counted, strict=True)):
        known += [(first + i, offset) for i, offset in seen.checkpoints if first + i > known[-1][0]]
        last_chunk_end = (first - 1) // chunk_records * chunk_records
        back_to = max(1, last_chunk_end - STALE_AFTER_LINES - 1)
        line, offset = known[bisect_right(known, (back_to, size + 1)) - 1]
        tasks.append(RangeTask(index, start, end, first, seen.lines, offset, line, size))
        first += seen.lines
    return tasks


class _Attribution:
    """Keeps the counts (`skipped`) the reader makes on behalf of this range's own lines.

    The reader counts into one Counter whatever line it is on; here each of its steps is
    wrapped so that what the step counted is moved aside and kept only when the line that
    owns it (the line read, or a message's first part) is one of the range's."""

    def __init__(self, reader: _NmeaReader, first: int, stop: int) -> None:
        self.reader, self.first, self.stop = reader, first, stop
        self.kept: Counter[str] = Counter()
        read_line, decode, quarantine_group = (reader.read_line, reader._decode,
                                               reader._quarantine_group)
        setattr(reader, "read_line",  # noqa: B010 (instance attributes shadow the methods)
                lambda line_no, line: self._owned(line_no, read_line, line_no, line))
        setattr(reader, "_decode",  # noqa: B010
                lambda fragments: self._owned(fragments[0].line_no, decode, fragments))
        setattr(reader, "_quarantine_group",  # noqa: B010
                lambda group, why: self._owned(group.first_line, quarantine_group, group, why))

    def owns(self, line_no: int) -> bool:
        return self.first <= line_no < self.stop

    def _owned(self, owner: int, step: Callable[..., None], *args: Any) -> None:
        skipped = self.reader.out.skipped
        before = Counter(skipped)
        step(*args)
        counted = Counter(skipped)
        counted.subtract(before)
        skipped.subtract(counted)  # the enclosing step must not count it again
        if self.owns(owner):
            self.kept.update({k: v for k, v in counted.items() if v})

    def take_bulk(self, own: bool) -> None:
        """Counts the column-wise decoder made directly, for a batch of lines that are all
        this range's (`own`) or all not."""
        skipped = self.reader.out.skipped
        if own:
            self.kept.update({k: v for k, v in skipped.items() if v})
        skipped.clear()


def decode_range(path: Path, task: RangeTask, options: IngestOptions) -> Iterator[Chunk]:
    """The chunks of the lines `task` owns, as a whole-file read of `path` would give them:
    only the records, quarantine rows and counts of its own lines (module docstring). Each
    chunk's `records_read` counts its own lines; the `skipped` counts come with the last."""
    reader = _NmeaReader(path, options)
    stop = task.first_line + task.lines
    owner = _Attribution(reader, task.first_line, stop)
    default = reader.default_time
    default_us = None if default is None else (default - _EPOCH) // timedelta(microseconds=1)
    chunk_records = options.chunk_records
    done = task.read_from_line - 1  # lines read so far, counted from the top of the file
    emitted = 0

    def cut() -> Chunk:
        nonlocal emitted
        chunk = _own_rows(reader.out.build(0), owner)
        own_read = max(0, min(done, stop - 1) - task.first_line + 1) - emitted
        chunk.records_read, emitted = own_read, emitted + own_read
        chunk.skipped = Counter()
        return chunk

    # the same scan as a whole-file read of this file (nmea.read_nmea): compiled when large
    scan = compiled.match_sentences if compiled.use_for(path.stat().st_size) else match_sentences
    with path.open("rb") as fh:
        window = _Window(fh, task.read_from, task.end)
        for block in read_blocks(window, BLOCK_BYTES):  # type: ignore[arg-type]
            lines = split_lines(block)
            at = 0
            while at < len(lines):
                line_no = done + 1
                # one batch never spans the range's first line or a chunk end
                take = len(lines) - at
                if line_no < task.first_line:
                    take = min(take, task.first_line - line_no)
                take = min(take, chunk_records - done % chunk_records)
                batch: Lines = lines.slice(at, at + take)
                _Batch(reader, batch, line_no, default_us, options.max_part_gap_s, scan).run()
                owner.take_bulk(own=line_no >= task.first_line)
                at, done = at + take, done + take
                if done % chunk_records == 0:
                    reader.flush_stale(done)
                    yield cut()
        _read_past_end(reader, owner, fh, task, done, chunk_records)
    chunk = cut()
    chunk.skipped = owner.kept
    yield chunk


def _read_past_end(reader: _NmeaReader, owner: _Attribution, fh: BinaryIO, task: RangeTask,
                   done: int, chunk_records: int) -> None:
    """Read on, line by line, while a group this range owns is still open; at the end of the
    file close every group, as the whole-file read does."""
    def open_own() -> bool:
        return any(owner.owns(g.first_line) for g in reader.groups.values())

    if task.end < task.size and open_own():
        for block in read_blocks(_Window(fh, task.end, task.size), 64 << 10):  # type: ignore[arg-type]
            lines = split_lines(block)
            for i in range(len(lines)):
                done += 1
                reader.read_line(done, lines.line(i))
                if done % chunk_records == 0:
                    reader.flush_stale(done)
                if not open_own():
                    return
    if task.end >= task.size or open_own():  # reached the end of the file
        reader.flush_stale(done, everything=True)


def _own_rows(chunk: Chunk, owner: _Attribution) -> Chunk:
    """The chunk's rows whose line this range owns."""
    def keep(table: pa.Table) -> pa.Table:
        if not table.num_rows:
            return table
        line_no = table.column("line_no")
        mask = pc.and_(pc.greater_equal(line_no, owner.first), pc.less(line_no, owner.stop))
        return table.filter(pc.fill_null(mask, False))
    return Chunk(keep(chunk.positions), keep(chunk.reports), keep(chunk.quarantine),
                 chunk.records_read, chunk.bytes_read, chunk.skipped)
