"""Case files: the schema, one-line errors with the YAML path, and `case check` (no store)."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cargotrace.cases import check_case, read_case
from cargotrace.cases.load import case_path
from cargotrace.cases.schema import parse_observed
from cargotrace.errors import UnreadableInputError

REFERENCE = case_path("najin-tikhoretsk-2023")
Writer = Callable[[dict[str, Any]], Path]


def test_reference_case_is_valid_and_consistent() -> None:
    case = read_case(REFERENCE)
    assert case.case == "najin-tikhoretsk-2023"
    assert all(item.source.title and item.source.publisher for item in case.evidence)
    report = check_case(REFERENCE)
    assert report.ok and report.problems == [], report.problems
    assert report.anchors == 3  # Najin, Dunay, Tikhoretsk; RUSI and OFAC are context
    assert case_path("najin-tikhoretsk-2023") == REFERENCE  # the packaged case by name


@pytest.mark.parametrize(("value", "expected"), [
    ("2023-09-12", ("2023-09-12T00:00:00+00:00", "2023-09-13T00:00:00+00:00")),
    (["2023-09-07", "2023-09-08"], ("2023-09-07T00:00:00+00:00", "2023-09-09T00:00:00+00:00")),
    ("2023-09-12T06:30:00Z", ("2023-09-12T06:30:00+00:00", "2023-09-12T06:30:00+00:00")),
    (["2023-09-12T06:00:00", "2023-09-12T09:00:00+03:00"],  # naive is UTC; offsets convert
     ("2023-09-12T06:00:00+00:00", "2023-09-12T06:00:00+00:00")),
])
def test_observed_forms(value: Any, expected: tuple[str, str]) -> None:
    lo, hi = parse_observed(value)
    assert (lo.isoformat(), hi.isoformat()) == expected
    assert lo.tzinfo is UTC or lo.utcoffset() == datetime.now(UTC).utcoffset()


def _edit(doc: dict[str, Any], index: int, **fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for key, value in fields.items():
        if value is None:
            doc["evidence"][index].pop(key, None)
        else:
            doc["evidence"][index][key] = value
    return doc


@pytest.mark.parametrize(("fields", "message"), [
    ({"observed": ["2023-09-08", "2023-09-07"]},
     "evidence[0].observed: window ends (2023-09-08 00:00:00) before it starts"),
    ({"grading": "G7"}, "evidence[0].grading: unknown grading 'G7': use an Admiralty code, "
     "source reliability A-F then information credibility 1-6 (e.g. B2)"),
    ({"source": None}, "evidence[0].source: missing (required)"),
    ({"colour": "red"}, "evidence[0].colour: unknown field (check its spelling; see "
     "docs/concepts/cases.md)"),
    ({"observed": "yesterday"}, "evidence[0].observed: cannot read 'yesterday' as a date"),
    ({"place": {"name": "pier", "lat": 95, "lon": 10}}, "evidence[0].place.lat: Input should "
     "be less than or equal to 90"),
    ({"vessel": {"name": None, "imo": None}}, "evidence[0].vessel: give at least one of name, "
     "imo, mmsi (or vessel: null)"),
])
def test_schema_errors_are_one_line_with_the_yaml_path(
        reference_doc: dict[str, Any], write_case: Writer, fields: dict[str, Any],
        message: str) -> None:
    path = write_case(_edit(reference_doc, 0, **fields))
    with pytest.raises(UnreadableInputError) as info:
        read_case(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: evidence[0].")
    if "before it starts" in message:  # YAML reads the dates: the message shows them as read
        assert "before it starts" in text and "reversed window" in text
    else:
        assert text.startswith(f"{path}: {message}"), text


def test_duplicate_ids_and_many_problems(reference_doc: dict[str, Any],
                                         write_case: Writer) -> None:
    doc = _edit(_edit(reference_doc, 1, grading="Z9"), 3, what=None)
    with pytest.raises(UnreadableInputError) as info:
        read_case(write_case(doc))
    assert str(info.value).endswith(
        "(and 1 more problem(s); `cargotrace case check` lists them)")
    report = check_case(write_case(doc))
    assert [(p.where, p.level) for p in report.problems] == [
        ("evidence[1].grading", "error"), ("evidence[3].what", "error")]
    twice = check_case(write_case(_edit(reference_doc, 1, id="najin-staging")))
    assert [(p.where, p.message) for p in twice.problems] == [
        ("evidence", "evidence id 'najin-staging' is used twice")]


@pytest.mark.parametrize(("text", "message"), [
    ("case: [unclosed", "not valid YAML at line 1"),
    ("- just\n- a list\n", "a case file is a YAML mapping"),
    # YAML reads this as a date, and no calendar has it: one line, not a traceback
    ("case: x\nobserved: 2023-13-01\n", r"a date that does not exist \(month must be"),
])
def test_unusable_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(UnreadableInputError, match=message):
        read_case(path)
    with pytest.raises(UnreadableInputError, match="no such file"):
        read_case(tmp_path / "missing.yaml")


def test_check_reports_inconsistencies(reference_doc: dict[str, Any],
                                       write_case: Writer) -> None:
    doc = copy.deepcopy(reference_doc)
    doc["evidence"][0]["place"] = "Atlantis"  # unknown
    doc["evidence"][1]["place"] = "Bandar"  # Bandar Abbas or Bandar Anzali
    doc["evidence"][2]["source"]["date"] = "2023-09-20"  # before the 1 Oct sighting
    doc["evidence"][1]["observed"] = "2023-10-05"  # now listed before Tikhoretsk but later
    doc["evidence"][4]["vessel"]["imo"] = 9179843  # check digit fails
    report = check_case(write_case(doc))
    found = {(p.where, p.level): p.message for p in report.problems}
    assert "no place named 'Atlantis'" in found[("evidence[0].place", "error")]
    ambiguous = found[("evidence[1].place", "error")]
    assert "'Bandar' is ambiguous: " in ambiguous and "Bandar Anzali (ct:bandar-anzali" in ambiguous
    assert "earlier than what it reports (2023-10-01)" in found[
        ("evidence[2].source.date", "error")]
    assert "IMO 9179843 fails its check digit" in found[("evidence[4].vessel.imo", "warning")]
    assert not report.ok


def test_check_dates_out_of_order_and_overlaps(reference_doc: dict[str, Any],
                                               write_case: Writer) -> None:
    doc = copy.deepcopy(reference_doc)
    doc["evidence"][0], doc["evidence"][1] = doc["evidence"][1], doc["evidence"][0]
    doc["evidence"][2]["observed"] = ["2023-09-12", "2023-09-14"]  # overlaps Dunay 12 Sept
    doc["evidence"][2]["source"]["date"] = "2023-10-13"
    report = check_case(write_case(doc))
    messages = [p.message for p in report.problems if p.level == "warning"]
    assert any("dates out of order" in m and "najin-staging" in m for m in messages), messages
    assert any("two places at once" in m for m in messages), messages
    assert report.ok  # warnings only


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cargotrace", *args], capture_output=True,
                          text=True, check=False)


def test_cli_check_and_build_errors(reference_doc: dict[str, Any], write_case: Writer) -> None:
    ok = _cli("case", "check", "najin-tikhoretsk-2023")
    assert ok.returncode == 0, ok.stderr
    assert "5 evidence item(s), 3 anchor(s); OK" in ok.stderr
    bad = write_case(_edit(reference_doc, 2, grading="B9"))
    checked = _cli("case", "check", str(bad))
    assert checked.returncode == 1
    assert f"{bad}: evidence[2].grading: error: unknown grading 'B9'" in checked.stdout
    built = _cli("case", "build", str(bad))
    assert built.returncode == 1
    assert built.stderr == (f"Error: {bad}: evidence[2].grading: unknown grading 'B9': use an "
                            "Admiralty code, source reliability A-F then information "
                            "credibility 1-6 (e.g. B2)\n")
