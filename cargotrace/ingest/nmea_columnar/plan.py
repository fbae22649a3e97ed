"""Which matched lines this package decodes, and their decoding into staged tables.

Decoded here: single-sentence messages of the types the store keeps, in their standard lengths
(1, 2, 3, 18: 168 bits; 19: 312; 27: 96; 24: 160 or 168; 5: 424 in one sentence), and type 5
sent as two sentences on adjacent lines (part 1 then part 2, same sequence id, channel and
station, no more than `max_part_gap_s` apart, part 1 unpadded, 424 bits together): the shape of
nearly every static report. Anything else (other types and lengths, parts apart or out of
order, a message with no receive time) goes to the checked path, in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cargotrace.ingest.nmea_columnar import compiled, positions, statics
from cargotrace.ingest.nmea_columnar.bits import Bits, byte_windows, sixbit_values
from cargotrace.ingest.nmea_columnar.columns import Messages, arrow, as_bools
from cargotrace.ingest.nmea_columnar.sentences import Sentences
from cargotrace.ingest.records import STAGED_POSITION_SCHEMA, STAGED_REPORT_SCHEMA, empty_table

Decoder = Callable[[Messages], pa.Table]
VOYAGE_CHARS = 71  # type 5: 424 bits, 71 characters with 2 fill bits


@dataclass
class Plan:
    single: np.ndarray  # indexes into the Sentences of one-line messages decoded here
    pair: np.ndarray  # indexes into the Sentences of part 1 of two-line type 5 messages
    msg_type: np.ndarray  # of every matched sentence (its payload's first character)


def _standard_single(s: Sentences, msg_type: np.ndarray) -> np.ndarray:
    """A one-sentence message of a kept type in its standard length and padding."""
    size, fill = s.payload_len, s.fill
    # type 24's part number; on a payload shorter than 7 characters this reads `,`, the fill
    # digit, `*`, a hex digit or a line break: never a part 0 or 1 of a standard length
    part = (sixbit_values(s.arr[np.minimum(s.payload_start + 6, len(s.arr) - 1)]) >> 2) & 3
    standard: np.ndarray = (
        (np.isin(msg_type, (1, 2, 3, 18)) & (size == 28) & (fill == 0))
        | ((msg_type == 19) & (size == 52) & (fill == 0))
        | ((msg_type == 27) & (size == 16) & (fill == 0))
        | ((msg_type == 24) & (part == 0)
           & (((size == 27) & (fill == 2)) | ((size == 28) & (fill == 0))))
        | ((msg_type == 24) & (part == 1) & (size == 28) & (fill == 0))
        | ((msg_type == 5) & (size == VOYAGE_CHARS) & (fill == 2))
    )
    return standard


def _same_station(station: pa.Array, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    a, b = station.take(arrow(first, pa.int64())), station.take(arrow(second, pa.int64()))
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    equal = pc.equal(a, b)  # null when either is null; and_kleene(null, false) is false
    same = pc.or_(pc.and_kleene(equal, pc.is_valid(equal)), both_null)
    return as_bools(same)


def make_plan(s: Sentences, max_gap_s: float) -> Plan:
    msg_type = sixbit_values(s.first_char).astype(np.int64)
    timed = s.ok & s.tags.has_time
    single = timed & (s.count == 1) & _standard_single(s, msg_type)
    first = np.flatnonzero(
        timed[:-1] & (s.count[:-1] == 2) & (s.number[:-1] == 1) & (msg_type[:-1] == 5)
        & (s.fill[:-1] == 0) & (s.rows[1:] == s.rows[:-1] + 1) & s.ok[1:]
        & (s.count[1:] == 2) & (s.number[1:] == 2) & (s.fill[1:] == 2)
        & (s.payload_len[:-1] + s.payload_len[1:] == VOYAGE_CHARS)
        & (s.seq[1:] == s.seq[:-1]) & (s.channel[1:] == s.channel[:-1])
    )
    own = s.tags.own_time[first] & s.tags.own_time[first + 1]
    gap_s = np.abs(s.tags.time_us[first + 1] - s.tags.time_us[first]) / 1e6
    first = first[(~own | (gap_s <= max_gap_s)) & _same_station(s.tags.station, first, first + 1)]
    return Plan(np.flatnonzero(single), first, msg_type)


def _chars(s: Sentences, start: np.ndarray, length: np.ndarray, width: int) -> np.ndarray:
    """Payload characters as a matrix, '0' (value 0) past each payload's end."""
    chars = byte_windows(s.arr, start, width, fill=48)
    short = length < width
    if short.any():
        chars[short] = np.where(np.arange(width) < length[short][:, None], chars[short], 48)
    return chars


