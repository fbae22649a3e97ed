"""The executor steps of identity's report changes, dark voyages and shuttles, without a JVM:
what Spark's partitions (or cogroups) do with their share gives, put together, the driver's
events row for row. The Spark runs themselves: test_engines.py and test_lake.py."""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import cargotrace
from cargotrace.detect.context import Context
from cargotrace.detect.dark_voyages import dark_voyage_events, silences_on_engine
from cargotrace.detect.identity import (
    change_candidates,
    change_events,
    changing_mmsis,
    identity_row_events,
    name_keys,
    reflag_candidates,
    reflag_events,
    report_candidates,
)
from cargotrace.detect.identity_on_executors import keys_of
from cargotrace.detect.on_executors import Provenance, events_from_rows, group_events
from cargotrace.detect.presets import GFW
from cargotrace.detect.shuttles import calls_from_table, detect_shuttles
from cargotrace.detect.shuttles_on_executors import RUN_SCHEMA, pair_shuttles, run_rows
from cargotrace.detect.voyages_on_executors import dark_voyages_beside
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.engines.results import comparable_schema
from cargotrace.store.events import EVENT_SCHEMA
from cargotrace.store.names import name_key


def _cut(table: pa.Table, columns: list[str], n: int, seed: int) -> list[pa.Table]:
    """`table` cut as Spark's `repartition(*columns)` cuts it (whole groups per partition),
    each partition's rows shuffled."""
    rng = random.Random(seed)
    keys = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    owner = {k: rng.randrange(n) for k in sorted(set(keys), key=str)}
    parts = []
    for part in range(n):
        rows = [i for i, k in enumerate(keys) if owner[k] == part]
        rng.shuffle(rows)
        parts.append(table.take(pa.array(rows, pa.int64())))
    return parts


def _ids(events: list[object]) -> list[str]:
    return sorted(e.event_id for e in events)  # type: ignore[attr-defined]


def test_report_changes_per_partition_give_the_drivers(mixed_ingested: Path) -> None:
    """Name / IMO / call-sign and flag changes from one expression, each partition's rows
    made into events on their own, are the driver's events; the keys of the names made per
    batch (as `mapInArrow` gives them) are the driver's keys. Checked against an independent
    count: an MMSI's IMO changes are its distinct 7-digit IMO numbers less one (a new value
    is reported once, the first time it is seen)."""
    with cargotrace.open_store(mixed_ingested, read_only=True) as store:
        tables = tables_on(Engine.DUCKDB, store, ["positions", "vessel_reports"])
        reports, positions = tables["vessel_reports"], tables["positions"]
        keys = name_keys(reports)
        changing = to_arrow(changing_mmsis(reports, keys))
        on_driver = (change_events(to_arrow(change_candidates(reports, changing, keys)))
                     + reflag_events(to_arrow(reflag_candidates(positions, reports))))
        expr = report_candidates(positions, reports, changing_mmsis(reports, keys), keys)
        rows = to_arrow(expr)
        target = comparable_schema(expr.as_table())
        imos = store.con.execute(
            "SELECT mmsi, count(DISTINCT imo) - 1 FROM vessel_reports "
            "WHERE imo BETWEEN 1000000 AND 9999999 GROUP BY mmsi").fetchall()
        names = store.con.execute("SELECT DISTINCT name FROM vessel_reports").fetchall()
    per_partition = [e for part in _cut(rows, ["mmsi"], 3, seed=4)
                     for e in identity_row_events(part.cast(target))]
    assert _ids(per_partition) == _ids(on_driver)
    kinds = [e.attrs["identity_kind"] for e in on_driver]
    assert {"name_change", "imo_change", "flag_change"} <= set(kinds)
    assert kinds.count("imo_change") == sum(n for _, n in imos) > 0
    batches = pa.table({"raw_name": [n for (n,) in names]}).to_batches(max_chunksize=7)
    made = pa.Table.from_batches(list(keys_of(iter(batches))))
    assert made.num_rows == sum(1 for (n,) in names if n is not None) > 10
    assert made.column("name_key").to_pylist() == [
        name_key(n).compact or None for n in made.column("raw_name").to_pylist()]


