"""Throughput of the entities step (NER + actor linking + the actor list) on SaudiNewsNet, one core.

    python bench/ner_speed.py [--warm 1000] [--limit 3000] [--reference] [--model DIR]

The text step runs first, untimed. ``--warm`` articles (a disjoint set, read first) fill the
per-word caches as a long run would; then ``--limit`` articles are timed, new words included.
Prints articles/s in wall time and CPU milliseconds per article (the load of a shared machine
inflates the first, hardly the second), the load average, and peak memory. ``--reference`` tags
through CRFsuite (the path before the compiled tagger) for comparison; ``--model`` loads a model
written by ``train_ner`` (e.g. with ``second_pass=True``) instead of the shipped one.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _machine import describe_machine, peak_rss_mb, saudinewsnet_texts
from marsad.annotate.entities import EntityStep
from marsad.document import Article
from marsad.models.ner import NerModel
from marsad.pipeline.steps import TextStep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warm", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--reference", action="store_true", help="tag through CRFsuite itself")
    parser.add_argument("--model", type=Path, default=None, help="a model folder written by train_ner")
    args = parser.parse_args()
    texts = saudinewsnet_texts(args.warm + args.limit)
    text_step = TextStep()
    articles = [text_step(Article(text=text)) for text in texts]
    step = EntityStep()
    if args.model is not None:
        step.model = NerModel.load(args.model)
    if args.reference:
        step.model.compiled = None
    for article in articles[: args.warm]:
        step(article)
    timed = articles[args.warm :]
    load_before = os.getloadavg()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    for article in timed:
        step(article)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    characters = sum(len(article.text) for article in timed)
    tokens = sum(len(article.views["tokens"]) for article in timed)
    print(f"machine: {describe_machine()}")
    print(f"load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
    print(
        f"input: {len(timed)} SaudiNewsNet articles after {args.warm} warm-up articles "
        f"({characters / len(timed):.0f} characters, {tokens / len(timed):.0f} tokens on average)"
    )
    path = "CRFsuite (reference)" if args.reference or step.model.compiled is None else "compiled tagger"
    print(f"entities + actors ({path}):")
    print(f"  {len(timed) / wall:.0f} articles/s wall, {tokens / wall:,.0f} tokens/s")
    print(
        f"  {cpu / len(timed) * 1000:.2f} ms CPU per article ({len(timed) / cpu:.0f} articles per CPU-second)"
    )
    if step.model.compiled is not None:
        print(f"  sentences handed to CRFsuite on a near-tie: {step.model.compiled.fallbacks}")
    if step.model.meta.get("second_pass"):
        print("  model with a second pass (document features)")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
