"""Screening fixtures: the real OFAC and UN lists loaded once per run (AIS builders and the
lists' file names are in factories.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

import cargotrace
from cargotrace.screen.lists import load_list
from cargotrace.screen.match import ListVessel
from cargotrace.screen.screen import list_vessels

from .factories import OFAC, UN


@pytest.fixture(scope="session")
def lists_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A store holding the real OFAC (as of 2024-05-03) and UN lists; copy it before writing."""
    path = tmp_path_factory.mktemp("lists") / "lists.duckdb"
    with cargotrace.open_store(path) as store:
        load_list(store, shared_data / OFAC, "ofac", as_of=datetime(2024, 5, 3).date())
        load_list(store, shared_data / UN, "un")
    return path


@pytest.fixture(scope="session")
def ofac_vessels(lists_store: Path) -> list[ListVessel]:
    with cargotrace.open_store(lists_store, read_only=True) as store:
        return list_vessels(store)


@pytest.fixture
def screen_store(lists_store: Path, tmp_path: Path) -> Iterator[cargotrace.Store]:
    """A writable copy of the lists store."""
    path = tmp_path / "screen.duckdb"
    shutil.copy(lists_store, path)
    with cargotrace.open_store(path) as store:
        yield store
