"""Load test of the dashboard: the article page and the search page under concurrent clients.

Starts the server (uvicorn on ``create_app``) on a corpus in a subprocess on 127.0.0.1, then runs
``--clients`` concurrent clients from this process for ``--seconds``: each request is an article
page or a search page (half and half), with article ids and query words sampled from the corpus
beforehand. Prints requests, errors, latency percentiles per page kind, throughput and the
server's peak resident memory.

    python bench/serve_load.py --db /work/dbs/corpus62k.db --clients 20 --seconds 60

The corpus is opened read-only for sampling; the server only reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil

# Words that make realistic queries: frequent enough to match, varied in how many they match.
_QUERY_WORDS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def sample(db: Path, *, articles: int, queries: int, seed: int) -> tuple[list[str], list[str]]:
    """Article ids and search queries drawn from the corpus (titles' words), reproducibly."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (largest,) = connection.execute("SELECT MAX(rid) FROM articles").fetchone()
    rng = random.Random(seed)
    ids: list[str] = []
    titles: list[str] = []
    while len(ids) < articles:
        rid = rng.randint(1, int(largest))
        row = connection.execute("SELECT id, title FROM articles WHERE rid = ?", (rid,)).fetchone()
        if row is None:
            continue
        ids.append(row[0])
        if row[1]:
            titles.append(row[1])
    connection.close()
    words = [word for title in titles for word in title.split() if len(word) >= 4 and word.isalpha()]
    found = []
    for _ in range(queries):
        count = rng.randint(1, _QUERY_WORDS)
        found.append(" ".join(rng.sample(words, count)))
    return ids, found


def start_server(db: Path, port: int, *, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``marsad serve`` on 127.0.0.1, its access log going to ``log`` (not to this terminal)."""
    command = [sys.executable, "-m", "marsad.cli.main", "serve", "--db", str(db), "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("wb") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)


def wait_ready(base: str, process: subprocess.Popen[bytes], *, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(base + "/static/dashboard.css", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start in time")


class PeakMemory(threading.Thread):
    """Samples the server's resident memory (with its children) every 100 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                rss = self.process.memory_info().rss
                rss += sum(child.memory_info().rss for child in self.process.children(recursive=True))
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(0.1)


async def load(
    base: str,
    ids: list[str],
    queries: list[str],
    *,
    clients: int,
    seconds: float,
    think: float,
    seed: int,
) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {"article": [], "search": []}
    errors: dict[str, int] = {"article": 0, "search": 0}
    failures: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.monotonic() + seconds

    async def client(number: int, session: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + number)
        while time.monotonic() < deadline:
            if rng.random() < 0.5:
                kind, path = "article", "/article/" + rng.choice(ids)
            else:
                kind, path = "search", "/search?q=" + quote(rng.choice(queries))
            started = time.perf_counter()
            try:
                response = await session.get(path)
                ok = response.status_code == 200 and len(response.content) > 0
                if not ok and len(failures) < 5:
                    failures.append(f"{response.status_code} {path}")
            except httpx.HTTPError as err:
                ok = False
                if len(failures) < 5:
                    failures.append(f"{type(err).__name__} {path}")
            elapsed = time.perf_counter() - started
            latencies[kind].append(elapsed)
            if not ok:
                errors[kind] += 1
            if think > 0:
                # A reader between two clicks: uniform in [0.5, 1.5] x the mean think time.
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as session:
        started = time.monotonic()
        await asyncio.gather(*(client(number, session) for number in range(clients)))
        wall = time.monotonic() - started
    return {"latencies": latencies, "errors": errors, "failures": failures, "wall": wall}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--db", type=Path, required=True, help="the corpus (SQLite file)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds each client waits between requests (0: back to back, a closed loop)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (marsad serve --workers)")
    parser.add_argument(
        "--log",
        type=Path,
        default=Path(tempfile.gettempdir()) / "marsad-serve-load.log",
        help="the server's log",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="load an already running server instead of starting one")
    options = parser.parse_args(argv)
    if not options.db.is_file():
        print(f"serve_load: no corpus at {options.db}", file=sys.stderr)
        return 2
    from marsad.corpus.migrations import latest_version

    with sqlite3.connect(f"file:{options.db}?mode=ro", uri=True) as connection:
        (version,) = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    if version != latest_version():
        # Opening it would migrate it: a benchmark must not write to the corpus it measures.
        print(
            f"serve_load: {options.db} is at schema version {version}, not {latest_version()}",
            file=sys.stderr,
        )
        return 2
    ids, queries = sample(options.db, articles=2000, queries=400, seed=options.seed)
    process = None
    if options.url:
        base = options.url.rstrip("/")
    else:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_server(options.db, port, workers=options.workers, log=options.log)
    try:
        if process is not None:
            wait_ready(base, process)
        memory = PeakMemory(process.pid if process is not None else os.getpid())
        if process is not None:
            memory.start()
        if options.warmup > 0:
            asyncio.run(
                load(
                    base,
                    ids,
                    queries,
                    clients=options.clients,
                    seconds=options.warmup,
                    think=options.think,
                    seed=options.seed + 1,
                )
            )
        result = asyncio.run(
            load(
                base,
                ids,
                queries,
                clients=options.clients,
                seconds=options.seconds,
                think=options.think,
                seed=options.seed,
            )
        )
        memory.stop.set()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    (count,) = (
        sqlite3.connect(f"file:{options.db}?mode=ro", uri=True)
        .execute("SELECT COUNT(*) FROM articles")
        .fetchone()
    )
    total = sum(len(values) for values in result["latencies"].values())
    print(
        f"machine:    {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"corpus:     {options.db} ({count} articles)")
    print(
        f"load:       {options.clients} clients for {options.seconds:.0f} s after {options.warmup:.0f} s warm-up, "
        f"mean think time {options.think:g} s; article and search pages half and half"
    )
    if process is not None:
        print(f"server:     marsad serve --workers {options.workers} (uvicorn), log in {options.log}")
    # Other work on the machine skews latencies: say how busy it was.
    print(
        f"load avg:   {' '.join(f'{value:.2f}' for value in os.getloadavg())} (1, 5, 15 min, after the run)"
    )
    print(
        f"requests:   {total}  errors: {sum(result['errors'].values())}  throughput: {total / result['wall']:.1f} req/s"
    )
    for kind, values in result["latencies"].items():
        if not values:
            continue
        print(
            f"{kind:<8}    n={len(values):<6} errors={result['errors'][kind]:<4} "
            f"p50={1000 * statistics.median(values):7.1f} ms  p95={1000 * percentile(values, 0.95):7.1f} ms  "
            f"p99={1000 * percentile(values, 0.99):7.1f} ms  max={1000 * max(values):7.1f} ms"
        )
    if process is not None:
        print(f"server:     peak RSS {memory.peak / 2**20:.0f} MiB (all its processes)")
    for failure in result["failures"]:
        print(f"failed:     {failure}")
    return 0 if sum(result["errors"].values()) == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
