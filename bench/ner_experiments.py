"""NER feature experiments: k-fold cross-validation on the ANERcorp TRAIN split only.

Folds are contiguous blocks of sentences (the corpus has no document ids, and neighbouring
sentences share stories, so random folds would leak names between train and held-out parts).

    nice -n 10 python bench/ner_experiments.py --folds 5 --variants baseline clusters lexicon all
    python bench/ner_experiments.py --speed 2000        # tagging speed on SaudiNewsNet articles
    python bench/ner_experiments.py --test              # the chosen model, once, on the test split

Prints one Markdown table row per variant (CV micro-F1 mean ± sd, per-type F1, train time, size).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import describe_machine, peak_rss_mb
from marsad.evaluate.conll import read_conll, score_entities
from marsad.models.ner import (
    ALL_GROUPS,
    O_THRESHOLD,
    SELFTRAIN_TOKENS,
    FeatureExtractor,
    NerModel,
    corpus_sentences,
    decode,
    iter_sentences,
    load_lexicon,
    propagate_names,
    soft_gazetteer,
    train_crf,
)
from marsad.models.ner_clusters import ClusterTable
from marsad.paths import shared_data

VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {"groups": {"base"}},
    "clusters": {"groups": {"base", "clusters"}},
    "lexicon": {"groups": {"base", "lexicon"}},
    "all": {"groups": set(ALL_GROUPS)},
    "selftrain": {"groups": set(ALL_GROUPS), "selftrain": True},
    "all-c1.2": {"groups": set(ALL_GROUPS), "params": {"c1": 0.2, "c2": 0.05}},
    "all-c2.3": {"groups": set(ALL_GROUPS), "params": {"c1": 0.05, "c2": 0.3}},
    "all-c1.01": {"groups": set(ALL_GROUPS), "params": {"c1": 0.01, "c2": 0.05}},
}


def _data() -> Path:
    data = shared_data()
    if data is None:
        sys.exit("../shared/data not found")
    return data


def cross_validate(
    *,
    name: str,
    folds: int,
    table: ClusterTable | None,
    max_iterations: int | None,
    propagate_window: int = 0,
) -> dict[str, Any]:
    spec = VARIANTS[name]
    groups = frozenset(spec["groups"])
    params = dict(spec.get("params", {}))
    if max_iterations:
        params["max_iterations"] = max_iterations
    sentences, _ = read_conll(_data() / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt")
    bounds = [round(i * len(sentences) / folds) for i in range(folds + 1)]
    scores: list[float] = []
    per_type: dict[str, list[float]] = {}
    seconds: list[float] = []
    sizes: list[int] = []
    by_threshold: dict[str, list[float]] = {}
    by_window: dict[str, list[float]] = {}
    for k in range(folds):
        held = sentences[bounds[k] : bounds[k + 1]]
        train = sentences[: bounds[k]] + sentences[bounds[k + 1] :]
        extractor = FeatureExtractor(
            table=table if "clusters" in groups else None,
            lexicon=load_lexicon() if "lexicon" in groups else None,
            groups=groups,
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fold.crfsuite"
            seconds.append(
                train_crf(
                    sentences=[s.tokens for s in train],
                    tags=[s.tags for s in train],
                    extractor=extractor,
                    model_path=path,
                    params=params,
                )
            )
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            if spec.get("selftrain"):
                started = time.perf_counter()
                soft = soft_gazetteer(tag=tagger.tag, extractor=extractor, sentences=_unlabelled())
                seconds[-1] += time.perf_counter() - started
                extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=groups, soft=soft)
                seconds[-1] += train_crf(
                    sentences=[s.tokens for s in train],
                    tags=[s.tags for s in train],
                    extractor=extractor,
                    model_path=path,
                    params=params,
                )
                tagger = pycrfsuite.Tagger()
                tagger.open(str(path))
            sizes.append(path.stat().st_size)
            feats = [pycrfsuite.ItemSequence(extractor.sentence(s.tokens)) for s in held]
            for threshold in THRESHOLDS:
                pred = [decode(tagger, f, o_threshold=threshold) for f in feats]
                f1 = score_entities([s.tags for s in held], pred).overall.f1
                by_threshold.setdefault(str(threshold), []).append(f1)
            pred = [decode(tagger, f, o_threshold=O_THRESHOLD) for f in feats]
            outside = [_outside(tagger, f) for f in feats]
        keys = [[extractor.core(t) for t in s.tokens] for s in held]
        for window in PROPAGATION_WINDOWS:
            propagated = _propagate(keys, pred, outside, window=window)
            f1 = score_entities([s.tags for s in held], propagated).overall.f1
            by_window.setdefault(str(window), []).append(f1)
        if propagate_window:
            pred = _propagate(keys, pred, outside, window=propagate_window)
        report = score_entities([s.tags for s in held], pred)
        scores.append(report.overall.f1)
        for kind, score in report.per_type.items():
            per_type.setdefault(kind, []).append(score.f1)
        print(f"  {name} fold {k + 1}/{folds}: F1 {report.overall.f1:.4f} ({seconds[-1]:.0f} s)", flush=True)
    return {
        "variant": name,
        "folds": folds,
        "f1": statistics.mean(scores),
        "sd": statistics.stdev(scores) if len(scores) > 1 else 0.0,
        "per_type": {k: statistics.mean(v) for k, v in per_type.items()},
        "train_seconds": statistics.mean(seconds),
        "model_bytes": statistics.mean(sizes),
        "params": params,
        "o_threshold": {k: round(statistics.mean(v), 4) for k, v in by_threshold.items()},
        "propagation_window": {k: round(statistics.mean(v), 4) for k, v in by_window.items()},
        "propagated": propagate_window,
    }


# Pseudo-articles for the document-level step: ANERcorp has no document ids, so blocks of this many
# consecutive sentences stand in for an article (about 300 tokens at 10).
PROPAGATION_WINDOWS = (5, 10, 20)


def _outside(tagger: Any, features: Any) -> list[float]:
    tagger.set(features)
    return [tagger.marginal("O", i) for i in range(len(features))]


def _propagate(
    keys: list[list[str]], tags: list[list[str]], outside: list[list[float]], *, window: int
) -> list[list[str]]:
    out: list[list[str]] = []
    for start in range(0, len(tags), window):
        block = slice(start, start + window)
        out.extend(propagate_names(keys[block], tags[block], outside[block]))
    return out


# Decoding thresholds compared on every fold (None: plain Viterbi).
THRESHOLDS = (None, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5)

_UNLABELLED: list[list[str]] = []


def _unlabelled() -> list[list[str]]:
    if not _UNLABELLED:
        corpora = [
            _data() / "corpora/saudinewsnet/saudinewsnet.jsonl.gz",
            _data() / "corpora/ant/ant_multisource_v2.1.jsonl.gz",
        ]
        _UNLABELLED.extend(corpus_sentences(corpora, max_tokens=SELFTRAIN_TOKENS))
    return _UNLABELLED


def _row(result: dict[str, Any]) -> str:
    types = " | ".join(f"{result['per_type'].get(k, 0.0):.3f}" for k in ("PER", "LOC", "ORG", "MISC"))
    return (
        f"| {result['variant']} | {result['f1']:.4f} ± {result['sd']:.4f} | {types} | "
        f"{result['train_seconds']:.0f} s | {result['model_bytes'] / 1e6:.1f} MB |"
    )


_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def speed(n_articles: int) -> None:
    model = NerModel.load()
    path = _data() / "corpora/saudinewsnet/saudinewsnet.jsonl.gz"
    articles: list[list[list[str]]] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line).get("content") or ""
            articles.append(iter_sentences(_TOKEN_RE.findall(text)))
            if len(articles) >= n_articles:
                break
    tokens = sum(len(s) for a in articles for s in a)
    started = time.perf_counter()
    entities = 0
    for sentences in articles:
        for tags in model.predict(sentences):
            entities += sum(t.startswith("B-") for t in tags)
    seconds = time.perf_counter() - started
    print(
        f"{len(articles)} SaudiNewsNet articles, {tokens} tokens, {entities} entities: {seconds:.1f} s, "
        f"{len(articles) / seconds:.0f} articles/s, {tokens / seconds:.0f} tokens/s (one core, cold cache)"
    )
    print(f"machine: {describe_machine()}; peak RSS {peak_rss_mb():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", nargs="*", default=[], choices=sorted(VARIANTS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-iterations", type=int, default=None)
    parser.add_argument(
        "--propagate", type=int, default=0, help="score with propagate_names over blocks of N sentences"
    )
    parser.add_argument("--clusters", type=Path, default=None, help="cluster table (default: shipped one)")
    parser.add_argument("--speed", type=int, default=0, help="measure tagging speed on N articles")
    parser.add_argument("--test", action="store_true", help="score the shipped model on the test split")
    args = parser.parse_args()
    table_path = (
        args.clusters or Path(__file__).resolve().parents[1] / "src/marsad/models/data/ner_clusters.tsv.gz"
    )
    table = ClusterTable.read(table_path) if args.variants else None
    for name in args.variants:
        result = cross_validate(
            name=name,
            folds=args.folds,
            table=table,
            max_iterations=args.max_iterations,
            propagate_window=args.propagate,
        )
        print(_row(result), flush=True)
        print(json.dumps(result), flush=True)
    if args.speed:
        speed(args.speed)
    if args.test:
        from marsad.evaluate import evaluate_ner, format_report

        print(
            format_report(evaluate_ner(data_path=_data() / "ner/anercorp/ANERCorp_CamelLabRecipe_test.txt"))
        )


if __name__ == "__main__":
    main()
