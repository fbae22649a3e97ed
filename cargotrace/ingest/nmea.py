"""NMEA 0183 AIS (`!AIVDM`/`!AIVDO`) reader: frames, checks, reassembles and decodes with pyais.

This module is the single place that maps pyais exceptions to quarantine reasons. Checksums are
checked here: pyais does not reject bad ones by default, and a flipped bit in a position payload
moves a ship by hundreds of kilometres.

Multipart messages: fragments of different messages interleave across channels and receivers,
so fragments are grouped by (tag-block group) or by (receiver, channel, sequence id, fragment
count). A group that a new first fragment replaces, or that is still open at the end of the file
or `STALE_AFTER_LINES` later, is quarantined as `incomplete_multipart`; a later fragment with no
open group, or received more than `IngestOptions.max_part_gap_s` (2 s) after the previous part
(a lost part and a reused sequence id must not make one message of two), is an
`orphan_fragment`.
"""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

from pyais.exceptions import AISBaseException, MissingPayloadException, UnknownMessageException
from pyais.messages import AISSentence, NMEASentenceFactory

from cargotrace.errors import ParamsError, UnreadableInputError
from cargotrace.ingest.nmea_checks import Problem, invalid_character, sentence_problem
from cargotrace.ingest.nmea_columnar import compiled
from cargotrace.ingest.nmea_columnar.stream import stream_chunks
from cargotrace.ingest.nmea_decode import POSITION_TYPES, REPORT_TYPES, emit_message, min_bits
from cargotrace.ingest.nmea_lines import (
    MAX_TAG_FIELD_CHARS,
    FramedLine,
    TagBlock,
    frame_line,
    is_ais_sentence,
    looks_like_nmea,
    parse_gatehouse,
    parse_prefix_time,
    parse_suffix,
    parse_tag_block,
    prefix_time_problem,
    time_from_filename,
)
from cargotrace.ingest.params import IngestOptions
from cargotrace.ingest.reasons import QuarantineReason as R
from cargotrace.ingest.records import Chunk, ChunkBuilder
from cargotrace.ingest.summary import JOINED_PARTS

__all__ = ["looks_like_nmea", "read_nmea"]

log = logging.getLogger(__name__)

STALE_AFTER_LINES = 1000  # a fragment group this many lines old will not be completed
CACHED_TYPES = frozenset({5, 24})  # static data: the same payload is sent again and again
STATIC_CACHE_SIZE = 100_000
MAX_MSG_TYPE = 27  # ITU-R M.1371-5 defines types 1-27; 0 and 28-63 are corrupted type bits


@dataclass
class _Fragment:
    sentence: AISSentence
    line_no: int
    raw: str
    time: datetime | None
    station: str | None
    own_time: datetime | None  # the line's own receive time (not an assumed one)


@dataclass
class _Group:
    total: int
    first_line: int
    fragments: list[_Fragment] = field(default_factory=list)

    def raw(self) -> str:
        return "\n".join(f.raw for f in self.fragments)


