"""Search latency on a large corpus built by replicating the two real corpora.

    python bench/search_latency.py --size 1000000 --db /tmp/marsad-bench/search-1m.db

The corpus: every article of SaudiNewsNet and ANT (read by marsad's own JSONL reader), analysed
once into search terms (``index_terms``, as the store does), then written ``size / 62,000``
times over with new ids (``<id>-rNN``) and publication dates moved by NN weeks, straight into the
store's tables (``articles``, ``article_filters``, ``search_terms``, ``articles_fts``) in large
transactions. No
annotator runs, the near-duplicate tables stay empty and the ``json`` column holds a stub: search
reads none of them. The built file is kept and reused when ``--db`` names one of the right size.

Queries: a few hundred, drawn with a fixed seed from the corpus itself: single words (common,
mid-frequency, rare), quoted phrases, AND, OR, NOT and parenthesised forms, each class also run
with an outlet filter, a date range, or both. Each query is timed end to end through
``marsad.corpus.search.search`` (default limit 20, snippets included); the share spent making
snippets is timed separately.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import marsad.corpus.search as search_module
from _machine import describe_machine, peak_rss_mb
from ingest_corpora import corpus_files
from marsad.corpus.search import search
from marsad.corpus.store import Store
from marsad.corpus.terms import facet_terms, index_terms
from marsad.document import Article
from marsad.ingest import read_inputs

_BATCH = 5000
_STUB = json.dumps({"schema": "marsad.article/1", "note": "search benchmark: text and terms only"})
_ARABIC_WORD = re.compile(r"[\u0621-\u064A]{3,}")


@dataclass(slots=True)
class Base:
    id: str
    outlet: str | None
    url: str | None
    title: str | None
    published: str | None
    text: str
    title_terms: str
    body_terms: str


def load_base(limit: int | None, *, cache: Path) -> list[Base]:
    """The real articles, with their search terms computed once (and cached beside the db)."""
    if cache.exists():
        with cache.open("rb") as handle:
            cached: list[Base] = pickle.load(handle)
        if limit is None or len(cached) >= limit:
            return cached[:limit]
    bases = []
    for item in read_inputs([os.fspath(path) for path in corpus_files()]):
        if not isinstance(item, Article):
            continue
        meta = item.meta
        bases.append(
            Base(
                item.id,
                meta.outlet,
                meta.url,
                meta.title,
                meta.published,
                item.text,
                " ".join(index_terms(meta.title or "")),
                " ".join(index_terms(item.text)),
            )
        )
        if limit is not None and len(bases) >= limit:
            break
    with cache.open("wb") as handle:
        pickle.dump(bases, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return bases


def _shift(published: str | None, weeks: int) -> str | None:
    if not published or not weeks:
        return published
    try:
        moved = datetime.fromisoformat(published) + timedelta(weeks=weeks)
    except ValueError:
        return published
    return moved.isoformat()


def build(db: Path, bases: list[Base], size: int) -> float:
    """Write ``size`` articles (replicas of ``bases``) into a new store; returns seconds taken."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    start = time.perf_counter()
    with Store.open(db) as store:
        connection = store.connection
        # A benchmark file can be rebuilt: trade durability for build speed.
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -500000")
        connection.execute("CREATE TABLE bench_info (size INTEGER NOT NULL)")
        connection.execute("INSERT INTO bench_info VALUES (0)")
        stored_at = datetime.now().isoformat(timespec="seconds")
        rid = 0
        while rid < size:
            replica, index = divmod(rid, len(bases))
            count = min(_BATCH, size - rid, len(bases) - index)
            rows = []
            for offset in range(count):
                base = bases[index + offset]
                article_id = base.id if replica == 0 else f"{base.id}-r{replica:02d}"
                rows.append((rid + offset + 1, article_id, base, _shift(base.published, replica)))
            connection.execute("BEGIN")
            connection.executemany(
                "INSERT INTO articles (rid, id, outlet, url, title, published, language, text, json, "
                "content_hash, propaganda, vague_sourcing, stored_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'ar', ?, ?, '', 0, 0, ?)",
                [
                    (r, i, b.outlet, b.url and f"{b.url}#r{replica}", b.title, p, b.text, _STUB, stored_at)
                    for r, i, b, p in rows
                ],
            )
            connection.executemany(
                "INSERT INTO article_filters (rid, outlet, published, propaganda) VALUES (?, ?, ?, 0)",
                [(r, b.outlet, p) for r, _, b, p in rows],
            )
            terms = [(r, b.title_terms, b.body_terms, facet_terms(b.outlet, p)) for r, _, b, p in rows]
            connection.executemany(
                "INSERT INTO search_terms (rid, title, body, facets) VALUES (?, ?, ?, ?)", terms
            )
            connection.executemany(
                "INSERT INTO articles_fts (rowid, title, body, facets) VALUES (?, ?, ?, ?)", terms
            )
            # The size built so far commits with the rows: a build stopped midway is still usable.
            connection.execute("UPDATE bench_info SET size = ?", (rid + count,))
            connection.execute("COMMIT")
            rid += count
            if rid % 100_000 < count:
                print(f"  built {rid:,} articles, {time.perf_counter() - start:.0f} s", flush=True)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start


