"""Checks an ingest of a fuzz corpus (nmea_fuzz.py) line by line against pyais.

- every line read is stored, quarantined with a reason its damage allows, or counted as skipped;
- every intact message pyais decodes is stored with the values pyais gives, once;
- no damaged line is part of a stored record, and no intact one is quarantined.

Only absolute imports: the bench script imports this file by path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyais import decode as pyais_decode

from cargotrace import Store
from cargotrace.ingest.summary import IngestSummary

if TYPE_CHECKING:  # only for annotations: the module is imported as a package member or by path
    from nmea_fuzz import Corpus

_C_TIME = re.compile(rb"[\\,]c:(\d+)")
_STATION = re.compile(rb"[\\,]s:([^,*]*)")
POSITION_TYPES = {1, 2, 3, 18, 19, 27}
REPORT_TYPES = {5, 19, 24}
Row = tuple[Any, ...]  # (mmsi, ts, lat, lon, sog, cog, heading, station)


def _expected_position(message: list[bytes], m: Any) -> Row | None:
    """The row the store should hold for an intact position; None if its values are invalid."""
    seconds = int(_C_TIME.findall(message[0])[0])
    ts = datetime.fromtimestamp(seconds / 1000 if seconds > 4102444800 else seconds, tz=UTC)
    stations = [found for line in message for found in _STATION.findall(line)]
    station = stations[0].decode() if stations else None
    if not 100000000 <= m.mmsi <= 999999999:
        return None
    if not (-90 <= m.lat <= 90 or m.lat == 91) or not (-180 <= m.lon <= 180 or m.lon == 181):
        return None
    off_globe = m.lat == 91 or m.lon == 181
    lat, lon = (None, None) if off_globe else (m.lat, m.lon)
    if m.msg_type == 27:  # whole knots (63: n/a) and degrees (511: n/a), no heading
        sog = None if m.speed == 63 else float(m.speed)
        cog = None if m.course == 511 else float(m.course)
        return (m.mmsi, ts, lat, lon, sog, cog, None, station)
    heading = m.heading
    if not (0 <= heading <= 359 or heading == 511) or m.speed > 102.3 or m.course > 360:
        return None
    return (
        m.mmsi, ts, lat, lon, None if m.speed >= 102.25 else m.speed,
        None if m.course == 360 else m.course, None if heading == 511 else heading, station,
    )


@dataclass
class Accounting:
    lines: int = 0
    damaged_lines: int = 0
    quarantined_lines: int = 0
    intact_positions: int = 0  # intact messages pyais decodes as valid positions
    intact_reports: int = 0
    intact_skipped: Counter[str] = field(default_factory=Counter)
    intact_invalid: int = 0  # intact messages whose values the store must refuse
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


def account(corpus: Corpus, store: Store, summary: IngestSummary) -> Accounting:
    """Check an ingest of `corpus` against pyais; `problems` lists every mismatch found.

    The store keeps no line numbers for positions, so stored positions are compared as values:
    exactly one row per (mmsi, ts, lat, lon) of an intact message, with pyais's values, and no
    other row. Quarantine rows do have line numbers: each damaged line must be covered by one
    with an expected reason, and no intact message by any.
    """
    acc = Accounting(lines=len(corpus.lines))
    acc.damaged_lines = sum(1 for line in corpus.lines if line.expect)
    if summary.records_read != acc.lines:
        acc.problem(f"read {summary.records_read} lines, the file has {acc.lines}")
    covered = _quarantine_cover(store)
    acc.quarantined_lines = len(covered)
    first_line: dict[int, int] = {}
    for line_no, line in enumerate(corpus.lines, start=1):
        if not line.expect:
            first_line.setdefault(line.message, line_no)
            continue
        reasons = covered.get(line_no, set())
        if not reasons:
            acc.problem(f"line {line_no} ({line.kind}) is neither quarantined nor stored")
        elif not reasons <= line.expect:
            acc.problem(
                f"line {line_no} ({line.kind}): {sorted(reasons)}, expected {sorted(line.expect)}"
            )
    expected: dict[Row, set[Row]] = {}
    for i in sorted(corpus.intact):
        message = corpus.messages[i]
        decoded = pyais_decode(*(line[line.index(b"!") :] for line in message))
        n = first_line[i]
        want = _classify(acc, message, decoded)
        if want is not None:
            expected.setdefault(want[:4], set()).add(want)
        if want is not None and n in covered:
            acc.problem(f"line {n}: intact message quarantined as {sorted(covered[n])}")
        if want is None and decoded.msg_type in POSITION_TYPES and n not in covered:
            acc.problem(f"line {n}: invalid values of an intact message not quarantined")
    _check_positions(acc, store, expected)
    _check_summary(acc, summary)
    return acc


def _quarantine_cover(store: Store) -> dict[int, set[str]]:
    """Line number -> reasons; a multipart row holds its (consecutive) parts, one per line."""
    covered: dict[int, set[str]] = {}
    for line_no, raw, reason in store.con.execute(
        "SELECT line_no, raw, reason FROM quarantine"
    ).fetchall():
        for n in range(line_no, line_no + raw.count("\n") + 1):
            covered.setdefault(n, set()).add(reason)
    return covered


def _classify(acc: Accounting, message: list[bytes], decoded: Any) -> Row | None:
    """Count an intact message by what should become of it; its position row if it has one."""
    if decoded.msg_type not in POSITION_TYPES | REPORT_TYPES:
        acc.intact_skipped[f"msg_type_{decoded.msg_type}"] += 1
        return None
    if decoded.msg_type not in POSITION_TYPES:
        valid = 100000000 <= decoded.mmsi <= 999999999
        acc.intact_reports += valid
        acc.intact_invalid += not valid
        return None
    want = _expected_position(message, decoded)
    acc.intact_invalid += want is None
    acc.intact_positions += want is not None
    acc.intact_reports += decoded.msg_type in REPORT_TYPES and want is not None
    return want


def _check_positions(acc: Accounting, store: Store, expected: dict[Row, set[Row]]) -> None:
    rows = store.con.execute(
        "SELECT mmsi, ts, lat, lon, sog, cog, heading, station FROM positions"
    ).fetchall()
    keys = set()
    for row in rows:
        key = tuple(row[:4])
        keys.add(key)
        if key not in expected:
            acc.problem(f"stored {row}: no intact message decodes to it")
        elif tuple(row) not in expected[key]:
            acc.problem(f"stored {row}, pyais decodes {sorted(expected[key], key=str)[0]}")
    if len(keys) != len(rows):
        acc.problem(f"{len(rows) - len(keys)} positions stored twice")
    for key in expected.keys() - keys:
        acc.problem(f"intact position {key} not stored")


def _check_summary(acc: Accounting, summary: IngestSummary) -> None:
    got = summary.positions_stored + summary.duplicate_positions
    if got != acc.intact_positions:
        acc.problem(f"{got} positions stored or duplicate, pyais decodes {acc.intact_positions}")
    got = summary.reports_stored + summary.duplicate_reports
    if got != acc.intact_reports:
        acc.problem(f"{got} reports stored or duplicate, pyais decodes {acc.intact_reports}")
    skipped = Counter({k: v for k, v in summary.skipped.items() if k.startswith("msg_type_")})
    if skipped != acc.intact_skipped:
        acc.problem(f"skipped {dict(skipped)}, pyais decodes {dict(acc.intact_skipped)}")
    if summary.skipped["other_nmea_sentences"] or summary.skipped["comment_lines"]:
        acc.problem(f"unexpected skips {dict(summary.skipped)}")


def staged_damaged_lines(corpus: Corpus, line_nos: Iterable[int]) -> list[int]:
    """Line numbers of staged records (read_nmea's chunks) that come from damaged lines."""
    return sorted(n for n in line_nos if corpus.lines[n - 1].expect)
