"""Benchmark: the cost of each step of the default pipeline, per article, on one core.

    python bench/pipeline_steps.py [--limit 300]

Times every step separately on the first non-empty SaudiNewsNet articles. Caches (word features,
character n-grams, clitic layouts) start cold, so these are upper bounds for a long run.
"""

from __future__ import annotations

import argparse
import time

from _machine import describe_machine, peak_rss_mb, saudinewsnet_texts
from marsad.document import Article
from marsad.pipeline.runner import default_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()
    texts = saudinewsnet_texts(args.limit)
    pipeline = default_pipeline()
    spent = {step.name: 0.0 for step in pipeline.steps}
    for text in texts:
        article = Article(text=text)
        for step in pipeline.steps:
            started = time.perf_counter()
            article = step(article)
            spent[step.name] += time.perf_counter() - started
    print(f"machine: {describe_machine()}")
    print(f"input: first {len(texts)} non-empty SaudiNewsNet articles")
    for name, seconds in spent.items():
        print(f"  {name:<14} {seconds / len(texts) * 1000:7.2f} ms/article")
    total = sum(spent.values())
    print(f"  {'all':<14} {total / len(texts) * 1000:7.2f} ms/article ({len(texts) / total:.0f} articles/s)")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
