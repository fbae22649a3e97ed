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

from cargotrace.ingest.gazetteers import curated_places, read_places
from cargotrace.ingest.place_kinds import PlaceFormat
from cargotrace.store.place_codes import locode_forms
from cargotrace.store.places import ORIGIN_SQL, PLACE_COLUMNS, Place, upsert_places
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


_LOCODE_SQL = "regexp_full_match(a, '[A-Z]{2} [A-Z0-9]{3}')"
WORLD_VIEW = "_cargotrace_world_places"


def _stage_world(store: Store) -> None:
    """The world file as a temporary table in the `places` layout, read by DuckDB itself.

    Why not through `read_places`: parsing 5,591 rows in Python (and building Arrow from
    Python lists, which imports pandas) cost ~1.5 s of every first `detect`, more than the
    gazetteer's join. The file is written by tools/build_world_gazetteer.py in the layout a
    store keeps (aliases already cleaned, the UN/LOCODE's spellings included), and a test
    checks that this path and `read_places` give the very same places.
    """
    columns = ", ".join(f"'{c}': '{t}'" for c, t in (
        ("place_id", "VARCHAR"), ("name", "VARCHAR"), ("aliases", "VARCHAR"),
        ("country", "VARCHAR"), ("kind", "VARCHAR"), ("lat", "DOUBLE"), ("lon", "DOUBLE"),
        ("radius_m", "DOUBLE"), ("locode", "VARCHAR"), ("source", "VARCHAR")))
    with resources.as_file(resources.files("cargotrace").joinpath(
            "data", "world_gazetteer.csv.gz")) as path:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {WORLD_VIEW} AS
            SELECT place_id, trim(name) AS name,
                   CASE WHEN coalesce(aliases, '') = '' THEN []::VARCHAR[]
                        ELSE list_transform(string_split(aliases, ';'), lambda a: trim(a)) END
                       AS aliases,
                   country, kind, lat, lon, radius_m, NULL::VARCHAR AS watch_reason, source
            FROM read_csv(?, header = true, columns = {{{columns}}}, quote = '"',
                          escape = '"', delim = ',', compression = 'gzip')""", [str(path)])


def _world_codes(store: Store) -> list[tuple[str, frozenset[str]]]:
    """(place_id, UN/LOCODEs in "KP RJN" form) of each staged world place."""
    rows = store.con.execute(
        f"SELECT place_id, list_filter(aliases, lambda a: {_LOCODE_SQL}) FROM {WORLD_VIEW} "
        "ORDER BY place_id").fetchall()
    return [(pid, frozenset(codes)) for pid, codes in rows]


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
    store.require_writable("write the packaged places")
    con = store.con
    removed = int(con.execute(
        f"SELECT count(*) FROM places WHERE {ORIGIN_SQL} = 'world'").fetchall()[0][0])
    con.execute(f"DELETE FROM places WHERE {ORIGIN_SQL} = 'world'")
    curated = curated_places()
    curated_codes = tuple(map(_codes, curated))
    taken, codes = _stored(store)
    keep_curated = [p.place_id not in taken and not c & codes
                    for p, c in zip(curated, curated_codes, strict=True)]
    for_user = keep_curated.count(False)
    upsert_places(store, [p for p, keep in zip(curated, keep_curated, strict=True) if keep])
    _stage_world(store)
    world = _world_codes(store)
    # the user's rows win, and the curated rows win over the world rows of the same ports
    for_user += sum(pid in taken or bool(c & codes) for pid, c in world)
    curated_ids = {p.place_id for p in curated}
    every_curated_code = frozenset().union(*curated_codes)
    dropped = [pid for pid, c in world
               if pid in taken or c & codes or pid in curated_ids or c & every_curated_code]
    con.execute(f"""INSERT INTO places SELECT {', '.join(PLACE_COLUMNS)} FROM {WORLD_VIEW}
                    WHERE NOT list_contains(?::VARCHAR[], place_id)""", [dropped])
    con.execute(f"DROP TABLE {WORLD_VIEW}")
    written = len(world) - len(dropped)
    seeded = Seeded(version, written, keep_curated.count(True), for_user, removed)
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
