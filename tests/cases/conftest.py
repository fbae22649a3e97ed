"""Fixtures for cases: the packaged reference case, its YAML, a writer for variants, and one
route planner over the curated places shared by the whole run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cargotrace.cases.legs import Planner
from cargotrace.cases.load import case_path
from cargotrace.routes.place_book import PlaceBook

REFERENCE = case_path("najin-tikhoretsk-2023")


@pytest.fixture(scope="session")
def reference_doc() -> dict[str, Any]:
    doc = yaml.safe_load(REFERENCE.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="session")
def curated_planner() -> Planner:
    """One planner over the curated places for every module that builds cases without a store:
    its route network is loaded once and each distinct route planned once per run (a planner
    per module loaded and planned them again in each). Plans are pure functions of the places,
    the request and the parameters, so sharing the cache changes no result; a test that counts
    the planner's calls makes its own (test_legs.py)."""
    return Planner(PlaceBook.curated())


@pytest.fixture
def write_case(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a case document (e.g. an edited copy of the reference case) to a YAML file."""

    def write(doc: dict[str, Any], name: str = "case.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        return path

    return write
