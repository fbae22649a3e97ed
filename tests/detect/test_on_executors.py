"""The executor post-step (`on_executors.py`) without a JVM: what one Spark partition does with
its share of the candidates gives, over all partitions, the driver's events row for row."""

from __future__ import annotations

import random
from datetime import timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import cargotrace
from cargotrace.detect.context import Context
from cargotrace.detect.dark_calls import dark_port_calls_from_rows
from cargotrace.detect.kinds import EventKind
from cargotrace.detect.on_executors import Provenance, events_from_rows, partition_events
from cargotrace.detect.port_visits import port_visit_candidates, port_visit_events
from cargotrace.detect.presets import GFW
from cargotrace.detect.registry import _gaps, _silence_candidates
from cargotrace.store.engines import Engine, tables_on, to_arrow
from cargotrace.store.engines.results import comparable_schema
from cargotrace.store.events import EVENT_SCHEMA

from .factories import T0, regional_feed, store_rows


def _partitions(candidates: pa.Table, n: int, seed: int) -> list[list[pa.RecordBatch]]:
    """The candidates cut as Spark's `repartition("mmsi")` cuts them (whole vessels per
    partition), each partition's rows shuffled and in small batches, as an executor gets them."""
    rng = random.Random(seed)
    mmsis = sorted(set(candidates.column("mmsi").to_pylist()))
    owner = {m: rng.randrange(n) for m in mmsis}
    parts = []
    for k in range(n):
        mine = candidates.filter(pa.array([owner[m] == k for m in
                                           candidates.column("mmsi").to_pylist()]))
        order = list(range(mine.num_rows))
        rng.shuffle(order)
        parts.append(mine.take(pa.array(order, pa.int64())).to_batches(max_chunksize=3))
    return parts


def test_partitions_give_the_drivers_port_visits_row_for_row(
        sea_of_japan: tuple[Path, Path]) -> None:
    _, path = sea_of_japan
    with cargotrace.open_store(path, read_only=True) as store:
        tables = tables_on(Engine.DUCKDB, store, ["positions", "vessel_reports", "places"])
        stored = store.con.execute(
            "SELECT count(*), count(DISTINCT mmsi) FROM events WHERE kind = 'port_visit'"
        ).fetchall()[0]
        ctx = Context(tables, GFW, store.con.execute("SELECT max(ts) FROM positions")
                      .fetchall()[0][0])
        params, coverage = GFW.port_visit, ctx.coverage()
        expr = port_visit_candidates(ctx.segmented_track(), tables["places"], params,
                                     ctx.data_end)
        candidates = to_arrow(expr)
        target = comparable_schema(expr.as_table())
        ctx.release()
    provenance = Provenance("gfw", params, {"places": {}})
    per_kind = {"port_visit": provenance}
    on_driver = provenance.rows(port_visit_events(candidates, params, coverage))
    # as Spark hands them over: times without their zone, columns cast back by the partition
    handed = candidates.cast(pa.schema([
        pa.field(f.name, pa.timestamp("us") if pa.types.is_timestamp(f.type) else f.type)
        for f in candidates.schema]))
    on_executors = pa.concat_tables(
        [pa.Table.from_batches(list(partition_events(iter(part), target, None,
                                                     lambda t: port_visit_events(
                                                         t, params, coverage), per_kind)),
                               schema=EVENT_SCHEMA)
         for part in _partitions(handed, 4, seed=3)])
    assert on_driver.num_rows == stored[0] > 0 and stored[1] >= 2  # several vessels, so
    # several partitions hold visits
    key = [("event_id", "ascending")]
    assert on_executors.sort_by(key).equals(on_driver.sort_by(key))
    assert on_executors.schema.equals(EVENT_SCHEMA)


def test_an_empty_partition_gives_no_rows() -> None:
    target = pa.schema([pa.field("mmsi", pa.int64())])
    provenance = {"port_visit": Provenance("gfw", GFW.port_visit)}
    assert list(partition_events(iter([]), target, None, lambda t: [], provenance)) == []


def test_event_rows_read_back_as_the_same_events(sea_of_japan: tuple[Path, Path]) -> None:
    """A Python detector downstream (dark port calls, shuttles) reads executor-made events
    back from their rows: the same ids, the same rows when written again."""
    _, path = sea_of_japan
    with cargotrace.open_store(path, read_only=True) as store:
        rows = store.con.sql("SELECT * FROM events").to_arrow_table().cast(EVENT_SCHEMA)
    events = events_from_rows(rows)
    assert [e.event_id for e in events] == rows.column("event_id").to_pylist()
    kinds = set(pc.unique(rows.column("kind")).to_pylist())
    assert {"port_visit", "gap", "identity"} <= kinds
    for kind in kinds:
        again = Provenance("gfw", GFW.port_visit).rows([e for e in events if e.kind == kind])
        same = rows.filter(pc.equal(rows.column("kind"), kind))
        # every column but the parameters (those of the run, given again by the caller)
        assert again.drop_columns(["params"]).equals(same.drop_columns(["params"]))


def test_silences_on_executors_give_the_drivers_gaps_and_exits(tmp_path: Path) -> None:
    """Gaps and coverage exits on the executors: the positions at each silence's ends are
    joined in the candidates' expression (run here on DuckDB: the same Ibis), and each
    partition's silences are judged as on the driver. A hand-built regional feed: ships 11-22
    sail out of the receiver's reach and back, ship 3 switches off from 10 h to 20 h."""
    with cargotrace.open_store(tmp_path / "s.duckdb") as store:
        store_rows(store, regional_feed(48, silent={3: (10, 20)}, outage=(30.0, 36.0)))
        tables = tables_on(Engine.DUCKDB, store, ["positions", "vessel_reports", "places"])
        ctx = Context(tables, GFW, T0 + timedelta(hours=48))
        on_driver = _gaps(ctx)
        candidates = _silence_candidates(ctx)
        rows = to_arrow(candidates.expr, order_by=["mmsi", "start"])
        target = comparable_schema(candidates.expr.as_table())
        ctx.release()
    assert {"start_station", "end_class_b"} <= set(rows.column_names)  # exits are judged
    per_kind = {str(k): Provenance("gfw", GFW.gap, {"places": {}}) for k in candidates.kinds}
    on_executors = pa.concat_tables(
        [pa.Table.from_batches(list(partition_events(iter(part), target, candidates.order_by,
                                                     candidates.post_step, per_kind)),
                               schema=EVENT_SCHEMA)
         for part in _partitions(rows, 3, seed=5)])
    expected = pa.concat_tables([per_kind[str(k)].rows(on_driver[k]) for k in candidates.kinds])
    key = [("event_id", "ascending")]
    assert on_executors.sort_by(key).equals(expected.sort_by(key))
    exits = on_driver[EventKind.LEFT_COVERAGE]
    assert len(exits) >= 15 and {e.mmsi - 273100000 for e in exits} <= set(range(11, 23))
    assert [e.mmsi for e in on_driver[EventKind.GAP]] == [273100003]


def test_dark_port_calls_per_vessel_give_the_drivers(sea_of_japan: tuple[Path, Path]) -> None:
    """Possible dark port calls on the executors read the gaps' and port visits' event rows,
    cut by vessel: each partition's calls, put together, are the stored ones (made on the
    driver), row for row but the parameters' provenance."""
    _, path = sea_of_japan
    with cargotrace.open_store(path, read_only=True) as store:
        rows = store.con.sql("SELECT * FROM events WHERE kind IN ('gap', 'port_visit')"
                             ).to_arrow_table().cast(EVENT_SCHEMA)
        stored = store.con.sql("SELECT * FROM events WHERE kind = 'possible_dark_port_call'"
                               ).to_arrow_table().cast(EVENT_SCHEMA)
        places = to_arrow(tables_on(Engine.DUCKDB, store, ["places"])["places"],
                          order_by=["place_id"])
    provenance = {"possible_dark_port_call": Provenance("gfw", GFW.gap)}
    post_step = partial(dark_port_calls_from_rows, places=places, params=GFW.gap)
    made = pa.concat_tables(
        [pa.Table.from_batches(list(partition_events(iter(part), EVENT_SCHEMA, None, post_step,
                                                     provenance)), schema=EVENT_SCHEMA)
         for part in _partitions(rows, 3, seed=11)])
    assert stored.num_rows >= 1
    key = [("event_id", "ascending")]
    assert made.drop_columns(["params"]).sort_by(key).equals(
        stored.drop_columns(["params"]).sort_by(key))
