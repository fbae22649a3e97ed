"""NMEA encoding throughput: the simulator's vectorised writer vs pyais's `encode_dict`, one run.

Both encode the same N position reports (class A type 1 and class B type 18, Sea of Japan
positions, speeds and courses rounded as the simulator rounds them) into tag-blocked lines, and
the lines are checked to be identical. pyais encodes one message per call, as the simulator's
writer did before (`encode_dict` + `tag_block`); ours encodes the columns at once
(`encode_columns`). Prints messages per second for both and the ratio; `--json` also writes
every repetition, the machine and the versions.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyais
from machine import cpu_model  # bench/ is on sys.path when run as a script
from pyais.encode import encode_dict

from cargotrace.sim.nmea_writer import PositionColumns, StaticColumns, encode_columns, tag_block
from cargotrace.version import __version__

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
T = TypeVar("T")
STATIONS = ["rVLADIVOSTOK", "rNAJIN", "rRAJIN", "sat"]


def make_positions(n: int, seed: int = 7) -> PositionColumns:
    rng = np.random.default_rng(seed)
    start_us = 1_693_526_400_000_000  # 2023-09-01; 30 days of receive times, in order
    ts_us = np.sort(rng.integers(start_us, start_us + 30 * 86_400_000_000, n))
    class_b = rng.random(n) < 0.2
    return PositionColumns(
        mmsi=rng.integers(273_000_000, 273_999_999, n),
        ts_us=ts_us,
        lat=np.round(rng.uniform(33.0, 52.0, n), 6),
        lon=np.round(rng.uniform(127.0, 142.0, n), 6),
        sog_kn=np.round(rng.uniform(0.0, 18.0, n), 1),
        cog_deg=np.round(rng.uniform(0.0, 360.0, n), 1),
        heading_deg=np.where(class_b, 511, rng.integers(0, 360, n)),
        nav_status=rng.choice([0, 1, 5], n),
        msg_type=np.where(class_b, 18, 1),
        station=rng.integers(0, len(STATIONS), n),
    )


def no_statics() -> StaticColumns:
    i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return StaticColumns(i, i, [], i, [], i, i, i, f, [], i, i)


def encode_with_pyais(p: PositionColumns) -> list[str]:
    lines = []
    for i in range(p.ts_us.size):
        ts = EPOCH + timedelta(microseconds=int(p.ts_us[i]))
        doc: dict[str, Any] = {
            "type": int(p.msg_type[i]), "mmsi": int(p.mmsi[i]), "lat": float(p.lat[i]),
            "lon": float(p.lon[i]), "speed": float(p.sog_kn[i]), "course": float(p.cog_deg[i]),
            "heading": int(p.heading_deg[i]), "second": ts.second,
        }
        if doc["type"] != 18:
            doc["status"] = int(p.nav_status[i])
        prefix = tag_block(ts, STATIONS[int(p.station[i])])
        lines += [prefix + s for s in encode_dict(doc, talker_id="AI", sentence_type="VDM")]
    return lines


def encode_with_numpy(p: PositionColumns) -> list[bytes]:
    return encode_columns(p, no_statics(), STATIONS)


def timed(fn: Callable[[PositionColumns], list[T]], reps: int, p: PositionColumns) -> tuple[
    list[float], list[T]
]:
    times: list[float] = []
    result: list[T] = []
    for _ in range(reps):
        started = time.perf_counter()
        result = fn(p)
        times.append(time.perf_counter() - started)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200_000, help="position reports to encode")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the numpy encoder")
    parser.add_argument("--pyais-reps", type=int, default=1, help="repetitions of pyais")
    parser.add_argument("--json", type=Path, help="write every repetition to this JSON file")
    args = parser.parse_args()
    positions = make_positions(args.n)
    ours_s, ours = timed(encode_with_numpy, args.reps, positions)
    pyais_s, theirs = timed(encode_with_pyais, args.pyais_reps, positions)
    assert [line.decode() for line in ours] == theirs, "the encoders' lines differ"
    rate_ours = args.n / statistics.median(ours_s)
    rate_pyais = args.n / statistics.median(pyais_s)
    print(f"{args.n:,} position reports, identical lines from both encoders")
    print(f"pyais {pyais.__version__} encode_dict: {rate_pyais:12,.0f} msgs/s "
          f"(median of {len(pyais_s)}: {statistics.median(pyais_s):.2f} s)")
    print(f"cargotrace encode_columns: {rate_ours:12,.0f} msgs/s "
          f"(median of {len(ours_s)}: {statistics.median(ours_s):.3f} s)")
    print(f"ratio: {rate_ours / rate_pyais:.1f}x")
    if args.json:
        args.json.write_text(json.dumps({
            "benchmark": "nmea_encode", "n": args.n, "when": datetime.now(UTC).isoformat(),
            "cargotrace_s": ours_s, "pyais_s": pyais_s, "msgs_per_s_cargotrace": rate_ours,
            "msgs_per_s_pyais": rate_pyais, "ratio": rate_ours / rate_pyais,
            "machine": {"cpu": cpu_model(), "python": platform.python_version()},
            "versions": {"cargotrace": __version__, "pyais": pyais.__version__,
                         "numpy": np.__version__},
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
