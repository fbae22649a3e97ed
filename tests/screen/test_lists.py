"""Loading lists: provenance, replacement with history, idempotent reloads, unusable files."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model

import cargotrace
from cargotrace.errors import UnreadableInputError
from cargotrace.screen.lists import list_changes, load_list

from .factories import OFAC, UN


def _rows(store: cargotrace.Store, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return store.con.execute(sql, list(params)).fetchall()


def test_ofac_vessel_keeps_list_program_source_row_and_owner(lists_store: Path) -> None:
    with cargotrace.open_store(lists_store, read_only=True) as store:
        [row] = _rows(store, """SELECT schema, names, imo, flag, programs, listed_on, source,
                                       source_row, vessel_type FROM sanctions_entities
                                WHERE list = 'ofac' AND id = 'ofac-37059'""")
        assert row == ("Vessel", ["ANGARA"], 9179842, "RU", ["RUSSIA-EO14024"], None,
                       "ofac_sdn_2024-05-03.csv", 10122, "Roll-on Roll-off")
        [link] = _rows(store, "SELECT owner_id, owner_name, relation FROM sanctions_links "
                              "WHERE vessel_id = 'ofac-37059'")
        assert link == ("ofac-37065", "M LEASING LLC", "linked_to")
        [(owner_schema,)] = _rows(store, "SELECT schema FROM sanctions_entities "
                                         "WHERE id = 'ofac-37065'")
        assert owner_schema == "Organization"
        counts = dict(_rows(store, "SELECT schema, count(*) FROM sanctions_entities "
                                   "WHERE list = 'ofac' GROUP BY ALL"))
        assert counts["Vessel"] == 851
        [(as_of,)] = _rows(store, "SELECT as_of FROM sanctions_loads WHERE list = 'ofac'")
        assert as_of == date(2024, 5, 3)


def test_un_entities_keep_listing_date_and_company_imo(lists_store: Path) -> None:
    with cargotrace.open_store(lists_store, read_only=True) as store:
        counts = dict(_rows(store, "SELECT schema, count(*) FROM sanctions_entities "
                                   "WHERE list = 'un' GROUP BY ALL"))
        assert counts == {"Person": 703, "Organization": 390}
        [row] = _rows(store, """SELECT names[1], programs, listed_on,
                                       entity->>'$.properties.imoNumber[0]'
                                FROM sanctions_entities WHERE id = 'un-6908516'""")
        assert row == ("CHONGCHONGANG SHIPPING COMPANY", ["DPRK"], date(2016, 3, 2),
                       "IMO5342883")


def test_each_load_records_the_hash_and_size_of_the_file_read(lists_store: Path,
                                                               shared_data: Path) -> None:
    """Provenance: the SHA-256 and size recorded for each list are those of the real file's
    bytes (checked with hashlib here, not with the code under test)."""
    with cargotrace.open_store(lists_store, read_only=True) as store:
        loads = {name: (sha, size) for name, sha, size in _rows(
            store, "SELECT list, sha256, size_bytes FROM sanctions_loads")}
    for name, file in (("ofac", OFAC), ("un", UN)):
        data = (shared_data / file).read_bytes()
        assert loads[name] == (hashlib.sha256(data).hexdigest(), len(data))


def test_reloading_the_same_file_is_idempotent(screen_store: cargotrace.Store,
                                               shared_data: Path) -> None:
    before = _rows(screen_store, "SELECT count(*) FROM sanctions_entities")
    summary = load_list(screen_store, shared_data / OFAC, "ofac")
    assert summary.unchanged and summary.load_id is None
    assert _rows(screen_store, "SELECT count(*) FROM sanctions_entities") == before
    assert _rows(screen_store, "SELECT count(*) FROM sanctions_changes") == [(0,)]
    assert _rows(screen_store, "SELECT count(*) FROM sanctions_loads") == [(2,)]


def test_a_changed_list_reports_additions_and_removals(
    screen_store: cargotrace.Store, shared_data: Path, tmp_path: Path
) -> None:
    lines = (shared_data / OFAC).read_text(encoding="utf-8").splitlines(keepends=True)
    angara = next(i for i, line in enumerate(lines) if line.startswith("37059,"))
    new_ship = ('99999,"NEW HORIZON","vessel","DPRK4",-0- ,-0- ,"General Cargo",-0- ,-0- ,'
                '"Togo",-0- ,"Vessel Registration Identification IMO 9387425; '
                'Linked To: M LEASING LLC."\r\n')
    changed = lines[:angara] + lines[angara + 1:-1] + [new_ship, lines[-1]]
    path = tmp_path / "sdn_2024-06-01.csv"
    path.write_text("".join(changed), encoding="utf-8")
    summary = load_list(screen_store, path, "ofac", as_of=date(2024, 6, 1))
    assert (summary.added, summary.removed, summary.changed) == (1, 1, 0)
    changes = {(c.change, c.id, c.name, c.imo) for c in list_changes(screen_store, "ofac")}
    assert changes == {("added", "ofac-99999", "NEW HORIZON", 9387425),
                       ("removed", "ofac-37059", "ANGARA", 9179842)}
    removed = _rows(screen_store, "SELECT entity FROM sanctions_changes WHERE change = "
                                  "'removed'")
    assert json.loads(str(removed[0][0]))["properties"]["imoNumber"] == ["IMO9179842"]
    assert _rows(screen_store, "SELECT count(*) FROM sanctions_entities "
                               "WHERE id = 'ofac-37059'") == [(0,)]
    again = load_list(screen_store, path, "ofac", as_of=date(2024, 6, 1))
    assert again.unchanged
    assert len(list_changes(screen_store, "ofac", all_loads=True)) == 2


def test_bad_rows_are_counted_not_fatal(tmp_store: cargotrace.Store, shared_data: Path,
                                        tmp_path: Path) -> None:
    lines = (shared_data / OFAC).read_text(encoding="utf-8").splitlines(keepends=True)[:50]
    path = tmp_path / "sdn_damaged.csv"
    path.write_text("".join(lines[:10]) + '123,"CUT SHORT"\r\n' + "".join(lines[10:]),
                    encoding="utf-8")
    summary = load_list(tmp_store, path, "ofac")
    assert summary.rows_read == 51 and len(summary.skipped) == 1
    assert summary.skipped[0].row == 11 and summary.skipped[0].reason == "wrong_column_count"


@pytest.mark.parametrize(("content", "fmt", "message"), [
    ("MMSI,LAT,LON\n1,2,3\n", "ofac", "not an OFAC SDN legacy CSV"),
    ("<html><body>nope</body></html>", "un", "not a UN consolidated list"),
    ("<CONSOLIDATED_LIST><INDIV", "un", "not well-formed XML"),
    ("not json\n", "ftm", "no FollowTheMoney entity"),
])
def test_unusable_file_is_one_clear_error(tmp_store: cargotrace.Store, tmp_path: Path,
                                          content: str, fmt: str, message: str) -> None:
    path = tmp_path / "list.txt"
    path.write_text(content)
    with pytest.raises(UnreadableInputError, match=message) as info:
        load_list(tmp_store, path, fmt)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_ftm_json_lines_with_sanction_and_ownership(tmp_store: cargotrace.Store,
                                                    tmp_path: Path) -> None:
    vessel = model.make_entity("Vessel")
    vessel.id = "os-vessel-angara"
    vessel.add("name", "ANGARA")
    vessel.add("imoNumber", "IMO9179842")
    vessel.add("mmsi", "273999999")
    vessel.add("flag", "ru")
    owner = model.make_entity("Company")
    owner.id = "os-m-leasing"
    owner.add("name", "M LEASING LLC")
    own = model.make_entity("Ownership")
    own.id = "os-own-1"
    own.add("owner", owner.id)
    own.add("asset", vessel.id)
    sanction = model.make_entity("Sanction")
    sanction.id = "os-sanction-1"
    sanction.add("entity", vessel.id)
    sanction.add("program", "RUSSIA-EO14024")
    sanction.add("listingDate", "2022-05-08")
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(json.dumps(e.to_dict()) for e in (vessel, owner, own, sanction))
                    + "\n{broken\n")
    summary = load_list(tmp_store, path)  # format read from the content
    assert (summary.format, summary.entities, len(summary.skipped)) == ("ftm", 4, 1)
    [row] = _rows(tmp_store, """SELECT imo, mmsi, flag, programs, listed_on FROM
                                sanctions_entities WHERE id = 'os-vessel-angara'""")
    assert row == (9179842, 273999999, "RU", ["RUSSIA-EO14024"], date(2022, 5, 8))
    assert _rows(tmp_store, "SELECT owner_id, owner_name, relation FROM sanctions_links") == [
        ("os-m-leasing", "M LEASING LLC", "owner")]


def test_un_list_load_reads_its_own_date(tmp_store: cargotrace.Store, shared_data: Path) -> None:
    summary = load_list(tmp_store, shared_data / UN)
    assert (summary.format, summary.as_of, summary.vessels) == ("un", date(2018, 10, 29), 0)
