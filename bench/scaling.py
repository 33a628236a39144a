"""Ingest the two real corpora with the Dask engine on 1 and on 2 workers: speed-up and memory.

    nice -n 10 python bench/scaling.py --limit 1000 --workers 1,2
    python bench/scaling.py                      # the full 62,555 articles, 1 then 2 workers

Each run starts a fresh ``LocalCluster`` (one thread a worker, worker processes), a fresh SQLite
corpus and a fresh work folder, and ingests every article of ``../shared/data/corpora`` through
``default_pipeline()`` with ``DaskExecutor.ingest``: the workers analyse partitions of
``--shard-size`` records, the driver stores each partition (search, near-duplicate and reuse
indexes included). With ``--limit N`` the first N/2 lines of each corpus are ingested instead.

Reported per run: wall time and articles/s, the speed-up over the first run, each worker's peak
RSS and CPU seconds (read in the worker processes through ``client.run``), the driver's CPU
seconds (reading partitions back and writing the store) and peak RSS, and the store's size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import describe_machine, peak_rss_mb
from ingest_corpora import _subset, corpus_files
from marsad.executor.dask import DEFAULT_SHARD_SIZE, DaskExecutor
from marsad.pipeline.runner import DEFAULT_STEPS


def _worker_usage() -> dict[str, float]:
    """Run inside a worker process: its peak RSS (MiB) and CPU seconds so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}


def _store_size(db: Path) -> int:
    return sum(os.path.getsize(str(db) + s) for s in ("", "-wal") if os.path.exists(str(db) + s))


def run_once(paths: list[Path], *, workers: int, shard_size: int, folder: Path) -> dict[str, Any]:
    """One ingestion on a fresh cluster of ``workers`` processes into a fresh corpus."""
    from marsad.corpus.store import Store

    db = folder / f"corpus-{workers}w.db"
    work = folder / f"work-{workers}w"
    started = time.perf_counter()
    with DaskExecutor(work_dir=work, jobs=workers, shard_size=shard_size) as executor:
        client = executor.client
        ready = time.perf_counter()
        driver_before = resource.getrusage(resource.RUSAGE_SELF)
        summary = executor.ingest(DEFAULT_STEPS, [str(path) for path in paths], db=db)
        elapsed = time.perf_counter() - ready
        driver_after = resource.getrusage(resource.RUSAGE_SELF)
        per_worker = client.run(_worker_usage)
    with Store.open(db) as store:
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = len(store)
    driver_cpu = (driver_after.ru_utime + driver_after.ru_stime) - (
        driver_before.ru_utime + driver_before.ru_stime
    )
    return {
        "workers": workers,
        "articles": stored,
        "failed": summary.failed,
        "partitions": len(executor.computed),
        "cluster_start_s": round(ready - started, 2),
        "wall_s": round(elapsed, 2),
        "articles_per_s": round(stored / elapsed, 2) if elapsed else 0.0,
        "worker_peak_rss_mib": sorted(round(w["peak_rss_mib"]) for w in per_worker.values()),
        "worker_cpu_s": sorted(round(w["cpu_s"], 1) for w in per_worker.values()),
        "driver_cpu_s": round(driver_cpu, 1),
        "store_bytes": _store_size(db),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="articles in all (half from each corpus)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE, help="records per partition")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        counts = [int(part) for part in args.workers.split(",") if part.strip()]
    except ValueError:
        parser.error("--workers takes whole numbers separated by commas, e.g. 1,2")
    if not counts or min(counts) < 1:
        parser.error("--workers needs at least one count of 1 or more")
    files = corpus_files()
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        print(f"corpora not found: {', '.join(missing)}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="marsad-scaling-") as temporary:
        folder = Path(temporary)
        paths = list(files)
        if args.limit is not None:
            half = args.limit - args.limit // 2
            paths = []
            for index, source in enumerate(files):
                target = folder / source.name
                _subset(source, target, lines=half if index == 0 else args.limit // 2)
                paths.append(target)
        print(f"machine:  {describe_machine()}, load average {os.getloadavg()[0]:.1f}")
        subset = f" (subset: --limit {args.limit})" if args.limit is not None else ""
        print(f"input:    {', '.join(path.name for path in paths)}{subset}")
        print(
            f"steps:    {', '.join(DEFAULT_STEPS)}; shard size {args.shard_size}; engine: dask LocalCluster"
        )
        runs = []
        for workers in counts:
            result = run_once(paths, workers=workers, shard_size=args.shard_size, folder=folder)
            runs.append(result)
            base = runs[0]["articles_per_s"] or 1.0
            print(
                f"\n{workers} worker(s): {result['articles']} articles ({result['failed']} inputs failed) "
                f"in {result['wall_s']:.1f} s  ->  {result['articles_per_s']:.1f} articles/s, "
                f"speed-up {result['articles_per_s'] / base:.2f} over {runs[0]['workers']} worker(s)"
            )
            print(
                f"  workers:  peak RSS {result['worker_peak_rss_mib']} MiB, CPU {result['worker_cpu_s']} s; "
                f"{result['partitions']} partitions; cluster start {result['cluster_start_s']:.1f} s"
            )
            print(f"  driver:   CPU {result['driver_cpu_s']:.1f} s (reading results back, writing the store)")
            # CPU per article hardly depends on what else the machine runs; wall time does.
            per_article = 1000 / max(result["articles"], 1)
            print(
                f"  per article: {sum(result['worker_cpu_s']) * per_article:.1f} ms worker CPU "
                f"(model loading included), {result['driver_cpu_s'] * per_article:.1f} ms driver CPU"
            )
            size = result["store_bytes"]
            print(
                f"  store:    {size / 2**20:.1f} MiB "
                f"({size / max(result['articles'], 1) / 1024:.1f} KiB per article)"
            )
        print(f"\npeak RSS: {peak_rss_mb():.0f} MiB driver process")
        if args.json is not None:
            args.json.write_text(json.dumps({"limit": args.limit, "runs": runs}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
