"""Benchmark: read SaudiNewsNet and run the text layer (normalise, sentences, tokens) on one core.

    python bench/read_text_layer.py [--limit N] [--path FILE]

Prints articles/s, MB/s of article text, and peak RSS, with the machine described. Single process.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _machine import describe_machine, peak_rss_mb
from marsad.document import Article
from marsad.ingest import read_inputs
from marsad.paths import shared_data
from marsad.pipeline.runner import build_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data = shared_data()
    default = data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz" if data else None
    parser.add_argument("--path", type=Path, default=default)
    parser.add_argument("--limit", type=int, default=0, help="stop after N articles (0: all)")
    args = parser.parse_args()
    if args.path is None or not args.path.exists():
        raise SystemExit("bench: ../shared/data/corpora/saudinewsnet is absent; give --path")

    pipeline = build_pipeline(["text"])
    # Reading alone first, so the text layer's own cost can be told apart.
    started = time.perf_counter()
    read_count = 0
    for item in read_inputs([str(args.path)]):
        read_count += isinstance(item, Article)
        if args.limit and read_count >= args.limit:
            break
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    cpu_started = time.process_time()
    articles = characters = text_bytes = tokens = sentences = failures = 0
    for item in read_inputs([str(args.path)]):
        if not isinstance(item, Article):
            failures += 1
            continue
        article = pipeline(item)
        articles += 1
        characters += len(article.text)
        text_bytes += len(article.text.encode("utf-8"))
        tokens += len(article.views["tokens"])
        sentences += len(article.layer("sentences"))
        article.views.clear()
        if args.limit and articles >= args.limit:
            break
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    print(f"machine: {describe_machine()}")
    print(
        f"input: {args.path} ({articles} articles, {characters / articles:.0f} chars/article mean, {failures} failed)"
    )
    print(f"read only:                 {read_count / read_seconds:,.0f} articles/s")
    print(
        f"read + normalise + sentences + tokens: {articles / seconds:,.0f} articles/s, "
        f"{text_bytes / seconds / 2**20:.1f} MB/s of UTF-8 text, {tokens / seconds:,.0f} tokens/s"
    )
    # On a shared machine wall time includes waiting for the core; CPU time is what one core spends.
    print(
        f"same, per CPU-second of this process: {articles / cpu_seconds:,.0f} articles/s "
        f"({cpu_seconds:.1f} CPU s for {seconds:.1f} wall s; load average {os.getloadavg()[0]:.1f})"
    )
    print(f"totals: {tokens:,} tokens, {sentences:,} sentences in {seconds:.1f} s")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
