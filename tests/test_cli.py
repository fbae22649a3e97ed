"""The command line: whole messages and exit codes, as a user sees them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import cargotrace


def cli(
    *args: str, cwd: Path | None = None, env_store: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = None
    if env_store is not None:
        import os

        env = {**os.environ, "CARGOTRACE_STORE": str(env_store)}
    return subprocess.run(
        [sys.executable, "-m", "cargotrace", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_ingest_json_summary_and_rerun(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.duckdb"
    path = shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"
    first = cli("ingest", "--store", str(store), "--json", str(path))
    assert first.returncode == 0, first.stderr
    (summary,) = json.loads(first.stdout)
    assert summary["positions_stored"] == 912
    assert summary["quarantined"] == {"malformed_mmsi": 6}
    again = cli("ingest", "--store", str(store), str(path))
    assert again.returncode == 0
    assert "already ingested (ingest #1, same content and options); nothing changed" in " ".join(
        again.stderr.split()
    )


def test_store_from_environment(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "env.duckdb"
    result = cli(
        "ingest",
        "--quiet",
        str(shared_data / "ais_nmea/aisdb/test_data_201201.nmea"),
        env_store=store,
    )
    assert result.returncode == 0, result.stderr
    with cargotrace.open_store(store) as st:
        assert st.count("positions") == 3  # two of the five are off the globe (libais examples)


def test_missing_file_is_one_line_error_and_others_still_ingest(
    tmp_path: Path, shared_data: Path
) -> None:
    store = tmp_path / "s.duckdb"
    good = shared_data / "ais_nmea/aisdb/test_data_201201.nmea"
    result = cli("ingest", "--store", str(store), "--quiet", str(tmp_path / "nope.nmea"), str(good))
    assert result.returncode == 1
    assert f"Error: {tmp_path / 'nope.nmea'}: no such file\n" in result.stderr
    with cargotrace.open_store(store) as st:
        assert st.count("positions") == 3  # two of the five are off the globe (libais examples)


def test_empty_file_is_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    result = cli("ingest", "--store", str(tmp_path / "s.duckdb"), str(empty))
    assert result.returncode == 1
    assert result.stderr == f"Error: {empty}: the file is empty\n"
    assert not (tmp_path / "s.duckdb").exists()  # nothing ingested: no store left behind


def test_bad_assume_time_is_usage_error(tmp_path: Path, shared_data: Path) -> None:
    result = cli(
        "ingest",
        "--store",
        str(tmp_path / "s.duckdb"),
        "--assume-time",
        "yesterday",
        str(shared_data / "ais_nmea/pyais/messages.ais"),
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Error: --assume-time: cannot read 'yesterday' as a time; use ISO 8601, "
        "e.g. 2023-09-07T00:00:00Z\n"
    )


def test_unknown_option_exits_2(tmp_path: Path) -> None:
    result = cli("ingest", "--no-such-flag", str(tmp_path))
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_vessels_lists_identities_with_flag(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.duckdb"
    cli(
        "ingest",
        "--store",
        str(store),
        "--quiet",
        str(shared_data / "ais_nmea/aisdb/test_data_20211101.nm4"),
    )
    result = cli("vessels", "--store", str(store), "--name", "MAERSK KIERA", "--json")
    assert result.returncode == 0, result.stderr
    (vessel,) = json.loads(result.stdout)
    assert vessel["mmsi"] == 566234000
    assert vessel["flag"] == "SG"  # MID 566 is Singapore
    assert [n["value"] for n in vessel["names"]] == ["MAERSK KIERA"]
    assert [i["value"] for i in vessel["imos"]] == ["9431305"]
    table = cli("vessels", "--store", str(store), "--imo", "9431305")
    assert table.returncode == 0 and "MAERSK KIERA" in table.stdout and "566234000" in table.stdout


@pytest.mark.parametrize("flag", ["--mmsi", "--imo"])
def test_vessels_not_found_is_empty_not_error(tmp_path: Path, flag: str) -> None:
    cargotrace.open_store(tmp_path / "s.duckdb").close()  # a store, with no such vessel
    result = cli("vessels", "--store", str(tmp_path / "s.duckdb"), flag, "123456789", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == []


# --- a store that does not exist: reading commands never create one -------------------------

READ_COMMANDS = [
    ["vessels", "--name", "ANGARA"],
    ["vessel", "9179842"],
    ["events"],
    ["places", "list"],
    ["sanctions", "changes"],
    ["export", "--events", "--format", "csv", "--out", "out.csv"],
    ["export", "--vessel", "9179842", "--format", "kml", "--out", "out.kml"],
    # they write events, but on an empty new store "0 events" / "0 hit(s)" would read as findings
    ["detect"],
    ["screen"],
]
# these also work without any store, but a store the user named must exist
OPTIONAL_STORE_COMMANDS = [
    ["case", "build", "najin-tikhoretsk-2023"],
    ["report", "najin-tikhoretsk-2023", "--out", "report"],
    ["export", "--case", "najin-tikhoretsk-2023", "--format", "kml", "--out", "case.kml"],
    ["route", "Najin", "Dunay"],
]


def test_reading_a_missing_store_is_one_line_naming_it(tmp_path: Path) -> None:
    """What the README's `vessels --name ANGARA` printed in a fresh folder: "0 vessel(s)"."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOTRACE_")}
    result = subprocess.run([sys.executable, "-m", "cargotrace", "vessels", "--name", "ANGARA"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        f"Error: no store at {tmp_path / 'cargotrace.duckdb'} (from the default); choose one "
        "with --store PATH or `export CARGOTRACE_STORE=PATH` (`cargotrace demo` prints its "
        "store's); only ingest, places load, sanctions load and demo create a "
        "store\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_COMMANDS + OPTIONAL_STORE_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("how", ["--store", "env"])
def test_read_commands_do_not_create_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], how: str
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app
    from cargotrace.errors import StoreError

    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo.duckdb"
    if how == "env":
        monkeypatch.setenv("CARGOTRACE_STORE", str(missing))
        extra: list[str] = []
    else:
        monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
        extra = ["--store", str(missing)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 1 and isinstance(result.exception, StoreError)
    origin = "--store" if how == "--store" else "$CARGOTRACE_STORE"
    assert str(result.exception).startswith(f"no store at {missing} (from {origin}); ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_commands_without_any_store_fail_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app
    from cargotrace.errors import StoreError

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARGOTRACE_STORE", raising=False)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, StoreError)
    assert "(from the default)" in str(result.exception)
    assert list(tmp_path.iterdir()) == []


def test_writing_commands_create_the_store_and_say_so_once(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    store = tmp_path / "new" / "s.duckdb"
    store.parent.mkdir()
    runner = CliRunner()
    first = runner.invoke(app, ["places", "load", "--curated", "--store", str(store)])
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[0] == f"created store at {store}"
    again = runner.invoke(app, ["places", "load", "--curated", "--store", str(store)])
    assert again.exit_code == 0 and "created store" not in again.stderr
    listed = runner.invoke(app, ["places", "list", "--store", str(store), "--json"])
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 22


@dataclass
class DemoRun:
    result: subprocess.CompletedProcess[str]
    home: Path
    cwd: Path
    out: Path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`make demo`'s command with its defaults, as on a fresh machine: an empty home, no cache.
    Run once for the test that checks it and the one that uses its store."""
    import os

    root = tmp_path_factory.mktemp("demo")
    home, cwd, out = root / "home", root / "cwd", root / "demo"
    home.mkdir()
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGOTRACE_")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    result = subprocess.run([sys.executable, "-m", "cargotrace", "demo", "--out", str(out)],
                            capture_output=True, text=True, cwd=cwd, env=env, check=False)
    return DemoRun(result, home, cwd, out)


def test_demo_runs_the_whole_chain_and_leaves_nothing_outside_its_folder(
        demo_run: DemoRun) -> None:
    result, home, cwd, out = demo_run.result, demo_run.home, demo_run.cwd, demo_run.out
    assert result.returncode == 0, result.stderr
    report = out / "najin-tikhoretsk-2023.html"
    store = out / "demo.duckdb"
    assert result.stdout.splitlines() == [
        f"Report: {report}", f"Store: {store}", f"export CARGOTRACE_STORE={store}"]
    log = " ".join(result.stderr.split())
    assert "(0 quarantined)" in log
    assert "= ANGARA (IMO 9179842, RUSSIA-EO14024, confirmed)" in log
    assert "best #1 sea Najin → Dunay; rail Dunay → Tikhoretsk" in log
    assert "sea leg vessel ANGARA (MMSI" in log
    for kind in ("gap", "dark voyage", "port visit"):
        assert f" {kind}," in log or f" {kind}\n" in result.stderr
    html = report.read_text(encoding="utf-8")
    # screened against the packaged facts (their entity ids), not a list loaded elsewhere
    assert "(ct-ref-ofac-37059)" in html and "(ofac-37059)" not in html
    assert 'id="simulated-ais-banner"' in html and "sea-of-japan-2023, seed 7" in html
    assert list(home.iterdir()) == [] and list(cwd.iterdir()) == []
    assert (out / "cache").is_dir() and store.is_file()


# The README's examples that only read the store (plus the files they write): after `make demo`
# and its `export CARGOTRACE_STORE=...` line they must work as pasted.
README_READS = ("vessels", "vessel", "events", "places list", "route", "case build", "report",
                "export", "sanctions changes")


def readme_read_examples() -> list[list[str]]:
    import re
    import shlex

    examples = []
    in_code = False
    for line in (Path(__file__).resolve().parents[1] / "README.md").read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not (in_code and line.startswith("cargotrace ")):
            continue
        args = shlex.split(re.split(r"\s+#\s", line)[0])[1:]
        if args[0] not in README_READS and " ".join(args[:2]) not in README_READS:
            continue
        if any(a.endswith(".yaml") or a.startswith("sim/") or a == "pdf" for a in args):
            continue  # a case file of the reader's own, or a PDF (needs chromium)
        examples.append(args)
    return examples


def test_readme_read_examples_work_on_the_demo_store(
    demo_run: DemoRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    store = demo_run.out / "demo.duckdb"
    assert demo_run.result.returncode == 0, demo_run.result.stderr
    monkeypatch.chdir(tmp_path)
    # what the demo printed, pasted
    name, _, value = demo_run.result.stdout.splitlines()[-1].removeprefix("export ").partition("=")
    monkeypatch.setenv(name, value)
    examples = readme_read_examples()
    commands = [" ".join(a[:2]) if a[0] in ("places", "case", "sanctions") else a[0]
                for a in examples]
    assert set(commands) == set(README_READS)
    # Each command once (the first example), and every cheap export; not the three more
    # routes nor `export --case`: ~10 s each here, on the same store-opening path as the first.
    run = [a for i, (a, c) in enumerate(zip(examples, commands, strict=True))
           if c not in commands[:i] or (c == "export" and "--case" not in a)]
    outputs: dict[str, str] = {}
    for args in run:
        redirect = args.index(">") if ">" in args else None
        result = CliRunner().invoke(app, args[:redirect])
        assert result.exit_code == 0, (args, result.output, result.exception)
        if redirect is not None:
            Path(args[redirect + 1]).write_text(result.stdout)
        outputs[" ".join(args)] = result.stdout
    assert not (tmp_path / "cargotrace.duckdb").exists()  # nothing read from an empty store
    with cargotrace.open_store(store, read_only=True) as st:
        gaps = st.con.execute("SELECT count(*) FROM events WHERE kind = 'gap'").fetchall()[0][0]
        angara = st.con.execute(
            "SELECT count(DISTINCT mmsi) FROM vessel_reports WHERE name LIKE '%ANGARA%'"
        ).fetchall()[0][0]
    assert gaps > 0 and angara > 0
    assert len(json.loads((tmp_path / "gaps.geojson").read_text())["features"]) == gaps
    assert f"{angara} vessel(s)" in outputs["vessels --name ANGARA"]
    assert json.loads(outputs["vessel 9179842 --json"])["found_in_store"] is True
    assert "0 place(s)" not in outputs["places list --near 42.88,132.34 --km 60"]
    html = (tmp_path / "report" / "najin-tikhoretsk-2023.html").read_text(encoding="utf-8")
    assert 'id="simulated-ais-banner"' in html  # the report read the demo's store
    for written in ("angara.kml", "angara.parquet", "angara.ftm.json"):
        assert (tmp_path / written).stat().st_size > 0


def test_demo_screens_against_a_real_list_when_given_one(tmp_path: Path,
                                                          shared_data: Path) -> None:
    out = tmp_path / "demo"
    result = cli("demo", "--out", str(out), "--vessels", "4", "--days", "14", "--sanctions",
                 str(shared_data / "sanctions/ofac_sdn_2024-05-03.csv"))
    assert result.returncode == 0, result.stderr
    log = " ".join(result.stderr.split())
    assert "screened against ofac (851 listed vessels)" in log
    assert "= ANGARA (IMO 9179842, RUSSIA-EO14024, confirmed)" in log
    assert "(ofac-37059)" in (out / "najin-tikhoretsk-2023.html").read_text(encoding="utf-8")


def test_demo_rejects_an_unreadable_list_before_simulating(tmp_path: Path) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("not,a,sanctions,list\n")
    result = cli("demo", "--out", str(tmp_path / "demo"), "--sanctions", str(bad))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "demo" / "simulated").exists()


# What start-up must not load: `cargotrace --help`, `places list --help` and every command's
# option types are defined in light modules (issue 16; docs/concepts/architecture.md).
HEAVY = ("duckdb", "pyarrow", "numpy", "pandas", "ibis", "rapidfuzz", "networkx",
         "followthemoney")
_LOADED_HEAVY = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"
# the command modules imported so far (cli/lazy.py: each only when its command is used)
_LOADED_COMMANDS = ('sorted(m.rsplit(".", 1)[1] for m in sys.modules '
                    'if m.startswith("cargotrace.cli.commands."))')
_START_UP = f"""
import contextlib, io, json, sys
import cargotrace.cli.main
from cargotrace.cli.main import main
loaded = {{"import": {_LOADED_HEAVY}}}
commands = {{"import": {_LOADED_COMMANDS}}}
for argv in (["--help"], ["places", "list", "--help"], ["detect", "--help"],
             ["export", "--help"], ["sanctions", "load", "--help"], ["vessel", "--help"],
             ["lake", "compact", "--help"], ["lake", "vacuum", "--help"]):
    sys.argv = ["cargotrace", *argv]
    with contextlib.redirect_stdout(io.StringIO()) as shown:
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, (argv, exc.code)
    assert "Usage" in shown.getvalue(), argv
    loaded[" ".join(argv)] = {_LOADED_HEAVY}
    commands[" ".join(argv)] = {_LOADED_COMMANDS}
print(json.dumps({{"heavy": loaded, "commands": commands}}))
"""


def test_start_up_and_help_import_no_heavy_library() -> None:
    """A fresh interpreter: importing the CLI, then `--help` of the app and of the commands
    whose options name library types, loads none of DuckDB, Arrow, numpy, pandas, Ibis,
    rapidfuzz, networkx or followthemoney."""
    import os

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _START_UP], capture_output=True, text=True,
                          env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    loaded = result["heavy"]
    assert loaded["import"] == []
    assert {k: v for k, v in loaded.items() if v} == {}
    # `--help` lists every command without importing one; a command's help imports its module
    assert result["commands"] == {
        "import": [], "--help": [], "places list --help": ["places"],
        "detect --help": ["detect", "places"], "export --help": ["detect", "export", "places"],
        "sanctions load --help": ["detect", "export", "places", "sanctions"],
        "vessel --help": ["detect", "export", "places", "sanctions", "vessel"],
        "lake compact --help": ["detect", "export", "lake", "places", "sanctions", "vessel"],
        "lake vacuum --help": ["detect", "export", "lake", "places", "sanctions", "vessel"]}


def test_light_option_types_are_the_librarys_own() -> None:
    """The enums and constants moved to light modules for start-up are the very objects the
    library uses, still importable from where they were (and the lazy packages still export
    their names)."""
    from cargotrace import Store, open_store
    from cargotrace.ingest import gazetteers, place_kinds, place_readers
    from cargotrace.publish import ExportFormat, events_export, export, formats
    from cargotrace.screen import list_formats, lists, params, profile
    from cargotrace.store import Store as StoreClass
    from cargotrace.store import default_store_path
    from cargotrace.store.engines import Engine, engine, tables_on, to_arrow
    from cargotrace.store.engines.handoff import tables_on as handoff_tables_on
    from cargotrace.store.store import open_store as store_open

    assert Store is StoreClass and open_store is store_open and callable(default_store_path)
    assert export.ExportFormat is formats.ExportFormat is ExportFormat
    assert callable(events_export)
    assert lists.ListFormat is list_formats.ListFormat
    assert gazetteers.PlaceKind is place_kinds.PlaceKind
    assert gazetteers.PlaceFormat is place_readers.PlaceFormat is place_kinds.PlaceFormat
    assert profile.EVENTS_PER_KIND == params.EVENTS_PER_KIND
    assert Engine is engine.Engine and tables_on is handoff_tables_on and callable(to_arrow)
    with pytest.raises(AttributeError):
        _ = cargotrace.store.no_such_name  # type: ignore[attr-defined]


# What `vessels` and `places list` on a store must not load (issue 16: a read command answers
# within 0.35 s): no Ibis backend, Spark, followthemoney, detector, report renderer, nor the
# array libraries the store's read queries do not need, nor pydantic (cli/coercion.py).
NOT_FOR_READING = (*HEAVY[1:], "pydantic", "pyspark", "normality", "rigour", "icu", "jinja2",
                   "ibis.backends.duckdb", "ibis.backends.pyspark", "cargotrace.detect.run",
                   "cargotrace.publish.report.render", "cargotrace.sim.run")
_READ_COMMAND = f"""
import contextlib, io, json, sys
from cargotrace.cli.main import main
sys.argv = ["cargotrace", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
print(json.dumps({{"shown": shown.getvalue(),
                  "loaded": sorted(m for m in {NOT_FOR_READING!r} if m in sys.modules),
                  "commands": {_LOADED_COMMANDS}}}))
"""


@pytest.mark.parametrize("command", [["vessels"], ["places", "list"]],
                         ids=["vessels", "places_list"])
def test_issue_16_read_commands_import_no_heavy_library(
        command: list[str], solent_store: Path, tmp_path: Path) -> None:
    """A fresh interpreter runs the command on a real store (the Solent capture, its 91
    vessels, and the curated places): the answer is printed, and none of the heavy modules
    was imported on the way (each costs 0.05-0.5 s of start-up)."""
    import os
    import shutil

    store = tmp_path / "solent.duckdb"
    shutil.copy(solent_store, store)
    with cargotrace.open_store(store) as st:
        from cargotrace.ingest.gazetteers import load_curated_gazetteer

        load_curated_gazetteer(st)
        expected = st.count("places") if command[0] == "places" else int(st.con.execute(
            "SELECT count(DISTINCT mmsi) FROM positions").fetchall()[0][0])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _READ_COMMAND, *command, "--store", str(store)],
                          capture_output=True, text=True, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    noun = "place(s)" if command[0] == "places" else "vessel(s)"
    assert f"{expected} {noun}" in result["shown"] and expected > 20
    assert result["loaded"] == []
    assert result["commands"] == [command[0]]  # no other command module (cli/lazy.py)


_VERBOSE_LEVELS = """
import json, logging, sys
from cargotrace.cli.app import app
sys.argv = ["cargotrace", "-v", "vessels", "--help"]
try:
    app()
except SystemExit:
    pass
print(json.dumps({name: logging.getLogger(name).isEnabledFor(logging.DEBUG)
                  for name in ("cargotrace", "numba")}))
"""


def test_verbose_logs_cargotrace_details_but_not_numbas_compiler_passes() -> None:
    """`-v` logs cargotrace's DEBUG lines, not numba's: numba logs every compiler pass at
    DEBUG, and a first compiled NMEA scan under `-v` printed 380,000 lines (30 MB)."""
    import os

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(cargotrace.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _VERBOSE_LEVELS], capture_output=True,
                          text=True, env=env, check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"cargotrace": True,
                                                                  "numba": False}



def test_names_are_printed_as_text_never_as_markup(tmp_path: Path, shared_data: Path) -> None:
    """A broadcast name (AIS' 6-bit text has `[`, `]`, `/` and `:`) or a place name of the
    user's own file is printed as written: `[/]` used to end `vessels` and `places list` with
    rich's MarkupError traceback, `[bold]` to vanish and `:ship:` to become an emoji."""
    import pandas as pd
    from typer.testing import CliRunner

    from cargotrace.cli.app import app

    odd = "SAN [/]JOSE :ship: [bold]"
    rows = pd.read_csv(shared_data / "ais_positions/aisdb_test_data_noaa_20230101.csv",
                       nrows=40, dtype=str, keep_default_na=False)
    rows.loc[rows["VesselName"] == "SAN JOSE", "VesselName"] = odd
    named = int((rows["VesselName"] == odd).sum())
    assert named >= 1
    rows.to_csv(tmp_path / "ais.csv", index=False)
    (tmp_path / "places.csv").write_text(f'name,lat,lon\n"{odd}",43.08,-70.76\n')
    store = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    for args in (["ingest", str(tmp_path / "ais.csv")],
                 ["places", "load", str(tmp_path / "places.csv"), "--kind", "seaport"]):
        done = runner.invoke(app, [*args, "--store", store])
        assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["vessels", "--name", "JOSE", "--store", store])
    assert listed.exit_code == 0, listed.output
    assert "1 vessel(s)" in listed.stdout and listed.stdout.count(odd) == 1
    places = runner.invoke(app, ["places", "list", "--near", "43.08,-70.76", "--km", "1",
                                 "--store", store])
    assert places.exit_code == 0, places.output
    assert places.stdout.count(odd) == 1
    mmsi = rows.loc[rows["VesselName"] == odd, "MMSI"].iloc[0]
    profile = runner.invoke(app, ["vessel", str(mmsi), "--store", store])
    assert profile.exit_code == 0, profile.output
    assert odd in profile.stdout
    odd_file = tmp_path / "feed [bold]x:ship:.csv"  # a file name is printed by ingest, as written
    odd_file.write_bytes((tmp_path / "ais.csv").read_bytes())
    again = runner.invoke(app, ["ingest", str(odd_file), "--store", store])
    assert again.exit_code == 0, again.output
    assert "feed [bold]x:ship:.csv" in again.output


def test_help_reflows_the_paragraphs_of_a_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command's help after its first paragraph reads as prose: the docstring's line
    breaks (written for the code's width) are not kept mid-sentence."""
    import inspect

    from typer.testing import CliRunner

    import cargotrace.cli.commands.report as report_module
    from cargotrace.cli.app import app

    doc = inspect.cleandoc(report_module.report.__doc__ or "")
    second = doc.split("\n\n")[1]
    assert "\n" in second  # the docstring wraps this paragraph
    import typer.rich_utils

    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 400)  # typer reads TERMINAL_WIDTH once
    shown = CliRunner().invoke(app, ["report", "--help"])
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert " ".join(second.split()) in lines  # the paragraph on one line of a wide terminal


# Found by trying the landed code as a new user on the real files (session 9). Each of these
# fails on the code it was written against: they show the bug, they do not fix it.


@pytest.mark.parametrize("command", [("vessels",), ("places", "list")])
def test_limit_below_one_is_one_line_not_a_traceback(solent_store: Path,
                                                          command: tuple[str, ...]) -> None:
    """`vessels --limit -5` ended in a 47-line DuckDB traceback ("LIMIT/OFFSET cannot be
    negative"), and `places list --limit -5` silently dropped the last 5 places (the value
    went to a slice): a bad argument must be one line naming the option, exit 1 as every
    value cargotrace refuses (docs/reference/cli.md, "Exit codes")."""
    result = cli(*command, "--store", str(solent_store), "--limit", "-5")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode == 1
    assert result.stderr.startswith("Error: --limit: -5 is not a number of")
    assert len(result.stderr.strip().splitlines()) == 1


def test_object_store_url_is_echoed_as_typed() -> None:
    """`--store s3://bucket/x` was refused as `s3:/bucket/x` (the option is a Path, which
    folds the `//`): the refusal must name the URL the user typed, in one line."""
    for command in (("vessels",), ("places", "list")):
        result = cli(*command, "--store", "s3://bucket/x")
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("Error: s3://bucket/x: object-store lakes"), \
            result.stderr
        assert "s3:/bucket" not in result.stderr and "Traceback" not in result.stderr


def test_vessels_title_gives_the_total_when_the_limit_leaves_vessels_out(
    solent_store: Path,
) -> None:
    """On a store of 13,877 MMSIs `vessels` printed "1000 vessel(s)" (the default --limit),
    with nothing saying that 12,877 were left out; `places list` says "5,599 place(s), first
    50 shown". The title must give the store's total, counted here independently."""
    import duckdb

    with duckdb.connect(str(solent_store), read_only=True) as con:
        row = con.execute(
            "SELECT count(DISTINCT mmsi) FROM (SELECT mmsi FROM positions"
            " UNION ALL SELECT mmsi FROM vessel_reports)"
        ).fetchone()
    assert row is not None
    total = row[0]
    assert total > 10  # the real Solent capture: 91 vessels
    result = cli("vessels", "--store", str(solent_store), "--limit", "10")
    assert result.returncode == 0, result.stderr
    title = result.stdout.splitlines()[0]
    assert f"{total:,}" in title, title
    assert "first 10 shown" in title, title
    assert f"{total - 10:,} more" in result.stderr
    # --json keeps its shape (a list of vessels) and says on stderr what the limit left out
    as_json = cli("vessels", "--store", str(solent_store), "--limit", "10", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)) == 10
    assert f"{total - 10:,} more" in as_json.stderr
    # nothing left out: no "shown", no note
    whole = cli("vessels", "--store", str(solent_store), "--limit", str(total))
    assert whole.stdout.splitlines()[0].strip() == f"{total:,} vessel(s)"
    assert "more" not in whole.stderr


def test_events_with_a_kind_that_does_not_exist_is_an_error(solent_store: Path) -> None:
    """`events --kind gapz` (a typo) printed "0 event(s)" and exit 0: an analyst reads it as
    "no gaps". A name that is no event kind must be refused, naming it."""
    result = cli("events", "--store", str(solent_store), "--kind", "gapz")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (1, 2), result.stdout
    assert "gapz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "gap, " in result.stderr and "encounter" in result.stderr  # the valid kinds listed


def test_export_events_with_a_kind_that_does_not_exist_writes_nothing(
    solent_store: Path, tmp_path: Path,
) -> None:
    """`export --events --kind gapz` wrote an empty file and said "0 event(s)": refused in one
    line, by the same check as `events` and `detect`, and no file is written."""
    target = tmp_path / "events.geojson"
    result = cli("export", "--events", "--kind", "gapz", "--format", "geojson", "--out",
                 str(target), "--store", str(solent_store))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "gapz" in result.stderr and "sanction_match" in result.stderr
    assert not target.exists()


@pytest.mark.parametrize(("args", "code", "says"), [
    (["vessels", "--limit", "0"], 1, "Error: --limit: 0 is not a number of vessels"),
    (["events", "--kind", "gapz"], 1, "Error: --kind gapz: no such event kind"),
    (["detect", "--since", "yesterday"], 1, "Error: --since: cannot read 'yesterday'"),
    (["vessels", "--limit", "abc"], 2, "Usage: "),
    (["vessels", "--no-such-flag"], 2, "Usage: "),
])
def test_exit_codes_follow_the_table_in_the_cli_reference(
        solent_store: Path, tmp_path: Path, args: list[str], code: int, says: str) -> None:
    """Found by a new-user test: `vessels --limit -5` exited 2 and `events --kind gapz` 1.
    The rule (docs/reference/cli.md, "Exit codes"): a value cargotrace refuses is one line
    and exit 1, whatever the option; only what Click's parser cannot read exits 2, with its
    usage text. Checked against the table itself, so the two cannot drift apart."""
    table = (Path(__file__).parents[1] / "docs/reference/cli.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith(f"| {code} |"))
    store = tmp_path / "s.duckdb"
    store.write_bytes(solent_store.read_bytes())
    result = cli(*args, "--store", str(store))
    assert result.returncode == code, result.stderr[-2000:]
    assert result.stderr.startswith(says), result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1 and "one line" in row
        assert f"`{args[1]} " in row  # the table gives this option as an example
    else:
        assert "Click's parser" in row and "Traceback" not in result.stderr
