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


@pytest.fixture(scope="session")
def anercorp_sample(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 200 sentences of ANERcorp's training split as a CoNLL file, for training small models."""
    source = data_dir / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt"
    if not source.is_file():
        pytest.skip("../shared/data/ner/anercorp is absent: training needs it")
    blocks = source.read_text(encoding="utf-8").split("\n\n")[:200]
    path: Path = tmp_path_factory.mktemp("anercorp") / "small_train.txt"
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path
