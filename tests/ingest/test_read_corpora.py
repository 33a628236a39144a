"""The real corpora in ../shared/data: their first lines read with every field in place."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from marsad.document import Article
from marsad.ingest import read_inputs

pytestmark = pytest.mark.data


def first_articles(path: Path, count: int) -> list[Article]:
    if not path.exists():
        pytest.skip(f"{path} is absent: corpus test skipped")
    items = list(itertools.islice(read_inputs([str(path)]), count))
    assert all(isinstance(item, Article) for item in items), [
        item for item in items if not isinstance(item, Article)
    ]
    return items  # type: ignore[return-value]


def test_saudinewsnet_first_lines(data_dir: Path) -> None:
    articles = first_articles(data_dir / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz", 50)
    first = articles[0]
    assert first.meta.outlet == "aawsat"
    assert first.meta.published == "2015-07-21T02:51:32"
    assert first.meta.url is not None and first.meta.url.startswith("http://aawsat.com/")
    assert first.meta.title and first.meta.author
    assert first.text.startswith("حدد رئيس الوزراء البريطاني")
    assert all(article.text == article.text.strip() for article in articles)


def test_ant_first_lines(data_dir: Path) -> None:
    articles = first_articles(data_dir / "corpora" / "ant" / "ant_multisource_v2.1.jsonl.gz", 50)
    first = articles[0]
    assert first.meta.outlet == "alarabia"
    assert first.meta.published == "2018-02-18T21:35:43+04:00"  # RFC 2822 "time" field
    assert first.meta.title and first.meta.url
    assert len({article.id for article in articles}) == len(articles)
