"""The campaign file (issue 15): the packaged example validates, and malformed files get the
same path-precise errors as case files, from the library and from `cargotrace campaign check`
/ `build` (one line, exit 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cargotrace.cases.campaign import check_campaign, read_campaign
from cargotrace.cases.campaign.load import campaign_path
from cargotrace.cli.app import app
from cargotrace.errors import UnreadableInputError

EXAMPLE = campaign_path("dprk-russia-2023-2025")


def test_packaged_example_is_valid_and_cites_every_source() -> None:
    report = check_campaign("dprk-russia-2023-2025")
    assert report.ok and report.problems == []
    campaign = read_campaign(EXAMPLE)
    assert {v.imo for v in campaign.vessels if v.id in ("angara", "lady-r", "maia-1")} == {
        9179842, 9161003, 9358010}
    assert [c.quantity for c in campaign.claims] == [1000, 10000, 6700, 13000, 20000]
    for item in [*campaign.claims, *campaign.evidence]:
        assert item.source.url and item.source.url.startswith("http"), item.id
    # a source known through another outlet says so
    assert all("as reported" in c.source.title or "Yonhap" in c.source.title
               for c in campaign.claims)


def _edit(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set doc[path] (dotted, [i] for lists); value None with a trailing key deletes it."""
    parts: list[Any] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        parts.append(int(part) if part.isdigit() else part)
    node = doc
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return doc


MALFORMED = [
    pytest.param("claims[1].grading", "B9", "claims[1].grading: unknown grading 'B9'",
                 id="bad_grading"),
    pytest.param("vessels[1].capacty", {"low": 1}, "vessels[1].capacty: unknown field",
                 id="unknown_field"),
    pytest.param("trips[0].vessels[0]", "angra",
                 "trips[0].vessels[0]: no vessel 'angra' in the file", id="unknown_vessel"),
    pytest.param("trips[2].period", ["2024-02-08", "2023-10-06"],
                 "trips[2].period: window ends (2023-10-06) before it starts (2024-02-08)",
                 id="reversed_period"),
    pytest.param("vessels[0].capacity.low", 500,
                 "vessels[0].capacity: need low <= mode <= high, got 500.0, 300.0, 400.0",
                 id="unordered_capacity"),
    pytest.param("claims[4].qualifier", "roughly", "claims[4].qualifier: Input should be",
                 id="unknown_qualifier"),
    pytest.param("corridors[0].mode", "canal", "corridors[0].mode: String should match",
                 id="unknown_mode"),
    pytest.param("trips[1].includes[0]", "nothing",
                 "trips[1].includes[0]: no trips entry 'nothing'", id="unknown_include"),
]


@pytest.mark.parametrize(("where", "value", "message"), MALFORMED)
def test_malformed_files_name_the_yaml_path(
        example_doc: dict[str, Any], write_campaign: Callable[..., Path], where: str,
        value: Any, message: str) -> None:
    path = write_campaign(_edit(example_doc, where, value))
    report = check_campaign(path)
    assert not report.ok
    assert any(f"{p.where}: {p.message}".startswith(message) for p in report.errors), \
        report.to_dict()
    with pytest.raises(UnreadableInputError) as exc:
        read_campaign(path)
    assert str(exc.value).startswith(f"{path}: {message}")
    result = CliRunner().invoke(app, ["campaign", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: {message.split(': ', 1)[0]}: error: " in result.stdout


def test_unknown_and_ambiguous_places_are_errors(example_doc: dict[str, Any],
                                                 write_campaign: Callable[..., Path]) -> None:
    """Corridor ends and evidence places resolve as in case files, never guessed; the file
    still reads (a build does not need them without a store)."""
    example_doc["corridors"][1]["to"] = "Vostochnyy Bay"
    example_doc["evidence"][0]["place"] = "Port"
    path = write_campaign(example_doc)
    report = check_campaign(path)
    assert [p.where for p in report.errors] == ["corridors[1].to", "evidence[0].place"]
    assert report.errors[0].message.startswith("no place named 'Vostochnyy Bay'")
    assert "is ambiguous" in report.errors[1].message
    assert read_campaign(path).corridors[1].destination == "Vostochnyy Bay"


def test_several_problems_are_all_listed(example_doc: dict[str, Any],
                                         write_campaign: Callable[..., Path]) -> None:
    del example_doc["title"]
    example_doc["claims"][0]["grading"] = "Z1"
    path = write_campaign(example_doc)
    wheres = [p.where for p in check_campaign(path).errors]
    assert wheres == ["title", "claims[0].grading"]
    with pytest.raises(UnreadableInputError, match=r"title: missing \(required\) \(and 1 more "
                       r"problem\(s\); `cargotrace campaign check` lists them\)"):
        read_campaign(path)


def test_dates_out_of_order_are_errors(example_doc: dict[str, Any],
                                       write_campaign: Callable[..., Path]) -> None:
    example_doc["claims"][0]["source"]["date"] = "2023-10-01"
    report = check_campaign(write_campaign(example_doc))
    assert [(p.where, p.level) for p in report.problems] == [("claims[0].source.date", "error")]
    assert "earlier than the date it counts to (2023-10-13)" in report.problems[0].message


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("campaign: [unclosed", "not valid YAML at line 1", id="not_yaml"),
    pytest.param("- a list", "a campaign file is a YAML mapping", id="not_a_mapping"),
    pytest.param("campaign: x\nstart: 2023-13-01\n", r"a date that does not exist \(month",
                 id="impossible_date"),
])
def test_unusable_files_raise_one_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(UnreadableInputError, match=message):
        read_campaign(path)
    with pytest.raises(UnreadableInputError, match="no such file"):
        read_campaign(tmp_path / "missing.yaml")


def test_cli_build_error_is_one_line(example_doc: dict[str, Any],
                                     write_campaign: Callable[..., Path]) -> None:
    """`campaign build` on a malformed file: `Error: <file>: <path>: <message>`, exit 1."""
    bad = write_campaign(_edit(example_doc, "claims[1].grading", "B9"))
    env = {**os.environ, "CARGOTRACE_STORE": str(bad.parent / "none.duckdb")}
    built = subprocess.run([sys.executable, "-m", "cargotrace", "campaign", "build", str(bad)],
                           capture_output=True, text=True, env=env, check=False)
    assert built.returncode == 1
    assert built.stderr == (f"Error: {bad}: claims[1].grading: unknown grading 'B9': use an "
                            "Admiralty code, source reliability A-F then information "
                            "credibility 1-6 (e.g. B2)\n")
