"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from marsad.paths import shared_data

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared datasets; tests that need them skip, saying why, where the folder is absent."""
    path = shared_data()
    if path is None:
        pytest.skip("../shared/data is absent: data-dependent test skipped (CI has the folder)")
    return path


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES
