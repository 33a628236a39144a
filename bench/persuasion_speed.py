"""Time the persuasion pipeline step on SaudiNewsNet articles, on one core.

Articles are SaudiNewsNet ``content`` fields of 1,200-2,000 characters that
``marsad.text.sentences.split_paragraphs`` cuts into 3-6 paragraphs. The ``text`` step runs first,
outside the clock; the clock covers the ``persuasion`` step alone (paragraph heads, span tagger,
article score). Prints one JSON line with articles/s, CPU ms per article and the process's peak RSS.

Usage: nice -n 10 python bench/persuasion_speed.py [--data ../shared/data] [--articles 2000] [--repeat 3]
       [--model FOLDER]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

from marsad.annotate.persuasion import PersuasionStep
from marsad.document import Article
from marsad.models.persuasion import PersuasionModel
from marsad.paths import shared_data
from marsad.pipeline.runner import build_pipeline
from marsad.text.sentences import split_paragraphs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine, peak_rss_mb


def read_articles(root: Path, *, count: int) -> list[str]:
    """The first ``count`` SaudiNewsNet articles of the right length and paragraph count."""
    texts: list[str] = []
    with gzip.open(root / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            content = json.loads(line).get("content") or ""
            if 1200 <= len(content) <= 2000 and 3 <= len(split_paragraphs(content)) <= 6:
                texts.append(content)
                if len(texts) >= count:
                    break
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the shipped one)")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    if hasattr(os, "sched_setaffinity"):  # one core, whatever threads numpy's BLAS starts
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = read_articles(root, count=args.articles)
    text_step = build_pipeline(["text"])
    prepared = [text_step(Article(text=text)) for text in texts]
    model = PersuasionModel.load(args.model) if args.model is not None else None
    step = PersuasionStep(model=model)
    step(prepared[0])  # first call pays for lazy imports
    best = best_cpu = float("inf")
    spans = 0
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        for article in prepared:
            step(article)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
        spans = sum(len(article.layer("persuasion")) for article in prepared)
    paragraphs = sum(len(article.layer("paragraphs")) for article in prepared)
    print(describe_machine())
    print(
        json.dumps(
            {
                "input": f"SaudiNewsNet, {len(prepared)} articles, "
                f"{paragraphs / len(prepared):.1f} paragraphs, "
                f"{sum(map(len, texts)) / len(texts):.0f} chars each",
                "articles_per_s": round(len(prepared) / best, 1),
                # CPU time of this process (less sensitive to other work on the machine than wall time)
                "cpu_ms_per_article": round(1000 * best_cpu / len(prepared), 3),
                "spans_per_article": round(spans / len(prepared), 2),
                "propagandistic_paragraphs": round(
                    sum(bool(p.get("propagandistic")) for a in prepared for p in a.layer("paragraphs"))
                    / max(paragraphs, 1),
                    3,
                ),
                "peak_rss_mib": round(peak_rss_mb(), 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
