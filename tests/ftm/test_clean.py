"""The plain FtM path (no followthemoney) against followthemoney itself, value by value."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from followthemoney import model, registry
from rigour._core import territories_jsonl
from rigour.data import iter_jsonl_text
from rigour.ids import IMO

from cargotrace.ftm import Entity, make_entity
from cargotrace.ftm.clean import clean_value
from cargotrace.screen.imo import company_imo_ok

ROOT = Path(__file__).resolve().parents[2]


def _territory_names() -> list[str]:
    names: list[str] = []
    for doc in iter_jsonl_text(territories_jsonl()):
        names += [doc.get("name", ""), doc.get("full_name", ""), *doc.get("names_strong", []),
                  *doc.get("names_weak", [])]
    return [n for n in names if n]


def test_snapshot_is_the_installed_model() -> None:
    spec = importlib.util.spec_from_file_location("snap", ROOT / "tools/ftm_model_snapshot.py")
    assert spec is not None and spec.loader is not None
    snap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(snap)
    for name, doc in (("model.json", snap.model_snapshot()),
                      ("territories.json", snap.territory_snapshot())):
        packaged = (ROOT / "cargotrace/data/ftm" / name).read_text(encoding="utf-8")
        assert packaged == snap._text(doc), f"{name}: run python tools/ftm_model_snapshot.py"


def test_country_names_resolve_as_followthemoney_resolves_them() -> None:
    names = _territory_names()
    differ = [(n, registry.country.clean_text(n), clean_value("country", None, n))
              for n in names if registry.country.clean_text(n) != clean_value("country", None, n)]
    assert len(names) > 20_000
    assert [d for d in differ if d[0].isascii()] == []  # every ASCII spelling agrees
    assert [d for d in differ if d[2] is not None] == []  # never another country
    assert len(differ) <= 5_025  # other scripts are not transliterated without ICU


def test_dates_names_identifiers_urls_as_followthemoney() -> None:
    cases: dict[tuple[str, str], list[str]] = {
        ("Sanction", "listingDate"): ["2022-05-08", "2022-05-08T10:00:00", "2022-05", "1986",
                                      "08/05/2022", "not a date", "2022-13-45"],
        ("Vessel", "name"): ['"SPARTA IV"', "  M/V\u200b ANGARA\u2003 ", "'X'", "\u00adA\tB"],
        ("Vessel", "imoNumber"): ["9179842", "IMO 9179842", "IMO9179843", "5342883", "917984",
                                  "0000000", "IMO: 8712345 / 9179842"],
        ("Vessel", "sourceUrl"): ["https://ofac.treasury.gov/x", "www.un.org/sc", "mailto:a",
                                  "HTTP://Example.org/P", "not a url"],
        ("Vessel", "topics"): ["sanction", "SANCTION", "no.such.topic"],
        ("Ownership", "owner"): ["ofac-37065", "bad id!", "os.m-leasing"],
        ("Vessel", "notes"): ["a\x00b\r\nc", "\ufeffnote"],
    }
    for (schema_name, prop), values in cases.items():
        ftm_prop = model.get(schema_name).properties[prop]
        for value in values:
            proxy = model.make_entity(schema_name)
            proxy.add(prop, value)
            ours = Entity(schema_name)
            ours.add(prop, value)
            assert ours.get(prop) == proxy.get(prop), (prop, value, ftm_prop.type.name)
            assert clean_value(ftm_prop.type.name, ftm_prop.format, value) == (
                proxy.get(prop) or [None])[0], (prop, value)


def test_ids_and_company_imo_numbers_as_followthemoney_and_rigour() -> None:
    for parts in (("cargotrace", "ais-vessel", "273382620"), (" a ", "b"), ("x", None)):
        proxy = model.make_entity("Vessel")
        proxy.make_id(*parts)
        assert make_entity("Vessel", *[p for p in parts if p is not None]).id == proxy.id
    numbers = [f"{n:07d}" for n in range(5_300_000, 5_310_000)]
    assert [n for n in numbers if company_imo_ok(n)] == [
        n for n in numbers if IMO.is_valid_company(n)]


def test_cli_starts_without_importing_followthemoney(
    run_without_followthemoney: Callable[..., Any],
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, cargotrace.cli, cargotrace.screen.lists, "
         "cargotrace.publish.export; print(sorted(m for m in sys.modules if m.split('.')[0] in "
         "('followthemoney', 'normality', 'rigour', 'icu')))"],
        capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"
    help_text = run_without_followthemoney(
        "import sys; from cargotrace.cli import main; sys.argv = ['cargotrace', '--help']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n")
    assert "sanctions" in help_text.stdout
