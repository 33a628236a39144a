"""Ingest the two real corpora with the default pipeline, and report speed, memory and size.

    python bench/ingest_corpora.py --limit 4000 --jobs 2 --db /tmp/marsad-ingest.db

Every article goes through every annotator of ``default_pipeline()`` and into the store (search,
near-duplicate and reuse indexes included) by one call of ``marsad.corpus.store.ingest``. With
``--limit N`` the first N/2 lines of each corpus are copied, unchanged, to gzip files under a
temporary folder and those are ingested instead (the limit is split evenly so both corpora and
their outlets are represented).
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _machine import describe_machine, peak_rss_mb
from marsad.corpus.store import Store, ingest
from marsad.paths import shared_data
from marsad.pipeline.runner import DEFAULT_STEPS

CORPORA = ("saudinewsnet/saudinewsnet.jsonl.gz", "ant/ant_multisource_v2.1.jsonl.gz")


def corpus_files() -> list[Path]:
    """The two corpora under the shared data folder (missing ones included, to be reported)."""
    data = shared_data()
    base = data / "corpora" if data is not None else Path("../shared/data/corpora")
    return [base / name for name in CORPORA]


def _subset(source: Path, target: Path, *, lines: int) -> int:
    written = 0
    with (
        gzip.open(source, "rt", encoding="utf-8") as reader,
        gzip.open(target, "wt", encoding="utf-8") as out,
    ):
        for line in reader:
            if written >= lines:
                break
            out.write(line)
            written += 1
    return written


def _characters(paths: list[Path]) -> int:
    import json

    total = 0
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as reader:
            for line in reader:
                record = json.loads(line)
                total += len(record.get("content") or record.get("text") or "")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="articles in all (half from each corpus)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the annotators")
    parser.add_argument("--db", default=None, help="corpus file (default: a new file in a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus file afterwards")
    args = parser.parse_args(argv)
    files = corpus_files()
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        print(f"corpora not found: {', '.join(missing)}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="marsad-ingest-") as folder:
        paths = list(files)
        if args.limit is not None:
            paths = []
            half = args.limit - args.limit // 2
            for index, source in enumerate(files):
                target = Path(folder) / source.name
                _subset(source, target, lines=half if index == 0 else args.limit // 2)
                paths.append(target)
        db = Path(args.db) if args.db else Path(folder) / "corpus.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        characters = _characters(paths)

        print(f"machine:  {describe_machine()}")
        print(
            f"input:    {', '.join(path.name for path in paths)}"
            f"{' (subset: --limit ' + str(args.limit) + ')' if args.limit is not None else ''}, "
            f"{characters / 1e6:.1f} M characters"
        )
        print(f"steps:    {', '.join(DEFAULT_STEPS)} (default_pipeline()); jobs: {args.jobs}")
        start = time.perf_counter()
        summary = ingest(paths, db=db, jobs=args.jobs)
        elapsed = time.perf_counter() - start
        stored = summary.new + summary.updated + summary.unchanged
        with Store.open(db) as store:
            store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            counts = {
                table: store.connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("articles", "copy_pairs", "reuse_pairs", "article_actors", "article_techniques")
            }
        size = sum(os.path.getsize(str(db) + s) for s in ("", "-wal") if os.path.exists(str(db) + s))
        codes = Counter(error.code for error in summary.failures)
        print(
            f"stored:   {stored} articles ({summary.new} new, "
            f"{summary.updated + summary.unchanged} repeated ids in the input), "
            f"{summary.failed} inputs failed {dict(codes)}"
        )
        print(f"indexes:  {counts}")
        print(
            f"time:     {elapsed:.1f} s  ->  {stored / elapsed:.1f} articles/s, "
            f"{characters / elapsed / 1e3:.1f} k characters/s"
        )
        print(f"latency:  {1000 * elapsed / max(stored, 1):.1f} ms per article (wall time / articles)")
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: {peak_rss_mb():.0f} MiB main process, {workers:.0f} MiB largest worker")
        print(f"db size:  {size / 2**20:.1f} MiB ({size / max(stored, 1) / 1024:.1f} KiB per article)")
        if args.keep and args.db is None:
            print("--keep needs --db", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
