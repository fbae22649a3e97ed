"""NMEA fuzz at benchmark size: ~1M tag-blocked lines, 9 % of messages damaged in 23 ways.

The same corpus generator and line-by-line accounting against pyais as the small fuzz test in
`make test` (tests/ingest/nmea_fuzz.py), on a simulated feed the size of a day of a busy
receiver. Not run by `make test` or `make bench` (minutes, and mostly pyais decoding the
oracle); run by hand after changing the NMEA reader:

    python bench/fuzz_nmea.py [--vessels 250 --hours 45 --rate 0.09 --seed 21] [--json FILE]

Prints the accounting; exits 1 if any line is unaccounted for, any intact message differs from
pyais, or any damaged line was stored.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "ingest"))

import nmea_fuzz  # noqa: E402  (test helpers, imported by path)
import nmea_fuzz_accounting  # noqa: E402

import cargotrace  # noqa: E402
from cargotrace.ingest.nmea import read_nmea  # noqa: E402
from cargotrace.ingest.params import IngestOptions  # noqa: E402
from cargotrace.ingest.pipeline import ingest_file  # noqa: E402
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea  # noqa: E402

WORK = HERE / "work"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vessels", type=int, default=250)
    parser.add_argument("--hours", type=float, default=45)
    parser.add_argument("--rate", type=float, default=0.09)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--json", type=Path, help="also write the accounting here")
    return parser.parse_args()


def fuzzed_corpus(args: argparse.Namespace) -> tuple[Any, Path, float]:
    """The damaged corpus, the file it is written to and the seconds that took (the simulated
    feed it damages is cached, and its generation not counted)."""
    WORK.mkdir(exist_ok=True)
    base_path = WORK / f"sample_{args.vessels}v_{args.hours:g}h.nmea"
    if not base_path.exists():
        print(f"generating {base_path} ...", file=sys.stderr)
        write_sample_nmea(base_path, hours=args.hours, fleet=scaled_fleet(args.vessels))
    started = time.perf_counter()
    corpus = nmea_fuzz.corrupt(
        nmea_fuzz.group_messages(base_path.read_bytes().splitlines()), args.rate, args.seed
    )
    fuzzed = WORK / f"fuzzed_{args.vessels}v_{args.hours:g}h_{args.seed}.nmea"
    corpus.write(fuzzed)
    return corpus, fuzzed, time.perf_counter() - started


def ingest_and_account(corpus: Any, fuzzed: Path) -> tuple[Any, Any, dict[str, float]]:
    """Ingest the fuzzed file into a fresh store and account for every line against pyais;
    then flag any damaged line the reader staged as a record. The accounting, the ingest
    summary and the seconds each step took."""
    options = IngestOptions(assume_time=datetime(2023, 1, 1, tzinfo=UTC))  # must go unused
    with tempfile.TemporaryDirectory() as tmp, cargotrace.open_store(Path(tmp) / "f.duckdb") as st:
        started = time.perf_counter()
        summary = ingest_file(st, fuzzed, options)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        acc = nmea_fuzz_accounting.account(corpus, st, summary)
        account_s = time.perf_counter() - started
    staged = [n for chunk in read_nmea(fuzzed, options)
              for table in (chunk.positions, chunk.reports)
              for n in table.column("line_no").to_pylist()]
    for n in nmea_fuzz_accounting.staged_damaged_lines(corpus, staged)[:20]:
        acc.problem(f"line {n} ({corpus.lines[n - 1].kind}) was staged as a record")
    return acc, summary, {"ingest_s": ingest_s, "account_s": account_s}


def main() -> int:
    args = parse_args()
    corpus, fuzzed, generate_s = fuzzed_corpus(args)
    acc, summary, seconds = ingest_and_account(corpus, fuzzed)
    result = {
        "lines": acc.lines,
        "file_bytes": fuzzed.stat().st_size,
        "rate": args.rate,
        "seed": args.seed,
        "damage_kinds": len(nmea_fuzz.KINDS),
        "lines_by_kind": dict(sorted(corpus.kinds().items())),
        "damaged_lines": acc.damaged_lines,
        "quarantined_lines": acc.quarantined_lines,
        "quarantined_by_reason": dict(sorted(summary.quarantined.items())),
        "positions_stored": summary.positions_stored,
        "duplicate_positions": summary.duplicate_positions,
        "reports_stored": summary.reports_stored,
        "duplicate_reports": summary.duplicate_reports,
        "skipped": dict(sorted(summary.skipped.items())),
        "intact_positions_pyais": acc.intact_positions,
        "intact_reports_pyais": acc.intact_reports,
        "intact_invalid_values": acc.intact_invalid,
        "problems": acc.problems,
        "generate_s": round(generate_s, 1),
        "ingest_s": round(seconds["ingest_s"], 1),
        "account_s": round(seconds["account_s"], 1),
        "cargotrace_version": cargotrace.__version__,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 1 if acc.problems else 0


if __name__ == "__main__":
    sys.exit(main())