class _NmeaReader:
    """State that lives across lines: open fragment groups and a pending Gatehouse time."""

    def __init__(self, path: Path, options: IngestOptions) -> None:
        self.options = options
        self.default_time = options.assume_time
        if options.time_from_filename:
            self.default_time = time_from_filename(path.name)
            if self.default_time is None:
                raise ParamsError(
                    f"{path.name}: --time-from-filename found no date (like 20230907) in the "
                    "file name; rename the file or pass --assume-time"
                )
        self.groups: dict[tuple[object, ...], _Group] = {}
        self.gatehouse_time: datetime | None = None
        self.gatehouse_problem: Problem | None = None  # a wrapper whose time is none
        self.static_cache: dict[tuple[bytes, int], Any] = {}
        self.out = ChunkBuilder()

    # -- one line -------------------------------------------------------------------------
    def read_line(self, line_no: int, line: bytes) -> None:
        out = self.out
        out.records_read += 1
        stripped = line.strip()
        if not stripped:
            out.skipped["blank_lines"] += 1
            return
        if stripped.startswith(b"#"):
            out.skipped["comment_lines"] += 1
            return
        raw = stripped.decode("ascii", "backslashreplace")
        framed = frame_line(stripped)
        if framed is None:
            out.add_quarantine(line_no, raw, R.NOT_NMEA)
            return
        if framed.sentences > 1:
            out.add_quarantine(
                line_no, raw, R.MALFORMED_SENTENCE,
                f"{framed.sentences} sentences run together on one line",
            )
            return
        bad_byte = invalid_character(stripped[len(framed.prefix) :])
        if bad_byte is not None:
            out.add_quarantine(line_no, raw, *bad_byte)
            return
        if not framed.has_checksum:
            out.add_quarantine(line_no, raw, R.MALFORMED_SENTENCE, "no *hh checksum")
            return
        if not framed.checksum_ok:
            out.add_quarantine(line_no, raw, R.BAD_CHECKSUM)
            return
        if not is_ais_sentence(framed.sentence):
            self._other_sentence(framed)
            return
        self._ais_sentence(line_no, raw, framed)

    def _other_sentence(self, framed: FramedLine) -> None:
        if framed.sentence[3:6] == b"GHP" or framed.sentence.startswith(b"$PGHP"):
            self.gatehouse_time, self.gatehouse_problem = parse_gatehouse(framed.sentence)
        self.out.skipped["other_nmea_sentences"] += 1

    def _ais_sentence(self, line_no: int, raw: str, framed: FramedLine) -> None:
        out = self.out
        tag = parse_tag_block(framed.tag_block) if framed.tag_block is not None else None
        if tag is not None and not tag.valid:
            out.add_quarantine(line_no, raw, R.BAD_TAG_BLOCK)
            return
        own_time, station, group_tag, problem = self._line_time_station(framed, tag)
        time = own_time or self.default_time
        problem = problem or sentence_problem(framed.sentence)
        if problem is not None:
            out.add_quarantine(line_no, raw, *problem)
            return
        try:
            sentence = NMEASentenceFactory.produce(framed.sentence)
        except (AISBaseException, ValueError, IndexError) as exc:
            out.add_quarantine(line_no, raw, R.MALFORMED_SENTENCE, str(exc)[:200])
            return
        if not isinstance(sentence, AISSentence) or len(sentence.data_fields) != 5:
            out.add_quarantine(
                line_no, raw, R.MALFORMED_SENTENCE, "expected 7 comma-separated fields"
            )
            return
        fragment = _Fragment(sentence, line_no, raw, time, station, own_time)
        if sentence.frag_cnt == 1:
            self._decode([fragment])
            return
        if group_tag is not None:
            key: tuple[object, ...] = ("g", group_tag[2], sentence.frag_cnt)
        else:
            key = (station, sentence.channel, sentence.seq_id, sentence.frag_cnt)
        self._add_fragment(key, fragment)

    def _line_time_station(
        self, framed: FramedLine, tag: TagBlock | None
    ) -> tuple[datetime | None, str | None, tuple[int, int, str] | None, Problem | None]:
        """Receive time, station and fragment group from the line's wrappers.

        The last item is why the line must not be stored: an oversized field, or a receive time
        that is present but unusable (which `--assume-time` must not paper over).
        """
        time: datetime | None = None
        station: str | None = None
        group = None
        problem: Problem | None = None
        if tag is not None:
            time, station, group, problem = tag.time, tag.station, tag.group, tag.problem
        if time is None and framed.prefix:
            time = parse_prefix_time(framed.prefix)
            if time is None:
                problem = problem or prefix_time_problem(framed.prefix)
        if framed.suffix:
            suffix_time, suffix_station = parse_suffix(framed.suffix)
            time = time or suffix_time
            station = station or suffix_station
            if suffix_station is not None and len(suffix_station) > MAX_TAG_FIELD_CHARS:
                problem = problem or (
                    R.FIELD_TOO_LONG,
                    f"receiver id of {len(suffix_station)} characters "
                    f"(at most {MAX_TAG_FIELD_CHARS})",
                )
        if time is None and self.gatehouse_time is not None:
            time = self.gatehouse_time
        if time is None and self.gatehouse_problem is not None:
            problem = problem or self.gatehouse_problem
        self.gatehouse_time = self.gatehouse_problem = None
        return time, station, group, problem

    # -- multipart --------------------------------------------------------------------------
    def _add_fragment(self, key: tuple[object, ...], fragment: _Fragment) -> None:
        num = fragment.sentence.frag_num
        group = self.groups.get(key)
        if num == 1:
            if group is not None:
                self._quarantine_group(group, "a new message started before all parts came")
            self.groups[key] = _Group(fragment.sentence.frag_cnt, fragment.line_no, [fragment])
            return
        gap = _seconds_apart(group.fragments[-1], fragment) if group is not None else 0.0
        previous = group.fragments[-1].sentence.frag_num if group is not None else 0
        # The parts of one message come from one radio transmission (at most 5 slots, 0.13 s);
        # a receiver that stamps each sentence may cross a second boundary between them. A part
        # stamped later than the limit after the previous one belongs to another message that
        # reused the sequence id: joining them would store one vessel's name with another's
        # call sign and destination.
        max_gap = self.options.max_part_gap_s
        if group is None or previous != num - 1 or gap > max_gap:
            what = f"part {num} of {fragment.sentence.frag_cnt}"
            if group is None:
                why = f"{what} with no part 1 before it"
            elif gap > max_gap:
                why = f"{what} received {gap:.0f} s after part {num - 1}: another message's"
            else:
                why = f"{what} came out of order"
            if group is not None:
                self._quarantine_group(group, why)
                del self.groups[key]
            self.out.add_quarantine(fragment.line_no, fragment.raw, R.ORPHAN_FRAGMENT, why)
            return
        group.fragments.append(fragment)
        if num == group.total:
            del self.groups[key]
            self._decode(group.fragments)

    def _quarantine_group(self, group: _Group, why: str) -> None:
        have = [f.sentence.frag_num for f in group.fragments]
        if len(group.fragments) > 1:  # one quarantine row; a lone part 1 leaves no 0 count
            self.out.skipped[JOINED_PARTS] += len(group.fragments) - 1
        self.out.add_quarantine(
            group.first_line, group.raw(), R.INCOMPLETE_MULTIPART,
            f"{why}: have parts {have} of {group.total}",
        )

    def flush_stale(self, line_no: int, everything: bool = False) -> None:
        for key, group in list(self.groups.items()):
            if everything or line_no - group.first_line > STALE_AFTER_LINES:
                why = "end of file" if everything else (
                    f"no more parts within {STALE_AFTER_LINES} lines"
                )
                self._quarantine_group(group, why)
                del self.groups[key]

    # -- decoding ---------------------------------------------------------------------------
    def _decode(self, fragments: list[_Fragment]) -> None:
        out = self.out
        first = fragments[0]
        if len(fragments) > 1:  # one record, counted under its part 1
            out.skipped[JOINED_PARTS] += len(fragments) - 1
        raw = "\n".join(f.raw for f in fragments)
        time = next((f.time for f in fragments if f.time is not None), None)
        station = next((f.station for f in fragments if f.station is not None), None)
        sentence = AISSentence.assemble_from_iterable([f.sentence for f in fragments])
        if not sentence.payload:
            out.add_quarantine(first.line_no, raw, R.EMPTY_PAYLOAD)
            return
        msg_type: int = sentence.ais_id
        if not 1 <= msg_type <= MAX_MSG_TYPE:
            out.add_quarantine(first.line_no, raw, R.UNSUPPORTED_MSG_TYPE, f"type {msg_type}")
            return
        if msg_type not in POSITION_TYPES and msg_type not in REPORT_TYPES:
            try:
                sentence.decode()
            except UnknownMessageException:
                out.add_quarantine(first.line_no, raw, R.UNSUPPORTED_MSG_TYPE, f"type {msg_type}")
                return
            except (AISBaseException, ValueError, IndexError):
                pass  # a type we do not store: counted below, its bits are not our business
            out.skipped[f"msg_type_{msg_type}"] += 1
            return
        bits = len(sentence.payload) * 6 - sentence.fill_bits
        need = min_bits(msg_type, sentence)
        if bits < need:
            out.add_quarantine(
                first.line_no, raw, R.TRUNCATED_PAYLOAD,
                f"type {msg_type} needs {need} bits, payload has {bits}",
            )
            return
        if time is None:
            out.add_quarantine(
                first.line_no, raw, R.MISSING_TIME,
                "no tag block c:, receive-time prefix or suffix; pass --assume-time or "
                "--time-from-filename",
            )
            return
        try:
            message = self._decode_cached(sentence, msg_type)
        except (AISBaseException, ValueError, IndexError, KeyError) as exc:
            reason = R.EMPTY_PAYLOAD if isinstance(exc, MissingPayloadException) else (
                R.TRUNCATED_PAYLOAD
            )
            out.add_quarantine(first.line_no, raw, reason, str(exc)[:200])
            return
        emit_message(out, message, time, station, first.line_no, raw)


    def _decode_cached(self, sentence: AISSentence, msg_type: int) -> Any:
        """Static reports repeat verbatim every few minutes: decode each distinct payload once."""
        if msg_type not in CACHED_TYPES:
            return sentence.decode()
        key = (sentence.payload, sentence.fill_bits)
        message = self.static_cache.get(key)
        if message is None:
            if len(self.static_cache) >= STATIC_CACHE_SIZE:
                self.static_cache.clear()
            message = self.static_cache[key] = sentence.decode()
        return message


