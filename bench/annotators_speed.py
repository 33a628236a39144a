"""Throughput of the attributions, claims, tone and dateline steps on SaudiNewsNet, on one core.

Usage: python bench/annotators_speed.py [--limit N]
Prints articles/s for the four steps alone (text step run beforehand, untimed), for the text step
alone, and the peak resident memory. Reads ../shared/data/corpora/saudinewsnet/saudinewsnet.jsonl.gz.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import resource
import sys
import time

from marsad.annotate.attributions import AttributionStep
from marsad.annotate.claims import ClaimStep
from marsad.annotate.dateline import DatelineStep
from marsad.annotate.tone import ToneStep
from marsad.document import Article
from marsad.paths import shared_data
from marsad.pipeline.steps import TextStep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=3000)
    args = parser.parse_args()
    data = shared_data()
    if data is None:
        print("../shared/data is absent", file=sys.stderr)
        return 2
    path = data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            content = json.loads(line).get("content") or ""
            if content.strip():
                texts.append(content)
            if len(texts) >= args.limit:
                break
    text_step = TextStep()
    steps = [DatelineStep(), AttributionStep(), ClaimStep(), ToneStep()]
    articles = [Article(text=text) for text in texts]
    started = time.perf_counter()
    for article in articles:
        text_step(article)
    text_seconds = time.perf_counter() - started
    # Entities are an input of tone and of source linking: run them first, outside the timing.
    from marsad.annotate.entities import EntityStep

    entity_step = EntityStep()
    for article in articles:
        entity_step(article)
    # Warm the lexicons and the check-worthiness model once, outside the timing.
    warm = Article(text="قال الوزير إن 3 مليارات دولار أنفقت.")
    text_step(warm)
    entity_step(warm)
    for step in steps:
        step(warm)
    started = time.perf_counter()
    for article in articles:
        for step in steps:
            step(article)
    seconds = time.perf_counter() - started
    characters = sum(len(text) for text in texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, one core"
    )
    print(f"input: {len(texts)} SaudiNewsNet articles ({characters / len(texts):.0f} characters on average)")
    print(f"text step alone: {len(texts) / text_seconds:.0f} articles/s")
    print(f"dateline+attributions+claims+tone: {len(texts) / seconds:.0f} articles/s")
    print(f"peak RSS: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
