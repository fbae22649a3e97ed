"""FollowTheMoney exports: valid entities, every reference resolving, facts from the list."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model

import cargotrace
from cargotrace.errors import NotFoundError
from cargotrace.publish.export import ExportFormat, export_vessel

from .factories import ANGARA_IMO


def _read(path: Path) -> dict[str | None, Any]:
    proxies = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        proxy = model.get_proxy(data)  # cleaned: raises on an unknown schema or property
        assert proxy.to_dict()["properties"] == {k: v for k, v in data["properties"].items()
                                                 if v}, f"{proxy.id} changed when cleaned"
        proxies[proxy.id] = proxy
    return proxies


def test_angara_vessel_owners_and_sanctions(store: cargotrace.Store, tmp_path: Path) -> None:
    out = tmp_path / "angara.ftm.json"
    result = export_vessel(store, ANGARA_IMO, ExportFormat.FTM, out)
    proxies = _read(out)
    assert result.records == len(proxies)
    for proxy in proxies.values():
        for prop, value in proxy.itervalues():
            if prop.type.name == "entity":
                assert value in proxies, f"{proxy.id}.{prop.name} -> {value} does not resolve"
    listed = store.con.execute(
        "SELECT id FROM sanctions_entities WHERE imo = ?", [int(ANGARA_IMO)]).fetchall()
    (list_id,) = [r[0] for r in listed]
    assert f"IMO{ANGARA_IMO}" in proxies[list_id].get("imoNumber")
    ais = [p for p in proxies.values() if p.schema.name == "Vessel" and p.id != list_id]
    mmsis = {str(r[0]) for r in store.con.execute(
        "SELECT DISTINCT mmsi FROM vessel_reports WHERE imo = ?", [int(ANGARA_IMO)]).fetchall()}
    assert {m for p in ais for m in p.get("mmsi")} == mmsis
    links = [p for p in proxies.values() if p.schema.name == "UnknownLink"]
    assert {(p.first("subject"), p.first("object")) for p in links} == {
        (p.id, list_id) for p in ais}
    owners = store.con.execute("SELECT owner_id FROM sanctions_links WHERE vessel_id = ?",
                               [list_id]).fetchall()
    ownerships = [p for p in proxies.values() if p.schema.name == "Ownership"]
    assert {p.first("owner") for p in ownerships} == {r[0] for r in owners}
    sanctioned = {p.first("entity") for p in proxies.values() if p.schema.name == "Sanction"}
    assert list_id in sanctioned
    assert all(proxies[e].get("program") for e in sanctioned)


def test_unknown_vessel_is_a_one_line_error(store: cargotrace.Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="^vessel 'NO SUCH SHIP 123': not in the store and "
                                            "on no loaded list"):
        export_vessel(store, "NO SUCH SHIP 123", ExportFormat.FTM, tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


_PLAIN_EXPORT = """
import sys
from pathlib import Path
import cargotrace
from cargotrace.ftm import cleaner
from cargotrace.publish.export import ExportFormat, export_vessel
with cargotrace.open_store(Path(sys.argv[1]), read_only=True) as store:
    export_vessel(store, sys.argv[2], ExportFormat.FTM, Path(sys.argv[3]))
assert cleaner()[0] == "plain" and "followthemoney" not in sys.modules
"""


def test_export_is_the_same_without_followthemoney(
    store: cargotrace.Store, sim_store: Path, tmp_path: Path,
    run_without_followthemoney: Callable[..., Any],
) -> None:
    with_ftm = tmp_path / "ftm.json"
    export_vessel(store, ANGARA_IMO, ExportFormat.FTM, with_ftm)
    copy = tmp_path / "copy.duckdb"
    shutil.copy(sim_store, copy)  # the session store stays open read-only in this process
    plain = tmp_path / "plain.json"
    run_without_followthemoney(_PLAIN_EXPORT, str(copy), ANGARA_IMO, str(plain))
    lines = with_ftm.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 5 and {json.loads(x)["schema"] for x in lines} >= {
        "Vessel", "UnknownLink", "Sanction", "Ownership"}
    assert plain.read_bytes() == with_ftm.read_bytes()
