"""The packaged places every store starts with: the world gazetteer and the curated `ct:` places.

Why seeded into `places` rather than joined at read time: every detector, `places list`, the
route planner and the report already read one `places` table (on DuckDB and on Spark); a
read-time union would have to be taught to each of them, and to the user's overrides. So the
first command that needs places (ingest, detect, places load/list) writes the packaged rows
once, and `meta` remembers which version it wrote (`SEED_KEY`). A newer cargotrace with a newer
gazetteer replaces the old world rows on the next such command; an existing store from before
the world gazetteer gets it the same way.

What the user loaded always wins: a packaged row is not written when a user row has its
place_id or its UN/LOCODE, and `places load` drops the packaged rows its rows override
(`ingest.gazetteers.load_places`). Curated rows win over world rows for the same port in the
same way. The world file and its build are described in data/world_gazetteer.md.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from cargotrace.ingest.gazetteers import curated_places, read_places
from cargotrace.ingest.place_kinds import PlaceFormat
from cargotrace.store.place_codes import locode_forms
from cargotrace.store.places import ORIGIN_SQL, PLACE_COLUMNS, Place, upsert_places
from cargotrace.store.schema import PLACES
from cargotrace.store.store import Store

__all__ = ["SEED_KEY", "Seeded", "ensure_default_places", "gazetteer_version", "packaged_places",
           "places_used"]

logger = logging.getLogger(__name__)

SEED_KEY = "places:packaged"
"""`meta` key: JSON of the packaged gazetteer versions written to this store's `places`."""


@dataclass(frozen=True)
class Seeded:
    """What `ensure_default_places` wrote (nothing when the store was up to date)."""

    version: str
    world: int = 0
    curated: int = 0
    kept_for_user: int = 0  # packaged rows not written: a user row has their id or UN/LOCODE
    removed_old: int = 0  # world rows of an older version replaced


def _data(name: str) -> bytes:
    return resources.files("cargotrace").joinpath("data", name).read_bytes()


@functools.cache
def world_meta() -> dict[str, Any]:
    """data/world_gazetteer.json: version, counts, sources and the build command."""
    meta: dict[str, Any] = json.loads(_data("world_gazetteer.json"))
    return meta


@functools.cache
def gazetteer_version() -> str:
    """The world gazetteer's version and the curated file's hash, e.g.
    `wpi-2024.04+searoute-1.6.0+abbde695/curated-1a2b3c4d`: what events record."""
    curated = hashlib.sha256(_data("gazetteer.csv")).hexdigest()[:8]
    return f"{world_meta()['version']}/curated-{curated}"


@functools.cache
def packaged_places() -> tuple[tuple[Place, ...], tuple[Place, ...]]:
    """(world places, curated places), read once per process."""
    world_text = gzip.decompress(_data("world_gazetteer.csv.gz")).decode("utf-8")
    world, _ = read_places(Path("world_gazetteer.csv"), world_text, PlaceFormat.CSV)
    if world.skipped:  # a packaging error, caught by tests; never silently fewer places
        bad = world.skipped[0]
        raise RuntimeError(f"packaged world gazetteer line {bad.row}: {bad.reason}")
    return tuple(world.places), curated_places()


def _codes(place: Place) -> frozenset[str]:
    return frozenset(a for a in place.aliases if locode_forms(a)[:1] == [a])


@functools.cache
def _packaged_codes() -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    """The UN/LOCODEs ("KP RJN" form) of each world and curated place, computed once."""
    world, curated = packaged_places()
    return tuple(map(_codes, world)), tuple(map(_codes, curated))


@functools.cache
def _world_table() -> pa.Table:
    """The world places as an Arrow table in the `places` layout, built once a process."""
    world, _ = packaged_places()
    columns = {c: [list(getattr(p, c)) if c == "aliases" else getattr(p, c) for p in world]
               for c in PLACE_COLUMNS}
    return pa.table(columns, schema=PLACES.arrow_schema())


def _insert(store: Store, rows: pa.Table) -> None:
    """Append `rows` (place_ids known to be new) to `places` in one statement."""
    view = "_cargotrace_world_places"
    store.con.register(view, rows)
    try:
        store.con.execute(f"INSERT INTO places SELECT {', '.join(PLACE_COLUMNS)} FROM {view}")
    finally:
        store.con.unregister(view)


def _stored(store: Store) -> tuple[set[str], set[str]]:
    """(place_ids in the store, UN/LOCODEs of the user's rows)."""
    taken: set[str] = set()
    codes: set[str] = set()
    for pid, aliases, origin in store.con.execute(
            f"SELECT place_id, aliases, {ORIGIN_SQL} FROM places").fetchall():
        taken.add(pid)
        if origin == "user":
            codes.update(a for a in aliases or () if locode_forms(a)[:1] == [a])
    return taken, codes


def ensure_default_places(store: Store) -> Seeded | None:
    """Write the packaged places into `store` unless this version already is there.

    Returns what was written, or None when nothing had to be (one `meta` look-up: cheap
    enough to call from every command that needs places). Writing costs ~0.1 s, once a store.
    """
    version = gazetteer_version()
    row = store.con.execute("SELECT value FROM meta WHERE key = ?", [SEED_KEY]).fetchall()
    if row and json.loads(row[0][0]).get("version") == version:
        return None
    con = store.con
    removed = int(con.execute(
        f"SELECT count(*) FROM places WHERE {ORIGIN_SQL} = 'world'").fetchall()[0][0])
    con.execute(f"DELETE FROM places WHERE {ORIGIN_SQL} = 'world'")
    world, curated = packaged_places()
    world_codes, curated_codes = _packaged_codes()
    taken, codes = _stored(store)
    keep_curated = [p.place_id not in taken and not c & codes
                    for p, c in zip(curated, curated_codes, strict=True)]
    for_user = keep_curated.count(False)
    upsert_places(store, [p for p, keep in zip(curated, keep_curated, strict=True) if keep])
    keep_world = [p.place_id not in taken and not c & codes
                  for p, c in zip(world, world_codes, strict=True)]
    for_user += keep_world.count(False)
    # the curated rows win over the world rows of the same ports
    curated_ids = {p.place_id for p in curated}
    every_curated_code = frozenset().union(*curated_codes)
    keep_world = [keep and p.place_id not in curated_ids and not c & every_curated_code
                  for keep, p, c in zip(keep_world, world, world_codes, strict=True)]
    rows = _world_table().filter(pa.array(keep_world))
    _insert(store, rows)
    seeded = Seeded(version, rows.num_rows, keep_curated.count(True), for_user, removed)
    value = {"version": version, "world": seeded.world, "curated": seeded.curated,
             "kept_for_user": seeded.kept_for_user,
             "written_at": datetime.now(UTC).isoformat(timespec="seconds")}
    con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [SEED_KEY, json.dumps(value)])
    logger.info("places: packaged gazetteer %s written: %s", version, value)
    return seeded


def places_used(store: Store) -> dict[str, Any]:
    """Which places a detection run judged against, for its events' params: the packaged
    gazetteer version written to the store (None if never) and the rows per origin."""
    row = store.con.execute("SELECT value FROM meta WHERE key = ?", [SEED_KEY]).fetchall()
    counts = dict(store.con.execute(
        f"SELECT {ORIGIN_SQL} AS origin, count(*) FROM places GROUP BY origin").fetchall())
    return {
        "gazetteer": json.loads(row[0][0])["version"] if row else None,
        "world_places": int(counts.get("world", 0)),
        "curated_places": int(counts.get("curated", 0)),
        "user_places": int(counts.get("user", 0)),
    }