def built_size(db: Path) -> int | None:
    if not db.exists():
        return None
    with Store.open(db) as store:
        try:
            row = store.connection.execute("SELECT size FROM bench_info").fetchone()
        except Exception:
            return None
    return int(row[0]) if row else None


# -- queries ---------------------------------------------------------------------------------


def make_queries(bases: list[Base], *, seed: int, per_class: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(class, query, filters) triples drawn from the corpus text."""
    rng = random.Random(seed)
    sample = rng.sample(bases, min(4000, len(bases)))
    counts: Counter[str] = Counter()
    for base in sample:
        counts.update(_ARABIC_WORD.findall(base.text))
    ranked = [word for word, _ in counts.most_common()]
    common, mid = ranked[20:300], ranked[1000:6000]
    rare = [word for word in ranked[20000:] if counts[word] >= 2] or ranked[-1000:]
    outlets = sorted({base.outlet for base in bases if base.outlet})
    dates = sorted(base.published[:10] for base in bases if base.published)

    def phrase() -> str:
        while True:
            words = _ARABIC_WORD.findall(rng.choice(sample).text)
            if len(words) >= 6:
                start = rng.randrange(len(words) - 3)
                return '"' + " ".join(words[start : start + rng.choice((2, 3))]) + '"'

    makers = {
        "word (common)": lambda: rng.choice(common),
        "word (mid)": lambda: rng.choice(mid),
        "word (rare)": lambda: rng.choice(rare),
        "phrase": phrase,
        "two words (AND)": lambda: f"{rng.choice(mid)} {rng.choice(common)}",
        "OR": lambda: f"{rng.choice(mid)} OR {rng.choice(mid)}",
        "NOT": lambda: f"{rng.choice(common)} NOT {rng.choice(mid)}",
        "nested": lambda: f"({rng.choice(mid)} OR {rng.choice(mid)}) AND {rng.choice(common)}",
    }
    queries = []
    for name, maker in makers.items():
        for number in range(per_class):
            filters: dict[str, Any] = {}
            kind = number % 4  # a quarter each: no filter, outlet, dates, both
            if kind in (1, 3):
                filters["outlet"] = rng.choice(outlets)
            if kind in (2, 3):
                start = rng.choice(dates)
                filters["since"] = start
                filters["until"] = (datetime.fromisoformat(start) + timedelta(days=30)).date().isoformat()
            queries.append((name, maker(), filters))
    rng.shuffle(queries)
    return queries


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return at(0.50), at(0.95), at(0.99)


def measure(
    db: Path,
    queries: list[tuple[str, str, dict[str, Any]]],
    *,
    limit: int,
    timeout_s: float = 2.0,
) -> dict[str, Any]:
    """Time each query; one still running after ``timeout_s`` is interrupted and counted at
    ``timeout_s`` (so percentiles at that value are lower bounds)."""
    snippet_time = [0.0]
    original = search_module.make_snippet

    def timed_snippet(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            snippet_time[0] += time.perf_counter() - start

    search_module.make_snippet = timed_snippet
    rows = []
    try:
        with Store.open(db) as store:
            deadline = [0.0]
            store.connection.raw.set_progress_handler(lambda: int(time.perf_counter() > deadline[0]), 10_000)
            for _, query, filters in queries[:30]:  # warm the page cache; not counted
                deadline[0] = time.perf_counter() + timeout_s
                with contextlib.suppress(sqlite3.OperationalError):
                    search(store, query, limit=limit, **filters)
            for name, query, filters in queries:
                snippet_time[0] = 0.0
                start, cpu_start = time.perf_counter(), time.process_time()
                deadline[0] = start + timeout_s
                try:
                    matches = search(store, query, limit=limit, **filters).total
                    total = time.perf_counter() - start
                except sqlite3.OperationalError:  # interrupted at the deadline
                    matches, total = -1, timeout_s
                cpu = time.process_time() - cpu_start
                rows.append((name, bool(filters), 1000 * total, 1000 * snippet_time[0], matches, 1000 * cpu))
    finally:
        search_module.make_snippet = original
    return {"rows": rows}


def index_sizes(db: Path) -> dict[str, float]:
    with Store.open(db) as store:
        sizes: dict[str, float] = defaultdict(float)
        for name, size in store.connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            group = "full-text index (articles_fts*)" if name.startswith("articles_fts") else name
            sizes[group] += size / 2**20
    return dict(sizes)


def report(rows: list[tuple[str, bool, float, float, int, float]]) -> None:
    """Wall-clock percentiles per class; CPU time shows what a machine not shared would see."""
    print(
        "| queries | n | p50 ms | p95 ms | p99 ms | p95 without snippets | p50 / p95 CPU ms "
        "| median matches | timed out |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    groups: dict[str, list[tuple[float, float, int, float]]] = defaultdict(list)
    # Interrupted queries have no match count (-1): medians use the completed ones.
    for _, filtered, total, snippet, matches, cpu in rows:
        groups["all"].append((total, snippet, matches, cpu))
        groups["with filters" if filtered else "without filters"].append((total, snippet, matches, cpu))
    for name, _, total, snippet, matches, cpu in rows:
        groups[name].append((total, snippet, matches, cpu))
    for name, items in groups.items():
        p50, p95, p99 = _percentiles([t for t, _, _, _ in items])
        sql95 = _percentiles([t - s for t, s, _, _ in items])[1]
        cpu50, cpu95, _ = _percentiles([c for _, _, _, c in items])
        done = [m for _, _, m, _ in items if m >= 0]
        median = f"{statistics.median(done):,.0f}" if done else "n/a"
        late = len(items) - len(done)
        print(
            f"| {name} | {len(items)} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {sql95:.1f} "
            f"| {cpu50:.1f} / {cpu95:.1f} | {median} | {late} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="articles in the built corpus")
    parser.add_argument("--db", default="/tmp/marsad-bench/search.db", help="where to build (or reuse) it")
    parser.add_argument("--base-limit", type=int, default=None, help="real articles to replicate (all)")
    parser.add_argument("--per-class", type=int, default=40, help="queries per class (8 classes)")
    parser.add_argument("--limit", type=int, default=20, help="hits per query (search's default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds before a query is interrupted")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build the corpus, measure nothing")
    args = parser.parse_args(argv)
    missing = [str(path) for path in corpus_files() if not path.exists()]
    if missing:
        print(f"corpora not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    db = Path(args.db)
    db.parent.mkdir(parents=True, exist_ok=True)
    print(f"machine:  {describe_machine()}")
    start = time.perf_counter()
    unique: dict[str, Base] = {}
    for base in load_base(args.base_limit, cache=db.with_suffix(".base.pickle")):
        unique.setdefault(base.id, base)  # a few records repeat a URL: one article each
    bases = list(unique.values())
    print(
        f"base:     {len(bases):,} real articles analysed into terms in {time.perf_counter() - start:.0f} s"
    )
    if args.rebuild or built_size(db) != args.size:
        seconds = build(db, bases, args.size)
        print(f"build:    {args.size:,} articles in {seconds:.0f} s ({args.size / seconds:,.0f} articles/s)")
    else:
        print(f"build:    reusing {db} ({args.size:,} articles)")
    if args.build_only:
        return 0
    replicas = args.size / len(bases)
    print(f"corpus:   {args.size:,} articles = the real ones replicated {replicas:.1f} times with new ids")
    queries = make_queries(bases, seed=args.seed, per_class=args.per_class)
    del bases
    print(f"queries:  {len(queries)} (seed {args.seed}), limit {args.limit}, snippets included")
    rows = measure(db, queries, limit=args.limit, timeout_s=args.timeout)["rows"]
    print()
    print(f"search.py; a query interrupted at {args.timeout:.0f} s counts as {args.timeout:.0f} s:")
    report(rows)
    print()
    sizes = index_sizes(db)
    file_size = sum(os.path.getsize(str(db) + s) for s in ("", "-wal") if os.path.exists(str(db) + s))
    print(f"db file:  {file_size / 2**30:.2f} GiB")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:6]:
        print(f"  {name}: {size:,.0f} MiB")
    print(f"peak RSS: {peak_rss_mb():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
