"""Framing of one line of an NMEA feed: what wraps the sentence, and when it was received.

Real feeds put receiver metadata around the AIS sentence in several ways, and a position without
a receive time is useless for behaviour detection, so each wrapper's time must be understood:
- NMEA 4.0 tag blocks in front: `\\s:station,c:1635731889*6A\\!AIVDM,...` (`c:` Unix seconds, or
  milliseconds in some feeds; `g:` groups the fragments of one message);
- a receive time in front: `2023-09-07 12:00:00.123 !AIVDM,...`, `2023-09-07T12:00:00Z;!AIVDM...`,
  `1694088000.25 !AIVDM,...` (Unix seconds or milliseconds);
- USCG/NAIS metadata after the checksum: `!AIVDM,...*28,d-109,S2105,t050056.00,T56.1,r003669946,
  1325394060,1325394001` (the first bare integer is the logger's Unix receive time, `r` the
  receiver);
- Gatehouse `$PGHP,1,<y>,<m>,<d>,<h>,<min>,<s>,<ms>,...` sentences before the sentence they time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_SENTENCE_START = re.compile(rb"[!$][A-Z][A-Z0-9]{3,4},")
_AIS_SENTENCE = re.compile(rb"![A-Z]{2}VD[MO],")
_CHECKSUM = re.compile(rb"\*([0-9A-Fa-f]{2})")
_ISO_PREFIX = re.compile(
    rb"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})?\]?$"
)
_EPOCH_PREFIX = re.compile(rb"^\[?(\d{9,13}(?:\.\d{1,9})?)\]?$")
_PREFIX_SEPARATORS = b" \t,;|"
# Unix times outside this window are not receive times (e.g. a station id that is all digits).
_MIN_EPOCH_S = 631152000  # 1990-01-01
_MAX_EPOCH_S = 4102444800  # 2100-01-01


def nmea_checksum(body: bytes) -> int:
    """XOR of the bytes between the start delimiter and '*' (IEC 61162-1).

    Folds the bytes as one big integer (log2(n) steps) instead of a Python loop over each byte.
    """
    n = len(body)
    x = int.from_bytes(body, "little")
    while n > 1:
        half = (n + 1) // 2
        x = (x & ((1 << (8 * half)) - 1)) ^ (x >> (8 * half))
        n = half
    return x


def epoch_to_datetime(text: bytes | str) -> datetime | None:
    """Unix seconds (or milliseconds, told apart by size) as UTC; None if not a plausible time."""
    try:
        value = float(text)
    except ValueError:
        return None
    if value > _MAX_EPOCH_S:  # milliseconds
        value /= 1000.0
    if not _MIN_EPOCH_S <= value <= _MAX_EPOCH_S:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def parse_prefix_time(prefix: bytes) -> datetime | None:
    """A receive time written in front of the sentence, or None if the prefix is not one."""
    text = prefix.strip(_PREFIX_SEPARATORS)
    match = _EPOCH_PREFIX.match(text)
    if match:
        return epoch_to_datetime(match.group(1))
    match = _ISO_PREFIX.match(text)
    if match:
        stamp = match.group(1).decode().replace(" ", "T")
        zone = (match.group(2) or b"Z").decode().replace("Z", "+00:00")
        try:
            return datetime.fromisoformat(stamp + zone).astimezone(UTC)
        except ValueError:
            return None
    return None


@dataclass
class TagBlock:
    """The fields of an NMEA 4.0 tag block we use."""

    valid: bool
    time: datetime | None = None
    station: str | None = None
    group: tuple[int, int, str] | None = None  # (sentence number, of total, group id)


def parse_tag_block(block: bytes) -> TagBlock:
    """Parse `s:..,c:..,g:..*hh` (without the enclosing backslashes); checks its checksum."""
    body, star, check = block.rpartition(b"*")
    if not star or not 1 <= len(check) <= 2:
        return TagBlock(valid=False)
    try:
        valid = nmea_checksum(body) == int(check, 16)
    except ValueError:
        return TagBlock(valid=False)
    tag = TagBlock(valid=valid)
    for field in body.split(b","):
        code, _, value = field.partition(b":")
        if code == b"c":
            tag.time = epoch_to_datetime(value)
        elif code == b"s":
            tag.station = value.decode("ascii", "replace")
        elif code == b"g":
            parts = value.split(b"-")
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                tag.group = (int(parts[0]), int(parts[1]), parts[2].decode("ascii", "replace"))
    return tag


@dataclass
class FramedLine:
    """A line split into wrapper and sentence. `sentence` ends with its `*hh` checksum."""

    sentence: bytes
    prefix: bytes = b""
    tag_block: bytes | None = None
    suffix: bytes = b""
    checksum_ok: bool = True
    has_checksum: bool = True


def frame_line(line: bytes) -> FramedLine | None:
    """Find the sentence in a line; None when the line holds no NMEA sentence at all."""
    match = _SENTENCE_START.search(line)
    if match is None:
        return None
    start = match.start()
    prefix = line[:start]
    tag_block: bytes | None = None
    tb_start = prefix.find(b"\\")
    if tb_start != -1:
        tb_end = prefix.find(b"\\", tb_start + 1)
        if tb_end == -1 or prefix[tb_end + 1 :].strip():
            return None  # an unterminated tag block, or text between it and its sentence
        tag_block = prefix[tb_start + 1 : tb_end]
        prefix = prefix[:tb_start]
    check = _CHECKSUM.search(line, start)
    if check is None:
        return FramedLine(
            sentence=line[start:].rstrip(), prefix=prefix, tag_block=tag_block,
            checksum_ok=False, has_checksum=False,
        )
    end = check.end()
    body = line[start + 1 : check.start()]
    return FramedLine(
        sentence=line[start:end],
        prefix=prefix,
        tag_block=tag_block,
        suffix=line[end:],
        checksum_ok=nmea_checksum(body) == int(check.group(1), 16),
    )


def is_ais_sentence(sentence: bytes) -> bool:
    return _AIS_SENTENCE.match(sentence) is not None


def parse_suffix(suffix: bytes) -> tuple[datetime | None, str | None]:
    """USCG/NAIS metadata after the checksum: (receive time, receiver id)."""
    if not suffix.startswith(b","):
        return None, None
    time: datetime | None = None
    station: str | None = None
    for field in suffix[1:].split(b","):
        if field.startswith(b"r") and station is None and len(field) > 1:
            station = field.decode("ascii", "replace")
        elif time is None and field.isdigit():
            time = epoch_to_datetime(field)
    return time, station


def parse_gatehouse(sentence: bytes) -> datetime | None:
    """Time of a Gatehouse `$PGHP,1,...` wrapper, which times the AIS sentence after it."""
    fields = sentence.split(b"*")[0].split(b",")
    if len(fields) < 9 or fields[1] != b"1":
        return None
    try:
        year, month, day, hour, minute, second, millis = (int(f) for f in fields[2:9])
        return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=UTC)
    except ValueError:
        return None


_FILENAME_DATE = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?:[T_ -]?(\d{2})[:-]?(\d{2})[:-]?(\d{2})?)?(?!\d)"
)


def time_from_filename(name: str) -> datetime | None:
    """A date (and optional time) written in a file name, e.g. `ais_20230907.nmea` -> 2023-09-07."""
    for match in _FILENAME_DATE.finditer(name):
        year, month, day, hour, minute, second = match.groups()
        try:
            return datetime(
                int(year), int(month), int(day),
                int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC,
            )
        except ValueError:
            continue
    return None


def looks_like_nmea(head: bytes) -> bool:
    """True when any of the first lines carries an AIS sentence (used by format detection)."""
    return any(_AIS_SENTENCE.search(line) for line in head.splitlines()[:200])
