"""Fixtures for the server tests: one ingested example corpus per session and a client over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from marsad.corpus.store import ingest
from marsad.server.app import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "articles.jsonl"


@pytest.fixture(scope="session")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of a SQLite corpus holding ``examples/articles.jsonl`` (analysed once per session)."""
    path = tmp_path_factory.mktemp("corpus") / "examples.db"
    summary = ingest([EXAMPLES], db=path)
    if summary.failed or not summary.new:
        first = summary.failures[0] if summary.failures else None
        raise RuntimeError(
            f"the example corpus did not ingest cleanly: {summary.new} new, {summary.failed} failed; first: {first}"
        )
    return path


@pytest.fixture()
def client(corpus_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A test client of the whole server (API and pages) over the example corpus, without a token."""
    monkeypatch.delenv("MARSAD_API_TOKEN", raising=False)
    with TestClient(create_app(db=corpus_db)) as test_client:
        yield test_client
