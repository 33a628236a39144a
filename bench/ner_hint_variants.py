"""Variants of the NER hint network, by 5-fold cross-validation on the ANERcorp TRAIN split only.

Same folds and protocol as ``bench/ner_experiments.py --folds 5 --variants all --propagate 10 --hints
shipped`` (contiguous blocks; hints cross-fitted over each fold's training part; document hints and
propagation over blocks of 10 sentences), so every row is paired fold by fold with the shipped model.
Only the network that gives the hints changes; the CRF and everything after it are the shipped ones.

    OMP_NUM_THREADS=1 python bench/ner_hint_variants.py                   # the shipped settings
    OMP_NUM_THREADS=1 python bench/ner_hint_variants.py --hidden 256      # a wider network
    ... --hidden 128,64                 # two hidden layers
    ... --epochs 8 | --alpha 1e-3       # fewer epochs, a stronger L2 term
    ... --seeds 1,2,3                   # probabilities averaged over networks with three seeds
    ... --oov-vectors [--oov-flag]      # vectors from character n-grams for words outside the table
    ... --lexicon-flags                 # the NER lexicon's word lists as extra network inputs

The network here is scikit-learn's ``MLPClassifier`` with the shipped options, read through
``predict_proba``; with the shipped settings its probabilities equal ``fit_hints``' to 1e-6.
Prints one JSON line per fold and a last line with the mean, the sd and the per-fold F1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from marsad.evaluate import ARTICLE_SENTENCES
from marsad.evaluate.conll import read_conll, score_entities
from marsad.models.ner import (
    ALL_GROUPS,
    HINTS,
    FeatureExtractor,
    load_lexicon,
)
from marsad.models.ner_clusters import ClusterTable, normalise_word
from marsad.models.ner_hints import WordHints, _design, block_features, quantise
from ner_experiments import _data, _propagate, hinted_fold

MODELS = Path(__file__).resolve().parent.parent / "src/marsad/models/data"


def oov_vectors(hints: WordHints, words: Sequence[str], *, alpha: float) -> np.ndarray:
    """Vectors for ``words`` predicted from their character 2-4-grams by a ridge regression fitted
    on the table's own words and vectors (no labels: the unlabelled corpora's vectors only)."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import Ridge

    dim = hints.codes.shape[1]
    vectors = hints._table[: len(hints.words), :dim]
    grams = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=3, dtype=np.float32)
    weights = TfidfTransformer(sublinear_tf=True)
    x = weights.fit_transform(grams.fit_transform(hints.words))
    regression = Ridge(alpha=alpha).fit(x, vectors)
    predicted = regression.predict(weights.transform(grams.transform(list(words))))
    return predicted / (np.linalg.norm(predicted, axis=1, keepdims=True) + 1e-9)


