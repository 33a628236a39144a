"""The two step families: readers turn inputs into articles, steps add layers to articles.

Each family asks for one method. A pipeline is checked before it runs: every layer a step
requires must be provided by an earlier step (``text`` and ``meta`` come from the reader).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO, ClassVar

from marsad.document import Article
from marsad.errors import Failure, MarsadError

# What every article has before any step runs.
READER_PROVIDES = ("text", "meta")


class Reader:
    """Turns one input (a file's bytes, with a name for messages) into articles.

    ``read`` yields an ``Article`` for each article found and a ``Failure`` for each part
    that could not be read, and goes on with the rest.
    """

    name: ClassVar[str] = ""
    # File name endings this reader claims, lower case, e.g. (".txt",).
    suffixes: ClassVar[tuple[str, ...]] = ()

    def read(self, stream: BinaryIO, *, source: str) -> Iterator[Article | Failure]:
        raise NotImplementedError


class Step:
    """Adds layers to an article. Declares what it ``requires`` and ``provides``."""

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def __call__(self, article: Article) -> Article:
        raise NotImplementedError


class Pipeline:
    """An ordered list of steps, validated when built."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)
        check_requirements(self.steps)

    @property
    def names(self) -> list[str]:
        return [step.name for step in self.steps]

    def __call__(self, article: Article) -> Article:
        for step in self.steps:
            try:
                article = step(article)
            except MarsadError:
                raise
            except Exception as err:  # a step's bug must name the step and the article, not kill the run
                raise MarsadError(
                    "E203", f"step {step.name!r} failed on article {article.id}: {err!r}"
                ) from err
            article.steps.append(step.name)
        return article

    def run(self, articles: Iterable[Article | Failure]) -> Iterator[Article | Failure]:
        """Run every step over a stream, passing failures through unchanged."""
        for item in articles:
            if isinstance(item, Failure):
                yield item
                continue
            try:
                yield self(item)
            except MarsadError as err:
                err.input = err.input or item.meta.url or item.id
                yield Failure(err)


def check_requirements(steps: Sequence[Step]) -> None:
    """Raise E202 if a step requires a layer that no earlier step provides."""
    available = set(READER_PROVIDES)
    problems = []
    for step in steps:
        missing = [layer for layer in step.requires if layer not in available]
        if missing:
            problems.append(
                f"step {step.name!r} requires {', '.join(missing)}; "
                f"available before it: {', '.join(sorted(available))}"
            )
        available.update(step.provides)
    if problems:
        raise MarsadError("E202", "invalid pipeline: " + "; ".join(problems))
