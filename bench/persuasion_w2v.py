"""Train the persuasion model's word2vec on the unlabelled news corpora, for the stacking experiments.

The same function ``train_persuasion`` calls (``marsad.models.persuasion.train_word2vec``: folded
words, one line per corpus paragraph, CBOW, one worker thread, fixed seed, so deterministic); writes
gensim ``KeyedVectors`` for ``bench/persuasion_stack_experiments.py --w2v FILE``.

Usage: OMP_NUM_THREADS=1 nice -n 10 python bench/persuasion_w2v.py --out /tmp/w2v.kv
       [--data ../shared/data] [--size 100] [--epochs 5] [--min-count 5] [--window 5]
       [--fasttext [--bucket N]] [--stems] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from marsad.models import persuasion as P
from marsad.paths import shared_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--stems", action="store_true", help="words without stacked proclitics")
    parser.add_argument("--fasttext", action="store_true", help="subword vectors (char 3-5-grams)")
    parser.add_argument("--bucket", type=int, default=2_000_000, help="fastText n-gram hash rows")
    parser.add_argument("--seed", type=int, default=1, help="gensim's seed (1: the shipped draw)")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    started = time.perf_counter()
    keyed = P.train_word2vec(
        P.corpus_paths(root),
        size=args.size,
        epochs=args.epochs,
        min_count=args.min_count,
        window=args.window,
        subwords=args.fasttext,
        bucket=args.bucket,
        stems=args.stems,
        seed=args.seed,
    )
    keyed.save(str(args.out))
    print(json.dumps({"vocabulary": len(keyed), "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
