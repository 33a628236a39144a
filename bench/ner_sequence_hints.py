"""Round seven: a sentence network (BiLSTM) beside the window hint network, by 5-fold CV on the
ANERcorp TRAIN split only.

Same folds and protocol as ``bench/ner_experiments.py --folds 5 --variants all --propagate 10 --hints
shipped`` (contiguous blocks; hints cross-fitted over each fold's training part; document hints and
propagation over blocks of 10 sentences). For each fold it trains the window network as shipped
(:func:`cross_fitted_probabilities`, :func:`fit_hints`), the sentence network of
:mod:`marsad.models.ner_sequence` the same way (:func:`cross_fitted_sequence`, six trainings in two
processes), and scores the CRF with:

- ``reference``: the window network's hints alone (the shipped model's protocol);
- ``mean``: the mean of the two networks' distributions as the hints (``train_ner(sequence=True)``);
- ``extra`` (``--all``): the window hints, plus the sentence network's as separate ``shint=`` features;
- ``replace`` (``--all``): the sentence network's distributions instead of the window network's.

Needs PyTorch (the ``train`` extra). About 5 minutes a fold on this machine's two cores.

    OMP_NUM_THREADS=1 python bench/ner_sequence_hints.py [--hidden 64] [--epochs 12] [--all] [--folds-run 0,1]

Prints one JSON line per fold and a last line with each variant's mean, sd and per-fold F1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from marsad.evaluate import ARTICLE_SENTENCES
from marsad.evaluate.conll import read_conll, score_entities
from marsad.models.ner import (
    ALL_GROUPS,
    HINTS,
    SEQUENCE_HINTS,
    FeatureExtractor,
    load_lexicon,
)
from marsad.models.ner_clusters import ClusterTable
from marsad.models.ner_hints import (
    MIN_HINT,
    WordHints,
    align_columns,
    block_features,
    cross_fitted_probabilities,
    fit_hints,
    mean_hints,
)
from marsad.models.ner_sequence import cross_fitted_sequence
from ner_experiments import _data, _propagate, hinted_fold

MODELS = Path(__file__).resolve().parent.parent / "src/marsad/models/data"


def _extra(probabilities: list[Any], classes: list[str]) -> list[list[dict[str, float]]]:
    keep = [k for k, label in enumerate(classes) if label != "O"]
    return [
        [{"shint=" + classes[k]: row[k] for k in keep if row[k] >= MIN_HINT} for row in table.tolist()]
        for table in probabilities
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hidden", type=int, default=SEQUENCE_HINTS["hidden"])
    parser.add_argument("--epochs", type=int, default=SEQUENCE_HINTS["epochs"])
    parser.add_argument("--all", action="store_true", help="also the extra and replace variants")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--folds-run", default="", help="comma-separated folds to run (default: all)")
    args = parser.parse_args()

    table = ClusterTable.read(MODELS / "ner_clusters.tsv.gz")
    hints = WordHints.load(MODELS / "ner_hints.npz", words=list(table.entries))
    extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=frozenset(ALL_GROUPS))
    sentences, _ = read_conll(_data() / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt")
    blocks = {"document": HINTS["document"], "neighbours": bool(HINTS["neighbours"])}
    options = {"hidden": HINTS["hidden"], "epochs": HINTS["epochs"]}
    bounds = [round(i * len(sentences) / args.folds) for i in range(args.folds + 1)]
    run = [int(k) for k in args.folds_run.split(",")] if args.folds_run else list(range(args.folds))
    variants = ["reference", "mean"] + (["extra", "replace"] if args.all else [])
    scores: dict[str, list[float]] = {name: [] for name in variants}
    for k in run:
        started = time.perf_counter()
        held = sentences[bounds[k] : bounds[k + 1]]
        train = sentences[: bounds[k]] + sentences[bounds[k + 1] :]
        tokens = [s.tokens for s in train]
        tags = [s.tags for s in train]
        rows = hints.sentence_rows(tokens, extractor.core)
        window, classes = cross_fitted_probabilities(
            rows=rows, tags=tags, template=hints, folds=HINTS["folds"], **options
        )
        network = fit_hints(rows=rows, tags=tags, template=hints, **options)
        held_window = network.probabilities(hints.sentence_rows([s.tokens for s in held], extractor.core))
        held_window = align_columns(held_window, network.classes, classes)
        sentence, sentence_classes, sentence_network = cross_fitted_sequence(
            sentences=tokens,
            tags=tags,
            table=hints,
            core=extractor.core,
            folds=HINTS["folds"],
            hidden=args.hidden,
            epochs=args.epochs,
        )
        sentence = align_columns(sentence, sentence_classes, classes)
        held_sentence = sentence_network.sentence_probabilities([s.tokens for s in held], extractor.core)
        held_sentence = align_columns(held_sentence, sentence_network.classes, classes)
        train_cores = [[extractor.core(t) for t in s.tokens] for s in train]
        held_cores = [[extractor.core(t) for t in s.tokens] for s in held]
        gold = [s.tags for s in held]
        line: dict[str, Any] = {"fold": k}
        for name in variants:
            if name == "reference":
                train_p, held_p = window, held_window
            elif name == "replace":
                train_p, held_p = sentence, held_sentence
            else:  # mean, and extra's base
                train_p = mean_hints(window, classes, sentence, classes) if name == "mean" else window
                held_p = (
                    mean_hints(held_window, classes, held_sentence, classes)
                    if name == "mean"
                    else held_window
                )
            train_hints = block_features(train_p, classes, train_cores, **blocks)
            held_hints = block_features(held_p, classes, held_cores, **blocks)
            if name == "extra":
                for features, added in zip(
                    train_hints + held_hints,
                    _extra(sentence, classes) + _extra(held_sentence, classes),
                    strict=True,
                ):
                    for item, more in zip(features, added, strict=True):
                        item.update(more)
            predicted, outside = hinted_fold(
                train=train, held=held, extractor=extractor, train_hints=train_hints, held_hints=held_hints
            )
            f1 = score_entities(
                gold, _propagate(held_cores, predicted, outside, window=ARTICLE_SENTENCES)
            ).overall.f1
            scores[name].append(f1)
            line[name] = round(f1, 4)
        print(json.dumps({**line, "seconds": round(time.perf_counter() - started)}), flush=True)
    summary: dict[str, Any] = {"args": vars(args)}
    for name, values in scores.items():
        summary[name] = {
            "f1": round(statistics.mean(values), 4),
            "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "per_fold": [round(v, 4) for v in values],
        }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