def lexicon_flags(hints: WordHints) -> np.ndarray:
    """Nine 0/1 columns per table row: first name, title, connector, organisation head, place head,
    one-word place, one-word organisation, word of a longer place name, word of a longer organisation."""
    lexicon = load_lexicon()
    single = {phrase[0]: kind for phrase, kind in lexicon.phrases.items() if len(phrase) == 1}
    inside: dict[str, str] = {}
    for phrase, kind in lexicon.phrases.items():
        if len(phrase) > 1:
            for word in phrase:
                inside.setdefault(word, kind)
    lists = [lexicon.first_names, lexicon.titles, lexicon.connectors, lexicon.org_heads, lexicon.loc_heads]
    flags = np.zeros((len(hints._table), 9), np.float32)
    for row, word in enumerate(hints.words):
        flags[row, :5] = [word in words for words in lists]
        flags[row, 5:] = [
            single.get(word) == "LOC",
            single.get(word) == "ORG",
            inside.get(word) == "LOC",
            inside.get(word) == "ORG",
        ]
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hidden", default=str(HINTS["hidden"]), help="hidden layer sizes, comma-separated")
    parser.add_argument("--epochs", type=int, default=HINTS["epochs"])
    parser.add_argument("--alpha", type=float, default=1e-4, help="the network's L2 term")
    parser.add_argument("--seeds", default="1", help="comma-separated; probabilities are averaged")
    parser.add_argument(
        "--oov-vectors", action="store_true", help="n-gram vectors for words outside the table"
    )
    parser.add_argument("--oov-alpha", type=float, default=1.0, help="the n-gram regression's L2 term")
    parser.add_argument(
        "--oov-flag", action="store_true", help="keep the 'no vector' input on for those words"
    )
    parser.add_argument("--lexicon-flags", action="store_true", help="the lexicon's lists as network inputs")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    hidden = tuple(int(size) for size in args.hidden.split(","))
    seeds = [int(seed) for seed in args.seeds.split(",")]
    table = ClusterTable.read(MODELS / "ner_clusters.tsv.gz")
    hints = WordHints.load(MODELS / "ner_hints.npz", words=list(table.entries))
    extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=frozenset(ALL_GROUPS))
    sentences, _ = read_conll(_data() / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt")
    if args.oov_vectors:
        known = set(hints.words)
        missing = sorted(
            {
                normalise_word(token)
                for s in sentences
                for token in s.tokens
                if normalise_word(token) not in known
                and extractor.core(token) not in known
                and any(ch.isalpha() for ch in token)
            }
        )
        codes, scales = quantise(oov_vectors(hints, missing, alpha=args.oov_alpha))
        dim = hints.codes.shape[1]
        hints = WordHints(
            words=hints.words + missing,
            codes=np.concatenate([hints.codes, codes]),
            scales=np.concatenate([hints.scales, scales]),
            weights=hints.weights,
            classes=hints.classes,
            width=hints.width,
        )
        hints._table[len(hints.words) - len(missing) : len(hints.words), dim] = float(args.oov_flag)
        print(f"  {len(missing)} training-file words outside the table get n-gram vectors", flush=True)
    if args.lexicon_flags:
        hints._table = np.concatenate([hints._table, lexicon_flags(hints)], axis=1)
    classes = sorted({tag for s in sentences for tag in s.tags})

    def fit_predict(
        rows: Sequence[Sequence[int]], tags: Sequence[Sequence[str]], targets: Sequence[Sequence[int]]
    ) -> list[Any]:
        x = _design(hints, rows)
        y = np.asarray([tag for sentence in tags for tag in sentence])
        x_target = _design(hints, targets)
        total = np.zeros((len(x_target), len(classes)))
        for seed in seeds:
            network = MLPClassifier(
                hidden_layer_sizes=hidden,
                max_iter=args.epochs,
                random_state=seed,
                batch_size=256,
                alpha=args.alpha,
            )
            with warnings.catch_warnings(), threadpool_limits(limits=1):
                warnings.simplefilter("ignore")
                network.fit(x, y)
            total[:, [classes.index(c) for c in network.classes_]] += network.predict_proba(x_target)
        total /= len(seeds)
        out, start = [], 0
        for sentence in targets:
            out.append(total[start : start + len(sentence)].astype(np.float32))
            start += len(sentence)
        return out

    blocks = {"document": HINTS["document"], "neighbours": bool(HINTS["neighbours"])}
    bounds = [round(i * len(sentences) / args.folds) for i in range(args.folds + 1)]
    scores: list[float] = []
    for k in range(args.folds):
        started = time.perf_counter()
        held = sentences[bounds[k] : bounds[k + 1]]
        train = sentences[: bounds[k]] + sentences[bounds[k + 1] :]
        rows = hints.sentence_rows([s.tokens for s in train], extractor.core)
        tags = [s.tags for s in train]
        # cross-fitted over the fold's training part, as cross_fitted_probabilities does
        inner = [round(i * len(rows) / HINTS["folds"]) for i in range(HINTS["folds"] + 1)]
        probabilities: list[Any] = []
        for low, high in itertools.pairwise(inner):
            probabilities += fit_predict(
                [*rows[:low], *rows[high:]], [*tags[:low], *tags[high:]], rows[low:high]
            )
        held_rows = hints.sentence_rows([s.tokens for s in held], extractor.core)
        held_probabilities = fit_predict(rows, tags, held_rows)
        train_cores = [[extractor.core(t) for t in s.tokens] for s in train]
        held_cores = [[extractor.core(t) for t in s.tokens] for s in held]
        train_hints = block_features(probabilities, classes, train_cores, **blocks)
        held_hints = block_features(held_probabilities, classes, held_cores, **blocks)
        predicted, outside = hinted_fold(
            train=train, held=held, extractor=extractor, train_hints=train_hints, held_hints=held_hints
        )
        gold = [s.tags for s in held]
        crf_alone = score_entities(gold, predicted).overall.f1
        f1 = score_entities(
            gold, _propagate(held_cores, predicted, outside, window=ARTICLE_SENTENCES)
        ).overall.f1
        scores.append(f1)
        line = {"fold": k, "crf": round(crf_alone, 4), "f1": round(f1, 4)}
        print(json.dumps({**line, "seconds": round(time.perf_counter() - started)}), flush=True)
    summary = {
        "args": vars(args),
        "f1": round(statistics.mean(scores), 4),
        "sd": round(statistics.stdev(scores), 4) if len(scores) > 1 else 0.0,
        "per_fold": [round(s, 4) for s in scores],
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    sys.exit(main())
