"""The local executor: streams articles through a pipeline, in worker processes for batches.

It knows nothing about what a step does. Memory stays constant in the number of articles: at
most ``jobs * 2`` batches are in flight, and results come back in input order.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from marsad.document import Article
from marsad.errors import Failure
from marsad.pipeline.base import Pipeline

Item = Article | Failure

_worker_pipeline: Pipeline | None = None


def _init_worker(step_names: list[str]) -> None:
    # Each worker builds the pipeline once, so models load once per process, not per batch.
    global _worker_pipeline
    from marsad.pipeline.runner import build_pipeline

    _worker_pipeline = build_pipeline(step_names)


def _run_batch(batch: list[Item]) -> list[Item]:
    assert _worker_pipeline is not None  # set by _init_worker; an internal invariant, not input
    return [_strip_views(item) for item in _worker_pipeline.run(batch)]


def _strip_views(item: Item) -> Item:
    # Views (normalised text, tokens) are derived data: recomputing beats pickling them back.
    if isinstance(item, Article):
        item.views.clear()
    return item


class LocalExecutor:
    """Run a pipeline over a stream of articles in this process or in ``jobs`` worker processes."""

    def __init__(self, *, jobs: int = 1, batch_size: int = 32) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {jobs}")
        self.jobs = jobs
        self.batch_size = batch_size

    def run(self, pipeline: Pipeline, items: Iterable[Item]) -> Iterator[Item]:
        """Yield each processed article (or the failure in its place) in input order."""
        if self.jobs == 1:
            for item in pipeline.run(items):
                yield _strip_views(item)
            return
        yield from self._run_parallel(pipeline, items)

    def _run_parallel(self, pipeline: Pipeline, items: Iterable[Item]) -> Iterator[Item]:
        batches = _batched(items, self.batch_size)
        window = self.jobs * 2
        with ProcessPoolExecutor(
            max_workers=self.jobs, initializer=_init_worker, initargs=(pipeline.names,)
        ) as pool:
            pending: deque[Future[list[Item]]] = deque()
            for batch in batches:
                pending.append(pool.submit(_run_batch, batch))
                if len(pending) >= window:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()


def _batched(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
