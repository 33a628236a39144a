"""The Python API: analyse one text, or a stream of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from marsad.document import Article, Meta
from marsad.errors import MarsadError


def _article(item: str | Article, meta: dict[str, Any] | None = None) -> Article:
    article = item if isinstance(item, Article) else Article(text=item, meta=Meta(**(meta or {})))
    if not article.text.strip():
        raise MarsadError("E102", "the text is empty", input=article.meta.url or article.id)
    return article


def analyze(text: str, **meta: Any) -> Article:
    """Analyse one article's text with the default pipeline; ``meta`` fills ``Article.meta``.

    Raises ``MarsadError`` (E102) for an empty text.
    """
    from marsad.pipeline.runner import default_pipeline

    return default_pipeline()(_article(text, meta))


def analyze_many(items: Iterable[str | Article], *, jobs: int = 1) -> Iterator[Article]:
    """Analyse a stream of texts or articles lazily, in order; memory stays constant.

    Raises the coded ``MarsadError`` of the first item that cannot be analysed.
    """
    from marsad.executor.local import LocalExecutor
    from marsad.pipeline.runner import default_pipeline

    articles = (_article(item) for item in items)
    for result in LocalExecutor(jobs=jobs).run(default_pipeline(), articles):
        if isinstance(result, Article):
            yield result
        else:
            raise result.error
