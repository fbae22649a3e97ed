"""Fixtures for campaigns: the packaged example's YAML, and a writer for edited variants."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cargotrace.cases.campaign.load import campaign_path

EXAMPLE = campaign_path("dprk-russia-2023-2025")


@pytest.fixture(scope="session")
def example_doc_shared() -> dict[str, Any]:
    doc = yaml.safe_load(EXAMPLE.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture
def example_doc(example_doc_shared: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the packaged example, to edit."""
    return copy.deepcopy(example_doc_shared)


@pytest.fixture
def write_campaign(tmp_path: Path) -> Callable[..., Path]:
    def write(doc: dict[str, Any], name: str = "campaign.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        return path

    return write
