"""Fixtures for the reader tests: the fixture folder and a way to split what a reader yields."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from marsad.document import Article
from marsad.errors import Failure

Splitter = Callable[[Iterable[Article | Failure]], tuple[list[Article], list[Failure]]]


@pytest.fixture(scope="session")
def ingest_data() -> Path:
    return Path(__file__).resolve().parent / "data"


def _split(items: Iterable[Article | Failure]) -> tuple[list[Article], list[Failure]]:
    articles: list[Article] = []
    failures: list[Failure] = []
    for item in items:
        if isinstance(item, Failure):
            failures.append(item)
        else:
            articles.append(item)
    return articles, failures


@pytest.fixture(scope="session")
def split() -> Splitter:
    """Return a function giving the articles and the failures of a stream, each in order."""
    return _split
