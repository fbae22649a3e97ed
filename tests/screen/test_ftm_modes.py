"""Lists load the same with and without followthemoney installed (docs/decisions/0007).

The oracle is followthemoney itself: the session's `lists_store` was loaded in this interpreter,
where followthemoney 4.11 cleans every value; the same real files are loaded again in a fresh
interpreter where followthemoney, normality, rigour and icu cannot be imported (the default
install), and every stored row must be equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import cargotrace
from cargotrace.ftm import cleaner
from cargotrace.screen.lists import load_list

from .factories import OFAC, UN

REFERENCE = Path(str(files("cargotrace").joinpath("data", "sanctions",
                                                  "reference-vessels.ftm.jsonl")))
_PLAIN_LOAD = """
import sys
from datetime import date
from pathlib import Path
import cargotrace
from cargotrace.ftm import cleaner
from cargotrace.screen.lists import load_list
assert cleaner()[0] == "plain", cleaner()[0]
data, out, reference = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with cargotrace.open_store(out) as store:
    load_list(store, data / "sanctions/ofac_sdn_2024-05-03.csv", "ofac", as_of=date(2024, 5, 3))
    load_list(store, data / "sanctions/un_sc_consolidated_2018-10-29.xml", "un")
    load_list(store, reference, "ftm", name="reference")
assert "followthemoney" not in sys.modules
"""
_TABLES = {
    "sanctions_entities": "SELECT * EXCLUDE (entity), entity::JSON::VARCHAR FROM "
                          "sanctions_entities ORDER BY list, id",
    "sanctions_links": "SELECT * FROM sanctions_links ORDER BY list, link_id, vessel_id",
    "sanctions_loads": "SELECT * EXCLUDE (loaded_at, path) FROM sanctions_loads ORDER BY load_id",
}


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with cargotrace.open_store(path, read_only=True) as store:
        return {name: store.con.execute(sql).fetchall() for name, sql in _TABLES.items()}


def test_plain_load_equals_followthemoney_load(
    lists_store: Path, shared_data: Path, tmp_path: Path,
    run_without_followthemoney: Callable[..., Any],
) -> None:
    assert cleaner()[0].startswith("followthemoney"), "make test installs the ftm extra"
    assert (OFAC, UN) == ("sanctions/ofac_sdn_2024-05-03.csv",
                          "sanctions/un_sc_consolidated_2018-10-29.xml")
    with_ftm = tmp_path / "ftm.duckdb"
    shutil.copy(lists_store, with_ftm)
    with cargotrace.open_store(with_ftm) as store:
        load_list(store, REFERENCE, "ftm", name="reference")
    plain = tmp_path / "plain.duckdb"
    run_without_followthemoney(_PLAIN_LOAD, str(shared_data), str(plain), str(REFERENCE))
    expected, got = _tables(with_ftm), _tables(plain)
    assert len(expected["sanctions_entities"]) > 15_000
    assert len(expected["sanctions_links"]) > 800
    for name in _TABLES:
        assert len(got[name]) == len(expected[name]), name
        differ = [(a, b) for a, b in zip(expected[name], got[name], strict=True) if a != b]
        assert not differ, f"{name}: {len(differ)} rows differ, first {differ[0]}"


def test_countries_imo_numbers_and_dates_are_cleaned_to_codes(lists_store: Path) -> None:
    """What the plain path must reproduce: FtM turns list spellings into codes and formats."""
    with cargotrace.open_store(lists_store, read_only=True) as store:
        rows = store.con.execute(
            """SELECT entity->>'$.properties.flag[0]', entity->>'$.properties.imoNumber[0]'
               FROM sanctions_entities WHERE id = 'ofac-37059'""").fetchall()
        nationalities = dict(store.con.execute(
            """SELECT n, count(*) FROM (SELECT unnest(CAST(entity->'$.properties.nationality'
               AS VARCHAR[])) AS n FROM sanctions_entities WHERE list = 'un') GROUP BY n"""
        ).fetchall())
    assert rows == [("ru", "IMO9179842")]
    assert nationalities["kp"] > 50 and all(len(code) == 2 for code in nationalities)
