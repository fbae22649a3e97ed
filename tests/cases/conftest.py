"""Fixtures for cases: the packaged reference case, its YAML, and a writer for variants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cargotrace.cases.load import case_path

REFERENCE = case_path("najin-tikhoretsk-2023")


@pytest.fixture(scope="session")
def reference_doc() -> dict[str, Any]:
    doc = yaml.safe_load(REFERENCE.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture
def write_case(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a case document (e.g. an edited copy of the reference case) to a YAML file."""

    def write(doc: dict[str, Any], name: str = "case.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        return path

    return write
