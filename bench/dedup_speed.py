"""Throughput of the near-duplicate stage on SaudiNewsNet, beside datasketch in the same run.

The stage: raw article text -> search-view words -> 5-word shingle hashes -> 128-value MinHash
signatures -> 32 LSH band keys -> candidate pairs. marsad's code is vectorised numpy (one-
permutation MinHash with densification); datasketch gets the same shingle hashes and uses its
128-permutation ``MinHash.bulk`` and ``MinHashLSH`` (threshold 0.5). One thread for numpy.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/dedup_speed.py [--datasketch-articles 3000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from _machine import describe_machine, peak_rss_mb
from marsad.corpus import dedup
from marsad.paths import shared_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2000, help="articles per vectorised batch")
    parser.add_argument("--datasketch-articles", type=int, default=3000)
    options = parser.parse_args()
    data = shared_data()
    if data is None:
        sys.exit("../shared/data is absent")
    path = data / "corpora" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["content"] for line in handle]
    print(f"machine: {describe_machine()}")
    print(f"input: {path.name}, {len(texts)} articles, {sum(map(len, texts)) / 1e6:.1f} M characters")

    timings = {"shingles": 0.0, "signatures": 0.0, "lsh": 0.0}
    all_keys, all_sizes, all_values = [], [], []
    for start in range(0, len(texts), options.batch):
        chunk = texts[start : start + options.batch]
        t0 = time.perf_counter()
        flat, sizes = dedup.shingle_batch(chunk)
        t1 = time.perf_counter()
        values = dedup.signatures_of_flat(flat, sizes).values
        t2 = time.perf_counter()
        keys = dedup.band_keys(values)
        t3 = time.perf_counter()
        timings["shingles"] += t1 - t0
        timings["signatures"] += t2 - t1
        timings["lsh"] += t3 - t2
        all_keys.append(keys)
        all_sizes.append(sizes)
        all_values.append(values)
    t0 = time.perf_counter()
    candidates = dedup.lsh_candidates(np.concatenate(all_keys), sizes=np.concatenate(all_sizes))
    timings["lsh"] += time.perf_counter() - t0
    total = sum(timings.values())
    count = len(texts)
    print(
        "\n| implementation | articles | words+shingles | signatures | LSH (keys + candidates) | total | articles/s |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| marsad (numpy, one-permutation MinHash) | {count} | {timings['shingles']:.2f} s | "
        f"{timings['signatures']:.2f} s | {timings['lsh']:.2f} s | {total:.2f} s | {count / total:,.0f} |"
    )
    print(f"  candidate pairs: {len(candidates)}; peak memory {peak_rss_mb():.0f} MiB")

    try:
        from datasketch import MinHash, MinHashLSH
    except ImportError:
        print("datasketch is not installed: pip install datasketch to compare")
        return
    sample = texts[: options.datasketch_articles]
    flat, sizes = dedup.shingle_batch(sample)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    hashed = [flat[offsets[i] : offsets[i + 1]] for i in range(len(sample))]
    t0 = time.perf_counter()
    flat, sizes = dedup.shingle_batch(sample)
    t1 = time.perf_counter()
    encoded = [[int(h).to_bytes(8, "little") for h in shingles] for shingles in hashed]
    minhashes = MinHash.bulk(encoded, num_perm=dedup.NUM_PERM)
    t2 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=dedup.NUM_PERM)
    pairs = 0
    for index, minhash in enumerate(minhashes):
        if sizes[index] == 0:
            continue
        pairs += len(lsh.query(minhash))
        lsh.insert(index, minhash)
    t3 = time.perf_counter()
    ds_total = t3 - t0
    print(
        f"| datasketch {__import__('datasketch').__version__} (MinHash.bulk, MinHashLSH 0.5) | {len(sample)} | "
        f"{t1 - t0:.2f} s (marsad's) | {t2 - t1:.2f} s | {t3 - t2:.2f} s | {ds_total:.2f} s | {len(sample) / ds_total:,.0f} |"
    )
    print(f"  candidate pairs: {pairs}")
    ours = dedup.signatures_of_flat(flat, sizes).values
    exact, ours_error, theirs_error = [], [], []
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(sample), size=(20000, 2)):
        if i == j or sizes[i] == 0 or sizes[j] == 0:
            continue
        truth = dedup.jaccard(hashed[i], hashed[j])
        if truth < 0.05:
            continue
        exact.append(truth)
        ours_error.append(abs(dedup.estimated_jaccard(ours[i], ours[j]) - truth))
        theirs_error.append(abs(minhashes[i].jaccard(minhashes[j]) - truth))
    # Random pairs are rarely similar: add every LSH candidate pair for a fair error estimate.
    for i, j in dedup.lsh_candidates(dedup.band_keys(ours), sizes=sizes).tolist():
        truth = dedup.jaccard(hashed[i], hashed[j])
        exact.append(truth)
        ours_error.append(abs(dedup.estimated_jaccard(ours[i], ours[j]) - truth))
        theirs_error.append(abs(minhashes[i].jaccard(minhashes[j]) - truth))
    print(
        f"\nJaccard estimate, mean absolute error over {len(exact)} pairs with Jaccard >= 0.05: "
        f"marsad {np.mean(ours_error):.4f}, datasketch {np.mean(theirs_error):.4f}"
    )


if __name__ == "__main__":
    main()
