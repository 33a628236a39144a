"""Round thirteen of docs/models/ner.md: corpus counts for the collocation and burstiness features
measured by ``ner_experiments.py --bigrams FILE`` and ``--burst FILE``.

Writes the corpora's normalised text as ``marsad train ner`` does (``write_cluster_corpus``, without
the labelled sentences), then counts each word's core (the shipped table's clitic split) over it:

- ``--bigrams OUT``: a pickle of (core counts, counts of neighbouring core pairs seen at least 3
  times, total tokens);
- ``--burst OUT``: a pickle of (core counts, paragraphs holding the core, paragraphs).

    OMP_NUM_THREADS=1 python bench/ner_pair_counts.py --corpus /tmp/corpus.txt --bigrams /tmp/bigrams.pkl
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import time
from collections import Counter
from pathlib import Path

from marsad.models.ner import context_cues, load_lexicon, split_clitics
from marsad.models.ner_clusters import ClusterTable, write_cluster_corpus
from marsad.paths import shared_data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, required=True, help="the corpus file (written if missing)")
    parser.add_argument("--bigrams", type=Path, default=None)
    parser.add_argument("--burst", type=Path, default=None)
    args = parser.parse_args()
    data = shared_data()
    started = time.perf_counter()
    if not args.corpus.exists():
        write_cluster_corpus(
            corpora=[
                data / "corpora/saudinewsnet/saudinewsnet.jsonl.gz",
                data / "corpora/ant/ant_multisource_v2.1.jsonl.gz",
            ],
            out_path=args.corpus,
            cues=context_cues(load_lexicon()),
        )
        print(f"corpus file {time.perf_counter() - started:.0f} s", flush=True)
    table = ClusterTable.read(
        Path(__file__).resolve().parents[1] / "src/marsad/models/data/ner_clusters.tsv.gz"
    )
    cores: dict[str, str] = {}
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    paragraphs: Counter[str] = Counter()
    lines = 0
    started = time.perf_counter()
    with open(args.corpus, encoding="utf-8") as handle:
        for line in handle:
            lines += 1
            keys = []
            for word in line.split():
                key = cores.get(word)
                if key is None:
                    key = cores[word] = split_clitics(word, table)[1]
                keys.append(key)
            words.update(keys)
            pairs.update(itertools.pairwise(keys))
            paragraphs.update(set(keys))
    total = sum(words.values())
    print(
        f"counted {total} tokens, {len(words)} cores, {len(pairs)} pairs: {time.perf_counter() - started:.0f} s"
    )
    if args.bigrams:
        kept = {pair: count for pair, count in pairs.items() if count >= 3}
        with open(args.bigrams, "wb") as out:
            pickle.dump((dict(words), kept, total), out)
        print(f"{len(kept)} pairs seen at least 3 times -> {args.bigrams}")
    if args.burst:
        with open(args.burst, "wb") as out:
            pickle.dump((dict(words), dict(paragraphs), lines), out)
        print(f"{lines} paragraphs -> {args.burst}")


if __name__ == "__main__":
    main()
