"""Bad input never crashes and never loses data: random and mutated lines, and a killed ingest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cargotrace
from cargotrace.ingest.nmea import read_nmea
from cargotrace.ingest.params import IngestOptions, InputFormat
from cargotrace.ingest.pipeline import ingest_file
from cargotrace.sim.sample import scaled_fleet, write_sample_nmea

REAL_LINES = [
    r"\s:41925,c:1635731889,t:1635731965*66\!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`,0*37",
    r"\g:1-2-27300,n:636994,s:b003669710,c:1428621738*5F\!SAVDM,2,1,2,B,"
    r"55Mw@A7J1adAL@?;7WPl58F0U<h4pB222222220t1PN5553fN4g?`4iSp5Rc,0*26",
    r"\g:2-2-27300,n:636995*15\!SAVDM,2,2,2,B,iP`88888880,2*5E",
    "!AIVDM,1,1,,A,403Ovl@000Htt<tSF0l4Q@100`Pq,0*28,d-109,S2105,t050056.00,T56.13718694,"
    "r003669946,1325394060,1325394001",
    "$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17",
    "!AIVDM,1,1,,B,15NBj>PP1gG>1PVKTDTUJOv00<0M,0*09",
    "!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A",
    "!AIVDM,2,2,9,B,`88888888888880,2*76",
    "2023-09-07 12:00:05.500 !AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
]


def _mutate(line: str, data: st.DataObject) -> bytes:
    raw = bytearray(line.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] = data.draw(st.integers(0, 255))
        elif op == "delete" and raw:
            del raw[pos]
        elif op == "insert":
            raw.insert(pos, data.draw(st.sampled_from(b",*\\!$:0A@`\r\x00")))
        else:
            raw = raw[:pos]
    return bytes(raw).replace(b"\n", b" ")


def _account(path: Path, options: IngestOptions) -> Iterator[tuple[int, int, int, int]]:
    for chunk in read_nmea(path, options):
        yield (
            chunk.records_read,
            chunk.positions.num_rows + chunk.reports.num_rows,
            chunk.quarantine.num_rows,
            sum(chunk.skipped.values()),
        )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_real_lines_never_crash_and_are_all_accounted(
    tmp_path: Path, data: st.DataObject
) -> None:
    lines = [
        _mutate(line, data) if data.draw(st.booleans()) else line.encode() for line in REAL_LINES
    ]
    lines += data.draw(
        st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"")), max_size=5)
    )
    path = tmp_path / "fuzz.nmea"
    path.write_bytes(b"\n".join(lines) + b"\n")
    totals = [sum(x) for x in zip(*_account(path, IngestOptions()), strict=True)]
    records_read, stored, quarantined, skipped = totals
    # a bare CR (a mutation may insert one) ends a line as it does for bytes.splitlines()
    assert records_read == len(path.read_bytes().splitlines())
    # every line is stored, quarantined or counted as skipped (a multipart message is one record
    # made of several lines, and a type 19 is both a position and a report)
    assert stored + quarantined + skipped >= 1 or not any(line.strip() for line in lines)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.text(max_size=200), max_size=30))
def test_random_text_through_the_whole_pipeline(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "random.nmea"
    path.write_bytes(
        "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n!AIVDM,1,1,,A,x,0*00\n"
    )
    with cargotrace.open_store(tmp_path / f"{abs(hash(tuple(lines)))}.duckdb") as store:
        summary = ingest_file(store, path, IngestOptions(format=InputFormat.NMEA))
        assert store.count("quarantine") == summary.quarantined_total >= 1


@pytest.fixture(scope="module")
def big_nmea(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.nmea"
    write_sample_nmea(path, hours=16, fleet=scaled_fleet(80))
    return path


def _counts(store_path: Path) -> dict[str, int]:
    with cargotrace.open_store(store_path) as store:
        return {t: store.count(t) for t in ("positions", "vessel_reports", "quarantine", "ingests")}


def test_killed_ingest_leaves_store_unchanged_and_rerun_completes(
    tmp_path: Path, big_nmea: Path, shared_data: Path
) -> None:
    store_path = tmp_path / "k.duckdb"
    small = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    with cargotrace.open_store(store_path) as store:
        ingest_file(store, small)
    before = _counts(store_path)
    # a clean run on a fresh store gives the reference counts and how much CPU an ingest takes
    # (CPU seconds, not wall seconds: other processes on the machine don't stretch them)
    reference_store = tmp_path / "ref.duckdb"
    with cargotrace.open_store(reference_store) as store:
        ingest_file(store, small)
        started = time.process_time()
        ref = ingest_file(store, big_nmea)
        ingest_cpu_s = time.process_time() - started
    # start-up: the CLI and the ingest command's module (commands are imported when they run)
    startup = subprocess.run([sys.executable, "-c", "import os, cargotrace.cli, "
                              "cargotrace.cli.commands.ingest, cargotrace.ingest.pipeline; "
                              "t = os.times(); print(t.user + t.system)"],
                             check=True, capture_output=True, text=True)
    startup_cpu_s = float(startup.stdout)
    cmd = [
        sys.executable,
        "-m",
        "cargotrace",
        "ingest",
        "--store",
        str(store_path),
        "--quiet",
        str(big_nmea),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tick = os.sysconf("SC_CLK_TCK")
    while proc.poll() is None:  # kill it half-way through the ingest, by CPU used
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / tick >= startup_cpu_s + ingest_cpu_s * 0.5:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be killed: use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _counts(store_path) == before
    with cargotrace.open_store(store_path) as store:
        rerun = ingest_file(store, big_nmea)
    assert rerun.positions_stored == ref.positions_stored > 20_000
    assert _counts(store_path) == _counts(reference_store)
