"""Distributed near-duplicates equal the single-machine result of marsad.corpus.dedup."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="distributed near-duplicates need the 'cluster' extra")

from distributed import Client, LocalCluster

from marsad.corpus.dedup_distributed import near_duplicates, near_duplicates_single

# The helper ships the texts inside the task graph; dask warns about that for large inputs.
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


def _copy_of(text: str, rng: random.Random) -> str:
    """A synthetic copy as outlets make them: cut at the end, a word changed here and there."""
    words = text.split() or ["خبر"]
    if len(words) > 40:
        words = words[: rng.randrange(len(words) * 3 // 4, len(words) + 1)]
    for _ in range(rng.randrange(0, 4)):
        words[rng.randrange(len(words))] = "وقال"
    return " ".join(words)


@pytest.fixture(scope="module")
def corpus(data_dir: Path) -> list[str]:
    path = data_dir / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent: the distributed near-duplicate test needs SaudiNewsNet")
    texts: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            texts.append(json.loads(line)["content"])
            if len(texts) == 3000:
                break
    rng = random.Random(8)
    texts += [_copy_of(texts[rng.randrange(len(texts))], rng) for _ in range(400)]
    texts += ["", "   "]  # empty texts match nothing, on one machine or many
    return texts


def test_distributed_equals_single_machine(client: Client, corpus: list[str]) -> None:
    single = near_duplicates_single(corpus)
    distributed = near_duplicates(corpus, partitions=7, client=client)
    assert distributed == single
    # The synthetic copies are found, not just an empty result equal to another empty result.
    copies = {b for _, b, _ in single.pairs if b >= 3000}
    assert len(copies) > 350
    assert len(single.clusters) > 300


@pytest.mark.parametrize(("threshold", "max_bucket"), [(0.8, 200), (0.3, 3)])
def test_options_mean_the_same_on_both(
    client: Client, corpus: list[str], threshold: float, max_bucket: int
) -> None:
    texts = corpus[:800] + corpus[3000:3100]
    single = near_duplicates_single(texts, threshold=threshold, max_bucket=max_bucket)
    distributed = near_duplicates(
        texts, partitions=3, threshold=threshold, max_bucket=max_bucket, client=client
    )
    assert distributed == single


def test_small_inputs_without_a_client() -> None:
    texts = ["قال الوزير إن الاجتماع سيعقد غدا في العاصمة لبحث الملفات العالقة بين البلدين"] * 3 + ["نص آخر"]
    result = near_duplicates(texts, partitions=2)
    assert result.clusters == [[0, 1, 2]]
    assert [(a, b) for a, b, _ in result.pairs] == [(0, 1), (0, 2), (1, 2)]
    assert near_duplicates([], partitions=1) == near_duplicates_single([])