def test_dark_voyages_per_vessel_with_its_visits_give_the_drivers(
        sea_of_japan: tuple[Path, Path]) -> None:
    """Dark voyages cogrouped by vessel (its silences from the expression kept on the engine,
    its port-visit and coverage-exit rows beside them) give the stored (driver's) ones."""
    _, path = sea_of_japan
    with cargotrace.open_store(path, read_only=True) as store:
        tables = tables_on(Engine.DUCKDB, store, ["positions", "vessel_reports", "places"])
        data_end = store.con.execute("SELECT max(ts) FROM positions").fetchall()[0][0]
        ctx = Context(tables, GFW, data_end)
        expr, kept = silences_on_engine(ctx.track(), GFW.dark_voyage, data_end)
        silences = to_arrow(expr, order_by=["mmsi", "start"])
        target = comparable_schema(expr.as_table())
        coverage = ctx.coverage()
        kept.release()
        ctx.release()
        beside = store.con.sql("SELECT * FROM events WHERE kind IN ('port_visit', "
                               "'left_coverage')").to_arrow_table().cast(EVENT_SCHEMA)
        stored = store.con.sql("SELECT * FROM events WHERE kind = 'dark_voyage'"
                               ).to_arrow_table().cast(EVENT_SCHEMA)
    provenance = {"dark_voyage": Provenance("gfw", GFW.dark_voyage)}
    post_step = partial(dark_voyages_beside, params=GFW.dark_voyage, coverage=coverage)
    made = []
    for mmsi in sorted(set(silences.column("mmsi").to_pylist())):
        mine = silences.filter(pc.equal(silences.column("mmsi"), mmsi))
        own = beside.filter(pc.equal(beside.column("mmsi"), mmsi))
        order = list(range(mine.num_rows))
        random.Random(mmsi).shuffle(order)
        made.append(group_events(mine.take(pa.array(order, pa.int64())), own, target,
                                 ("mmsi", "start"), post_step, provenance))
    on_executors = pa.concat_tables(made)
    on_driver = dark_voyage_events(silences, events_from_rows(beside.filter(pc.equal(
        beside.column("kind"), "port_visit"))), GFW.dark_voyage, coverage,
        events_from_rows(beside.filter(pc.equal(beside.column("kind"), "left_coverage"))))
    assert stored.num_rows == len(on_driver) >= 2
    assert sorted(on_executors.column("event_id").to_pylist()) == sorted(
        stored.column("event_id").to_pylist())
    # every column but the parameters' provenance (the stored run's)
    key = [("event_id", "ascending")]
    assert on_executors.drop_columns(["params"]).sort_by(key).equals(
        stored.drop_columns(["params"]).sort_by(key))


def test_shuttles_by_vessel_then_by_place_pair_give_the_drivers(
        sea_of_japan: tuple[Path, Path]) -> None:
    """Shuttles in two steps (calls cut by vessel to runs, runs cut by place pair to events)
    give `detect_shuttles` over every call at once, the group shuttle of the scenario's two
    ships included (their runs meet only in the second step)."""
    _, path = sea_of_japan
    with cargotrace.open_store(path, read_only=True) as store:
        calls = store.con.sql("SELECT * FROM events WHERE kind IN ('port_visit', "
                              "'possible_dark_port_call')").to_arrow_table().cast(EVENT_SCHEMA)
        stored = store.con.sql("SELECT * FROM events WHERE kind = 'shuttle'"
                               ).to_arrow_table().cast(EVENT_SCHEMA)
    params = GFW.shuttle
    on_driver = detect_shuttles(calls_from_table(calls, params), params)
    for seed in (1, 2):
        runs = pa.concat_tables([run_rows(part, params)
                                 for part in _cut(calls, ["mmsi"], 2, seed)])
        assert runs.schema.equals(RUN_SCHEMA)
        by_pair = [e for part in _cut(runs, ["place_a", "place_b"], 3, seed)
                   for e in pair_shuttles(part, params)]
        rows = Provenance("gfw", params).rows(by_pair)
        expected = Provenance("gfw", params).rows(on_driver)
        key = [("event_id", "ascending")]
        assert rows.sort_by(key).equals(expected.sort_by(key))
    groups = [e for e in on_driver if len(e.attrs["vessels"]) > 1]
    assert len(groups) >= 1 and stored.num_rows == len(on_driver)
    assert sorted(stored.column("event_id").to_pylist()) == _ids(on_driver)
