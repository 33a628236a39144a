"""The local executor: same output in one process or several, in order, with failures in place."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

from marsad.document import Article
from marsad.errors import Failure, MarsadError
from marsad.executor.local import LocalExecutor
from marsad.pipeline.runner import build_pipeline


def _articles(count: int) -> Iterator[Article | Failure]:
    for index in range(count):
        if index % 7 == 3:
            yield Failure(MarsadError("E106", f"line {index + 1} is not JSON", input="x.jsonl"))
        else:
            yield Article(text=f"قال المتحدث في اليوم {index} إن الاجتماع انتهى. وأضاف أن النتائج جيدة.")


def test_parallel_equals_serial_and_keeps_order() -> None:
    pipeline = build_pipeline(["text"])
    serial = list(LocalExecutor(jobs=1).run(pipeline, _articles(60)))
    parallel = list(LocalExecutor(jobs=2, batch_size=8).run(pipeline, _articles(60)))
    assert len(serial) == len(parallel) == 60

    def key(item: Article | Failure) -> object:
        return item.to_json() if isinstance(item, Article) else item.error.to_json()

    assert [key(item) for item in serial] == [key(item) for item in parallel]
    assert isinstance(parallel[3], Failure)


def test_executor_streams_lazily() -> None:
    consumed = 0

    def source() -> Iterator[Article]:
        nonlocal consumed
        for index in range(10_000):
            consumed += 1
            yield Article(text=f"خبر رقم {index}.")

    results = LocalExecutor(jobs=1).run(build_pipeline(["text"]), source())
    next(results)
    assert consumed < 10


def test_memory_stays_flat_in_the_number_of_articles() -> None:
    pipeline = build_pipeline(["text"])

    def peak(count: int) -> int:
        tracemalloc.start()
        for _ in LocalExecutor(jobs=1).run(
            pipeline, (Article(text="نص قصير للتجربة. " * 20) for _ in range(count))
        ):
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(200), peak(2_000)
    assert large < small * 2 + 200_000
