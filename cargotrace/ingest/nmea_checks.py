"""Checks a sentence must pass before any of its bits are trusted.

Why: the NMEA checksum is an XOR of the bytes, so some damage leaves it unchanged. A NUL byte
(0x00) inserted anywhere XORs as nothing; pyais then decodes the payload with its bits shifted and
a wrong vessel appears at a wrong place, the worst thing this tool could publish. A payload
character outside the six-bit armouring alphabet is mapped by pyais to some number all the same.
So a sentence is decoded only when every byte could have been sent (printable ASCII), every
payload character is in the armouring alphabet (ITU-R M.1371 / IEC 61162-1: ASCII 48-87 and
96-119), and the fill-bits field is 0-5 and 0 on every part but the last. Each failure has its
own quarantine reason, the same on the bulk path (`nmea_columnar`, which hands every
doubtful line to the checked path) and the checked path (`nmea`).
"""

from __future__ import annotations

import re

from cargotrace.ingest.reasons import QuarantineReason as R

Problem = tuple[R, str]  # (reason, detail)

# Bytes a sentence, its tag block and its suffix may hold: printable ASCII (IEC 61162-1 allows
# nothing below 0x20 nor above 0x7E inside a sentence).
_NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")
ARMOUR_CHARS = bytes(range(48, 88)) + bytes(range(96, 120))
FILL_BITS = (b"0", b"1", b"2", b"3", b"4", b"5")
# Fragment counts and numbers are one digit (IEC 61162-1 `x` field, 1-9).
_FRAGMENT_DIGITS = b"123456789"


def invalid_character(text: bytes) -> Problem | None:
    """The first byte of `text` that cannot be part of an NMEA sentence (NUL, CR, UTF-8...)."""
    match = _NOT_PRINTABLE.search(text)
    if match is None:
        return None
    return R.INVALID_CHARACTER, f"byte 0x{match.group()[0]:02x} at column {match.start() + 1}"


def sentence_problem(sentence: bytes) -> Problem | None:
    """Why an AIS sentence (`!AIVDM,...*hh`, checksum already verified) must not be decoded."""
    body = sentence[1 : sentence.rfind(b"*")]
    fields = body.split(b",")
    if len(fields) != 7:
        return R.MALFORMED_SENTENCE, f"expected 7 comma-separated fields, found {len(fields)}"
    count, number, _seq, _channel, payload, fill = fields[1:]
    if (
        len(count) != 1 or len(number) != 1
        or count not in _FRAGMENT_DIGITS or number not in _FRAGMENT_DIGITS
        or number > count
    ):
        return R.MALFORMED_SENTENCE, f"fragment {_show(number)} of {_show(count)}"
    bad = payload.translate(None, ARMOUR_CHARS)
    if bad:
        where = next(i for i, c in enumerate(payload) if c == bad[0])
        return (
            R.INVALID_PAYLOAD_CHARACTER,
            f"{_show(bad[:1])} at payload position {where + 1} (six-bit alphabet: 0-W, `-w)",
        )
    if fill not in FILL_BITS:
        return R.BAD_FILL_BITS, f"fill bits {_show(fill)}, expected 0-5"
    if number != count and fill != b"0":
        return R.BAD_FILL_BITS, f"fill bits {_show(fill)} on part {_show(number)} of " \
            f"{_show(count)}: only the last part is padded"
    return None


def _show(value: bytes) -> str:
    """A field of untrusted bytes as short, printable text for a quarantine detail."""
    text = value[:20].decode("ascii", "backslashreplace")
    return repr(text + ("..." if len(value) > 20 else ""))