def _seconds_apart(earlier: _Fragment, later: _Fragment) -> float:
    """Receive times of two parts, in seconds apart; 0 when either part carries no time."""
    if earlier.own_time is None or later.own_time is None:
        return 0.0
    return abs((later.own_time - earlier.own_time).total_seconds())


def read_nmea(path: Path, options: IngestOptions) -> Iterator[Chunk]:
    """Stream a file of NMEA lines as chunks of staged records (bounded memory).

    Lines of the common shapes are decoded column-wise (`nmea_columnar`); the others one by one
    with pyais (`_NmeaReader`), in file order, so multipart and wrapper state stay right.
    """
    reader = _NmeaReader(path, options)
    with path.open("rb") as raw:
        use_compiled = compiled.use_for(os.fstat(raw.fileno()).st_size)
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        fh = cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw)
        yield from stream_chunks(
            reader, raw, fh, path, options.chunk_records, options.max_part_gap_s, use_compiled
        )


def _lines(fh: Iterable[bytes], path: Path) -> Iterator[bytes]:
    """The file's lines one at a time, as `nmea_columnar.lines` splits a block into lines.

    A bare CR ends a line too (old Mac line endings, or a logger that writes them): without
    this, a whole CR-only file would be one line of sentences run together. Kept as the
    line-at-a-time statement of that rule (the tests read files through it).
    """
    try:
        for line in fh:
            cr = line.find(b"\r")
            if cr == -1 or cr == len(line) - 2 and line[-1:] == b"\n":
                yield line
            else:  # lines as bytes.splitlines() sees them: \n, \r\n or a bare \r ends one
                yield from line.splitlines()
    except (OSError, EOFError) as exc:
        raise UnreadableInputError(
            f"{path}: the compressed data is damaged ({exc}); nothing from this file was stored"
        ) from exc
