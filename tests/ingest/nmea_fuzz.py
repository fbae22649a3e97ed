"""A seeded corpus of realistic tag-blocked NMEA with many kinds of damage.

Used by tests/ingest/test_nmea_fuzz.py (a few thousand lines, in `make test`) and by
bench/fuzz_nmea.py (about a million lines, run by hand). Every output line knows which message
it came from, what was done to it and which quarantine reasons may name it, so that
nmea_fuzz_accounting.py can check an ingest line by line against pyais.

Only absolute imports: the bench script imports this file by path.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cargotrace.ingest.nmea_lines import nmea_checksum

Q = frozenset  # shorthand: the reasons a line may be quarantined with
SIDE = Q({"incomplete_multipart", "orphan_fragment"})  # other parts of a damaged message
NOT_ARMOUR = b" \"#%&'()+-./[]^_{|}~xyz"  # printable, outside the six-bit alphabet, not , * ! $ \
ARMOUR = bytes(range(48, 88)) + bytes(range(96, 120))
UTF8_GARBAGE = ["é", "€", "\ufffd", "ü", "Ω", "😀", "\u200b"]
BAD_TIMES = [b"0", b"-5", b"abc", b"", b"99999999999999999999", b"7258118400", b"1.5e9", b"16x9"]
BAD_FILLS = [b"6", b"7", b"9", b"x", b"-1", b"10", b""]


@dataclass(frozen=True)
class FuzzLine:
    data: bytes  # without its line ending; never holds \r or \n
    message: int  # index of the source message, -1 for an inserted junk line
    kind: str  # "good" or the damage done to this line's message
    expect: frozenset[str] = frozenset()  # reasons it may be quarantined with; empty: stored
    ending: bytes = b"\n"


@dataclass
class Corpus:
    lines: list[FuzzLine] = field(default_factory=list)
    messages: list[list[bytes]] = field(default_factory=list)  # the intact source messages
    intact: set[int] = field(default_factory=set)  # messages written unharmed (to be decoded)

    def write(self, path: Path) -> None:
        with path.open("wb") as fh:
            for line in self.lines:
                fh.write(line.data + line.ending)

    def kinds(self) -> Counter[str]:
        return Counter(line.kind for line in self.lines if line.data)


# -- reading the base ---------------------------------------------------------------------------
def _fields(line: bytes) -> tuple[bytes, list[bytes]]:
    """(tag block with its backslashes, fields of the sentence body between '!' and '*')."""
    start = line.index(b"!")
    return line[:start], line[start + 1 : line.rindex(b"*")].split(b",")


def group_messages(lines: Iterable[bytes]) -> list[list[bytes]]:
    """Consecutive lines of one AIS message (parts 1..n); blank and other lines are left out."""
    out: list[list[bytes]] = []
    for raw in lines:
        line = raw.rstrip(b"\r\n")
        if b"!" not in line or b"VD" not in line:
            continue
        _, f = _fields(line)
        if f[2] == b"1" or not out:
            out.append([line])
        else:
            out[-1].append(line)
    return [m for m in out if len(m) == int(_fields(m[0])[1][1])]


# -- damage -------------------------------------------------------------------------------------
def _sentence(fields: list[bytes]) -> bytes:
    body = b",".join(fields)
    return b"!" + body + b"*%02X" % nmea_checksum(body)


def _retag(tag: bytes, edit: Callable[[list[bytes]], list[bytes]]) -> bytes:
    """The tag block with its fields edited and its checksum made to match again."""
    body = b",".join(edit(tag[1 : tag.rindex(b"*")].split(b",")))
    return b"\\" + body + b"*%02X\\" % nmea_checksum(body)


def _insert(rng: random.Random, text: bytes, lo: int, hi: int, what: bytes) -> bytes:
    at = rng.randint(lo, hi)
    return text[:at] + what + text[at:]


Damage = Callable[[random.Random, bytes], bytes]


def _nul_in_payload(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    for _ in range(rng.randint(1, 3)):
        f[5] = _insert(rng, f[5], 0, len(f[5]), b"\x00")
    return tag + b"!" + b",".join(f) + line[line.rindex(b"*") :]  # checksum unchanged by NULs


def _nul_in_tag_block(rng: random.Random, line: bytes) -> bytes:
    end = line.index(b"*")  # the tag block's checksum
    return _insert(rng, line, 1, end, b"\x00")


def _nul_in_fields(rng: random.Random, line: bytes) -> bytes:
    start = line.index(b"!")
    return _insert(rng, line, start + 7, line.index(b",", start + 13), b"\x00")


def _bad_alphabet(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    at = rng.randrange(len(f[5]))
    f[5] = f[5][:at] + bytes([rng.choice(NOT_ARMOUR)]) + f[5][at + 1 :]
    return tag + _sentence(f)


def _flipped_checksum(rng: random.Random, line: bytes) -> bytes:
    star = line.rindex(b"*")
    good = int(line[star + 1 : star + 3], 16)
    return line[: star + 1] + b"%02X" % ((good + rng.randint(1, 255)) % 256)


def _payload_bit_error(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    at = rng.randrange(len(f[5]))
    f[5] = f[5][:at] + bytes([rng.choice([c for c in ARMOUR if c != f[5][at]])]) + f[5][at + 1 :]
    return tag + b"!" + b",".join(f) + line[line.rindex(b"*") :]  # checksum of the old payload


def _bad_tag_checksum(rng: random.Random, line: bytes) -> bytes:
    star = line.index(b"*")
    good = int(line[star + 1 : star + 3], 16)
    return line[: star + 1] + b"%02X" % ((good + rng.randint(1, 255)) % 256) + line[star + 3 :]


def _truncated(rng: random.Random, line: bytes) -> bytes:
    return line[: rng.randint(1, len(line) - 1)]


def _bad_fill_bits(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f[6] = rng.choice(BAD_FILLS)
    return tag + _sentence(f)


def _fill_bits_on_first_part(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f[6] = str(rng.randint(1, 5)).encode()
    return tag + _sentence(f)


def _bad_time(rng: random.Random, line: bytes) -> bytes:
    bad = rng.choice(BAD_TIMES)
    tag = _retag(line[: line.index(b"!")],
                 lambda fs: [b"c:" + bad if x.startswith(b"c:") else x for x in fs])
    return tag + line[line.index(b"!") :]


def _nul_in_time(rng: random.Random, line: bytes) -> bytes:
    at = line.index(b"c:") + 2
    return _insert(rng, line, at, at + 9, b"\x00")


def _huge_station(rng: random.Random, line: bytes) -> bytes:
    size = 1_000_000 if rng.random() < 0.002 else rng.randint(65, 5000)
    name = b"r" + bytes(rng.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(size))
    tag = _retag(line[: line.index(b"!")],
                 lambda fs: [b"s:" + name if x.startswith(b"s:") else x for x in fs])
    return tag + line[line.index(b"!") :]


def _utf8_garbage(rng: random.Random, line: bytes) -> bytes:
    return _insert(rng, line, 1, len(line) - 3, rng.choice(UTF8_GARBAGE).encode())


def _bad_msg_type(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f[5] = bytes([rng.choice(b"0LMNOPQRSTUVW`abcdefghijklmnopqrstuvw")]) + f[5][1:]
    return tag + _sentence(f)


def _empty_payload(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f[5] = b""
    return tag + _sentence(f)


def _short_payload(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f[5] = f[5][: rng.randint(1, 27)]
    return tag + _sentence(f)


def _extra_field(rng: random.Random, line: bytes) -> bytes:
    tag, f = _fields(line)
    f.insert(rng.randint(1, 6), rng.choice([b"", b"X", b"0"]))
    return tag + _sentence(f)


# kind: (damage to one part, reasons for that part, which messages it applies to)
_ANY, _SINGLE, _POSITION, _MULTI = "any", "single", "position", "multi"
LINE_DAMAGE: dict[str, tuple[Damage, frozenset[str], str]] = {
    "nul_in_payload": (_nul_in_payload, Q({"invalid_character"}), _ANY),
    "nul_in_tag_block": (_nul_in_tag_block, Q({"invalid_character"}), _SINGLE),
    "nul_in_fields": (_nul_in_fields, Q({"invalid_character"}), _ANY),
    "nul_in_c_time": (_nul_in_time, Q({"invalid_character"}), _SINGLE),
    "bad_alphabet_char": (_bad_alphabet, Q({"invalid_payload_character"}), _ANY),
    "flipped_checksum": (_flipped_checksum, Q({"bad_checksum"}), _ANY),
    "payload_bit_error": (_payload_bit_error, Q({"bad_checksum"}), _ANY),
    "bad_tag_checksum": (_bad_tag_checksum, Q({"bad_tag_block"}), _SINGLE),
    "truncated_line": (_truncated, Q({"malformed_sentence", "not_nmea"}), _ANY),
    "bad_fill_bits": (_bad_fill_bits, Q({"bad_fill_bits"}), _ANY),
    "fill_bits_on_first_part": (_fill_bits_on_first_part, Q({"bad_fill_bits"}), _MULTI),
    "bad_c_time": (_bad_time, Q({"time_out_of_range", "unparseable_time"}), _SINGLE),
    "huge_station_name": (_huge_station, Q({"field_too_long"}), _SINGLE),
    # inside "!AIVDM," or between tag block and sentence, no sentence is left to recognise
    "utf8_garbage": (_utf8_garbage, Q({"invalid_character", "not_nmea"}), _ANY),
    "bad_msg_type": (_bad_msg_type, Q({"unsupported_msg_type"}), _SINGLE),
    "empty_payload": (_empty_payload, Q({"empty_payload"}), _SINGLE),
    "short_payload": (_short_payload, Q({"truncated_payload"}), _POSITION),
    "extra_field": (_extra_field, Q({"malformed_sentence"}), _ANY),
}
MESSAGE_KINDS = ["run_together", "missing_fragment", "duplicated_fragment", "cr_only_ending",
                 "junk_line_before"]
KINDS = sorted([*LINE_DAMAGE, *MESSAGE_KINDS])


MULTI_ONLY = ["missing_fragment", "duplicated_fragment", "fill_bits_on_first_part"]


def _kind_applies(kind: str, message: list[bytes], following: list[bytes]) -> bool:
    if kind in LINE_DAMAGE:
        return _applies(LINE_DAMAGE[kind][2], message)
    if kind == "run_together":
        return len(message) == 1 and len(following) == 1
    return len(message) > 1 or kind not in MULTI_ONLY


def _choose_kind(rng: random.Random, message: list[bytes], following: list[bytes]) -> str:
    """A kind that applies; multipart messages are rarer: half of their damage is of their kinds."""
    if len(message) > 1 and rng.random() < 0.5:
        return rng.choice(MULTI_ONLY)
    return rng.choice([k for k in KINDS if _kind_applies(k, message, following)])


def _applies(scope: str, message: list[bytes]) -> bool:
    if scope == _ANY:
        return True
    if scope == _MULTI:
        return len(message) > 1
    if scope == _POSITION:
        return len(message) == 1 and _fields(message[0])[1][5][:1] in (b"1", b"2", b"3", b"B")
    return len(message) == 1 and b"c:" in message[0] and b"s:" in message[0]


def _junk(rng: random.Random) -> bytes:
    words = ["ERROR", "rx", "timeout", "ü", "€", "{json", "0x1F", "…", "AIVDM", "42"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(1, 8))).encode()


def corrupt(messages: list[list[bytes]], rate: float, seed: int) -> Corpus:
    """Damage about `rate` of the messages (twice that of multipart ones) in one of the kinds."""
    rng = random.Random(seed)
    corpus = Corpus(messages=messages)
    out = corpus.lines
    i = 0
    while i < len(messages):
        message = messages[i]
        following = messages[i + 1] if i + 1 < len(messages) else []
        if rng.random() >= (rate if len(message) == 1 else min(1.0, 2 * rate)):
            out.extend(FuzzLine(line, i, "good") for line in message)
            corpus.intact.add(i)
            i += 1
            continue
        kind = _choose_kind(rng, message, following)
        if kind in LINE_DAMAGE:
            damage, reasons, scope = LINE_DAMAGE[kind]
            part = rng.randrange(len(message)) if scope != _MULTI else 0
            for n, line in enumerate(message):
                if n == part:
                    out.append(FuzzLine(damage(rng, line), i, kind, reasons))
                else:
                    out.append(FuzzLine(line, i, kind, SIDE | reasons))
        elif kind == "run_together":
            out.append(FuzzLine(message[0] + following[0], i, kind, Q({"malformed_sentence"})))
            i += 1  # the next message went into this line
        elif kind == "missing_fragment":
            drop = rng.randrange(len(message))
            out.extend(FuzzLine(line, i, kind, SIDE) for n, line in enumerate(message) if n != drop)
        elif kind == "duplicated_fragment":
            if rng.random() < 0.5:  # a repeated first part: its group is replaced by the next
                out.append(FuzzLine(message[0], i, kind, Q({"incomplete_multipart"})))
                out.extend(FuzzLine(line, i, "good") for line in message)
            else:  # a repeated last part after the whole message: an orphan
                out.extend(FuzzLine(line, i, "good") for line in message)
                out.append(FuzzLine(message[-1], i, kind, Q({"orphan_fragment"})))
            corpus.intact.add(i)
        elif kind == "cr_only_ending":  # harmless: must be read like a newline
            out.extend(FuzzLine(line, i, kind, ending=b"\r") for line in message)
            corpus.intact.add(i)
        else:  # junk_line_before
            out.append(FuzzLine(_junk(rng), -1, kind, Q({"not_nmea"})))
            out.extend(FuzzLine(line, i, "good") for line in message)
            corpus.intact.add(i)
        i += 1
    return corpus