def _bits(s: Sentences, start: np.ndarray, length: np.ndarray, width: int,
          second: np.ndarray | None = None) -> Bits:
    """Payloads of `width` characters (then the rest from `second` when given), '0' past
    their end, as bit fields."""
    if s.compiled:
        words = compiled.payload_words(s.arr, start, length, second, width)
        return Bits.from_words(words, compiled)
    if second is None:
        return Bits.from_chars(_chars(s, start, length, width))
    k = np.arange(width)
    index = np.where(k < length[:, None], start[:, None] + k, second[:, None] + k - length[:, None])
    return Bits.from_chars(s.arr[index])


def _raw(s: Sentences, which: np.ndarray) -> pa.Array:
    """The lines themselves, without their line breaks."""
    if s.compiled:
        rows = s.rows[which]
        return compiled.strings(s.arr, s.line_starts[rows], s.line_ends[rows])
    taken = s.with_breaks.take(arrow(s.rows[which], pa.int64())).cast(pa.string())
    return pc.utf8_rtrim(taken, "\r\n")


def _stations(s: Sentences, which: np.ndarray) -> pa.Array:
    """Each message's station; the compiled scan kept where each `s:` value lies, so the
    strings are gathered once, for the messages decoded, rather than taken from a column."""
    if s.station_at is None or s.station_len is None:
        return s.tags.station.take(arrow(which, pa.int64()))
    at = s.station_at[which]
    none = at < 0
    at = np.where(none, 0, at)
    return compiled.strings(s.arr, at, at + np.where(none, 0, s.station_len[which]), missing=none)


def _messages(s: Sentences, which: np.ndarray, bits: Bits, msg_type: np.ndarray,
              first_line_no: int, raw: pa.Array | None = None) -> Messages:
    return Messages(
        bits=bits,
        msg_type=msg_type[which],
        time_us=s.tags.time_us[which],
        station=_stations(s, which),
        line_no=first_line_no + s.rows[which],
        raw=_raw(s, which) if raw is None else raw,
    )


def decode(s: Sentences, plan: Plan, first_line_no: int) -> tuple[pa.Table, pa.Table]:
    """Staged positions and reports of the planned messages (`first_line_no`: the batch's)."""
    t = plan.msg_type
    found_positions: list[pa.Table] = []
    found_reports: list[pa.Table] = []
    layouts: tuple[tuple[np.ndarray, int, list[Decoder], list[Decoder]], ...] = (
        (np.isin(t, (1, 2, 3, 18)), 28, [positions.class_a_b], []),
        (t == 19, 52, [positions.class_b_extended], [statics.class_b_extended]),
        (t == 27, 16, [positions.long_range], []),
        (t == 24, 28, [], [statics.static_class_b]),
        (t == 5, VOYAGE_CHARS, [], [statics.voyage]),
    )
    for kind, width, to_positions, to_reports in layouts:
        which = plan.single[kind[plan.single]]
        if not len(which):
            continue
        bits = _bits(s, s.payload_start[which], s.payload_len[which], width)
        m = _messages(s, which, bits, t, first_line_no)
        found_positions += [decode_(m) for decode_ in to_positions]
        found_reports += [decode_(m) for decode_ in to_reports]
    if len(plan.pair):
        found_reports.append(statics.voyage(_voyages(s, plan, first_line_no)))
    return (
        _concat(found_positions, STAGED_POSITION_SCHEMA),
        _concat(found_reports, STAGED_REPORT_SCHEMA),
    )


def _voyages(s: Sentences, plan: Plan, first_line_no: int) -> Messages:
    """Type 5 messages from their two sentences: payloads joined, raw lines joined by '\\n'."""
    one, two = plan.pair, plan.pair + 1
    bits = _bits(s, s.payload_start[one], s.payload_len[one], VOYAGE_CHARS,
                 second=s.payload_start[two])
    if s.compiled:
        first, second = s.rows[one], s.rows[two]
        raw = compiled.strings(s.arr, s.line_starts[first], s.line_ends[first],
                               s.line_starts[second], s.line_ends[second])
    else:
        raw = pc.binary_join_element_wise(_raw(s, one), _raw(s, two), "\n")
    return _messages(s, one, bits, plan.msg_type, first_line_no, raw=raw)


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables(tables) if tables else empty_table(schema)
