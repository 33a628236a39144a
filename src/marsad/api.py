"""The Python API: analyse one text, or a stream of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from marsad.document import Article, Meta


def analyze(text: str, **meta: Any) -> Article:
    """Analyse one article's text with the default pipeline; ``meta`` fills ``Article.meta``."""
    from marsad.pipeline.runner import default_pipeline

    return default_pipeline()(Article(text=text, meta=Meta(**meta)))


def analyze_many(items: Iterable[str | Article], *, jobs: int = 1) -> Iterator[Article]:
    """Analyse a stream of texts or articles lazily, in order; memory stays constant."""
    from marsad.executor.local import LocalExecutor
    from marsad.pipeline.runner import default_pipeline

    articles = (item if isinstance(item, Article) else Article(text=item) for item in items)
    for result in LocalExecutor(jobs=jobs).run(default_pipeline(), articles):
        if isinstance(result, Article):
            yield result
        else:
            raise result.error
