"""NER feature experiments: k-fold cross-validation on the ANERcorp TRAIN split only.

Folds are contiguous blocks of sentences (the corpus has no document ids, and neighbouring
sentences share stories, so random folds would leak names between train and held-out parts).

    nice -n 10 python bench/ner_experiments.py --folds 5 --variants baseline clusters lexicon all
    nice -n 10 python bench/ner_experiments.py --folds 5 --variants all --propagate 10   # round-two row
    nice -n 10 python bench/ner_experiments.py --folds 5 --variants all --propagate 10 --hints shipped   # shipped
    ... --hints shipped --crf c2=0.3 --hint-option document=0   # other CRF parameters, no document hints
    nice -n 10 python bench/ner_experiments.py --folds 5 --twopass 10   # second-pass CRF, cross-fitted
    python bench/ner_experiments.py --speed 2000        # tagging speed on SaudiNewsNet articles
    python bench/ner_experiments.py --test              # the chosen model, once, on the test split

Prints one Markdown table row per variant (CV micro-F1 mean ± sd, per-type F1, train time, size).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from _machine import describe_machine, peak_rss_mb
from marsad.evaluate.conll import read_conll, score_entities
from marsad.models.ner import (
    ALL_GROUPS,
    HINT_PARAMS,
    HINTS,
    O_THRESHOLD,
    SELFTRAIN_TOKENS,
    FeatureExtractor,
    NerModel,
    _silver_sentences,
    _spans,
    corpus_sentences,
    decode,
    document_features,
    iter_sentences,
    load_lexicon,
    propagate_names,
    sample_hints,
    soft_gazetteer,
    train_crf,
    with_hints,
)
from marsad.models.ner_clusters import ClusterTable, normalise_word
from marsad.models.ner_hints import (
    WordHints,
    block_features,
    cross_fitted_probabilities,
    fit_hints,
    mean_hints,
)
from marsad.paths import shared_data

VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": {"groups": {"base"}},
    "clusters": {"groups": {"base", "clusters"}},
    "lexicon": {"groups": {"base", "lexicon"}},
    "all": {"groups": set(ALL_GROUPS)},
    "all+affix": {"groups": {*ALL_GROUPS, "affix"}},
    "all+doccues": {"groups": set(ALL_GROUPS), "doccues": True},
    "all+bioes": {"groups": set(ALL_GROUPS), "bioes": True},
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


# round thirteen: the least corpus count of a pair with a collocation code, and the PMI bucket width
PAIR_MIN = int(os.environ.get("PAIR_MIN", "3"))
PAIR_STEP = int(os.environ.get("PAIR_STEP", "2"))


class Collocations(FeatureExtractor):
    """Round thirteen: how strongly each pair of neighbouring words holds together in the unlabelled
    corpora. ``bigrams`` is (core counts, core-pair counts of at least 3, total tokens), as the
    throwaway counter writes it. Token i gets the pointwise mutual information and the count of the
    pair it makes with the word before (``bp-=``, ``bc-=``) and with the word after (``bp+=``,
    ``bc+=``), bucketed; a pair the corpora have fewer than 3 times gets ``bp±=none``. Names of
    several words are strong pairs (ديفيد كاميرون), a name and the verb after it weak ones."""

    def __init__(
        self,
        *,
        bigrams: tuple[dict[str, int], dict[tuple[str, str], int], int] | None,
        burst: tuple[dict[str, int], dict[str, int], int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.unigrams, self.pairs, self.total = bigrams or ({}, {}, 0)
        self.use_pairs = bigrams is not None
        # residual IDF (Church and Gale): how much more a word clusters in few paragraphs than a
        # Poisson spread of its count predicts; names and topic words are bursty, function words not
        self.burst: dict[str, str] = {}
        if burst is not None:
            counts, paragraphs, n = burst
            for word, count in counts.items():
                if count >= 3:
                    ridf = -math.log2(paragraphs[word] / n) + math.log2(-math.expm1(-count / n))
                    self.burst[word] = f"rb={max(0, min(int(ridf * 2), 8))}"

    def _pair(self, left: str, right: str, side: str) -> list[str]:
        count = self.pairs.get((left, right), 0)
        if count < PAIR_MIN:
            return [f"bp{side}=none"]
        pmi = math.log(count * self.total / (self.unigrams[left] * self.unigrams[right]))
        if PAIR_STEP == 1:
            return [f"bp{side}={max(-2, min(int(pmi), 12))}", f"bc{side}={min(int(math.log10(count)), 4)}"]
        return [f"bp{side}={max(-1, min(int(pmi // 2), 6))}", f"bc{side}={min(int(math.log10(count)), 4)}"]

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        out = super().sentence(tokens)
        cores = [self._lookup(t)[5] for t in tokens]
        if self.burst:
            for core, feats in zip(cores, out, strict=True):
                feats.append(self.burst.get(core, "rb=none"))
        if not self.use_pairs:
            return out
        for i, feats in enumerate(out):
            if i >= 1:
                feats.extend(self._pair(cores[i - 1], cores[i], "-"))
            if i + 1 < len(cores):
                feats.extend(self._pair(cores[i], cores[i + 1], "+"))
        return out


class WordDropout(FeatureExtractor):
    """Round thirteen: a training-only view of the extractor that hides the identity of rare words.

    A name the test text has and the training text lacks reaches the CRF without its word and stem
    features (their strings were never seen, so they carry no weight); a training word that occurs
    once reaches it with them, and the CRF learns to lean on them. Here each occurrence of a word
    whose core the training part has at most ``rare`` times loses, with probability ``p`` (a seeded
    draw per occurrence, in reading order), every feature its word or stem string makes: its own
    ``w=``/``st=``, its neighbours' views of them (``-1:w=`` … ``+2:st=``) and the word bigrams it
    is part of. Affixes, clusters, cues, the gazetteer and the hints stay, as they do for an unseen
    word."""

    def __init__(self, *, rare: int, p: float, counts: Counter[str], seed: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import random

        self.rare = rare
        self.p = p
        self.counts = counts
        self.rng = random.Random(seed)
        self.dropped = 0

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        words = [self._lookup(t) for t in tokens]
        marks = self._gazetteer(words)
        hide = [self.counts[w[5]] <= self.rare and self.rng.random() < self.p for w in words]
        self.dropped += sum(hide)

        def strip(features: list[str], hidden: bool) -> list[str]:
            if not hidden:
                return features
            return [f for f in features if not re.match(r"^(?:[-+][12]:)?(?:w|st)=", f)]

        n = len(words)
        out: list[list[str]] = []
        for i, word in enumerate(words):
            feats = ["bias", *strip(word[2], hide[i])]
            if i >= 1:
                feats.extend(strip(words[i - 1][1], hide[i - 1]))
                if not (hide[i - 1] or hide[i]):
                    feats.append(f"-1|0:{words[i - 1][5]}|{word[5]}")
            else:
                feats.append("BOS")
            if i >= 2:
                feats.extend(strip(words[i - 2][0], hide[i - 2]))
            if i + 1 < n:
                feats.extend(strip(words[i + 1][3], hide[i + 1]))
            else:
                feats.append("EOS")
            if i + 2 < n:
                feats.extend(strip(words[i + 2][4], hide[i + 2]))
            if marks[i]:
                feats.append(marks[i])
                if i + 1 < n and marks[i + 1].endswith("-I"):
                    feats.append("gz_continues")
            out.append(feats)
        return out


def cross_validate(
    *,
    name: str,
    folds: int,
    table: ClusterTable | None,
    max_iterations: int | None,
    propagate_window: int = 0,
    hints: WordHints | None = None,
    silver: list[Path] | None = None,
    second_hints: WordHints | None = None,
    merge: str = "mean",
    rare: int = 0,
    dropout: tuple[int, float] | None = None,
    bigrams: Any = None,
    burst: Any = None,
    pairs: Any = None,
) -> dict[str, Any]:
    """``hints``: a vector table (``WordHints.template``) to train the word-vector hint network on,
    per fold: the CRF learns from hints cross-fitted over the fold's training part, as ``train_ner``
    does, and the held-out part gets the hints of a network trained on the whole training part."""
    spec = VARIANTS[name]
    groups = frozenset(spec["groups"])
    # a CRF with hints starts from the shipped model's parameters (HINT_PARAMS), one without from DEFAULT_PARAMS
    params = {**(HINT_PARAMS if hints is not None else {}), **spec.get("params", {})}
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
        extractor = (
            FeatureExtractor
            if bigrams is None and burst is None
            else partial(Collocations, bigrams=bigrams, burst=burst)
        )(
            table=table if "clusters" in groups else None,
            lexicon=load_lexicon() if "lexicon" in groups else None,
            groups=groups,
            pairs=pairs,
        )
        train_extra = held_extra = None
        train_hints = held_hints = None
        if hints is not None:
            started = time.perf_counter()
            options = {"hidden": HINTS["hidden"], "epochs": HINTS["epochs"]}
            rows = hints.sentence_rows([s.tokens for s in train], extractor.core)
            train_tags = [s.tags for s in train]
            probabilities, classes = cross_fitted_probabilities(
                rows=rows, tags=train_tags, template=hints, folds=HINTS["folds"], **options
            )
            network = fit_hints(rows=rows, tags=train_tags, template=hints, **options)
            held_rows = hints.sentence_rows([s.tokens for s in held], extractor.core)
            held_probabilities = network.probabilities(held_rows)
            # document hints (HINTS["document"]): blocks of that many sentences read as articles, on
            # both sides, as train_ner does on the training file and evaluate_ner on a test file
            blocks = {"document": HINTS.get("document") or 0, "neighbours": bool(HINTS.get("neighbours"))}
            train_cores = [[extractor.core(t) for t in s.tokens] for s in train]
            held_cores = [[extractor.core(t) for t in s.tokens] for s in held]
            if second_hints is not None:
                # round twelve: a second network over a second draw of the word vectors
                rows2 = second_hints.sentence_rows([s.tokens for s in train], extractor.core)
                probabilities2, classes2 = cross_fitted_probabilities(
                    rows=rows2, tags=train_tags, template=second_hints, folds=HINTS["folds"], **options
                )
                network2 = fit_hints(rows=rows2, tags=train_tags, template=second_hints, **options)
                held2 = network2.probabilities(
                    second_hints.sentence_rows([s.tokens for s in held], extractor.core)
                )
                if merge == "mean":
                    probabilities = mean_hints(probabilities, classes, probabilities2, classes2)
                    held_probabilities = mean_hints(
                        held_probabilities, network.classes, held2, network2.classes
                    )
            train_hints = block_features(probabilities, classes, train_cores, **blocks)
            held_hints = block_features(held_probabilities, network.classes, held_cores, **blocks)
            if second_hints is not None and merge == "separate":
                for ours, theirs in (
                    (train_hints, block_features(probabilities2, classes2, train_cores, **blocks)),
                    (held_hints, block_features(held2, network2.classes, held_cores, **blocks)),
                ):
                    for sentence, other in zip(ours, theirs, strict=True):
                        for token, more in zip(sentence, other, strict=True):
                            token.update({"2" + key: value for key, value in more.items()})
            if rare:
                # round twelve: hints again under their own names (r:hint=…) for words the training
                # part has at most ``rare`` times (a held-out word it never had: 0), so the CRF can
                # trust the hints of rare words more than those of words it knows
                counts = Counter(key for sentence in train_cores for key in sentence)
                for cores_, hinted in ((train_cores, train_hints), (held_cores, held_hints)):
                    for sentence_cores, sentence in zip(cores_, hinted, strict=True):
                        for key, token in zip(sentence_cores, sentence, strict=True):
                            if counts[key] <= rare:
                                token.update({"r:" + name: value for name, value in list(token.items())})
            print(f"  hints {time.perf_counter() - started:.0f} s", flush=True)
        if spec.get("doccues"):
            train_extra = _doc_cues(extractor, [s.tokens for s in train], window=DOC_WINDOW)
            held_extra = _doc_cues(extractor, [s.tokens for s in held], window=DOC_WINDOW)
        train_extractor = extractor
        if dropout is not None:
            counts = Counter(extractor.core(t) for s in train for t in s.tokens)
            train_extractor = WordDropout(
                rare=dropout[0],
                p=dropout[1],
                counts=counts,
                table=extractor.table,
                lexicon=extractor.lexicon,
                groups=groups,
            )
            if pairs is not None or bigrams is not None or burst is not None:
                raise SystemExit("--word-dropout does not combine with the collocation features")
            train_extractor.split_table = extractor.split_table
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fold.crfsuite"
            seconds.append(
                train_crf(
                    sentences=[s.tokens for s in train],
                    tags=[to_bioes(s.tags) if spec.get("bioes") else s.tags for s in train],
                    extractor=train_extractor,
                    model_path=path,
                    params=params,
                    extra=train_extra,
                    weighted=train_hints,
                )
            )
            import pycrfsuite

            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            if silver and hints is not None and train_hints is not None:
                # round nine: the fold's CRF tags corpus sentences; the CRF is trained again on both
                started = time.perf_counter()
                extra_tokens, extra_tags, extra_hints = _silver_sentences(
                    silver, extractor=extractor, template=hints, network=network, model_path=path
                )
                seconds[-1] += time.perf_counter() - started
                seconds[-1] += train_crf(
                    sentences=[*(s.tokens for s in train), *extra_tokens],
                    tags=[*(s.tags for s in train), *extra_tags],
                    extractor=extractor,
                    model_path=path,
                    params=params,
                    weighted=[*train_hints, *extra_hints],
                )
                tagger = pycrfsuite.Tagger()
                tagger.open(str(path))
            if spec.get("selftrain"):
                # round one: the soft gazetteer from the fold model's tags of unlabelled text, and the
                # CRF trained again with it; round ten: the same from a model with hints (hints on the
                # tagged text too), the CRF trained again with its hints
                started = time.perf_counter()
                if train_hints is not None:
                    soft = _soft_with_hints(tagger, extractor, network)
                else:
                    soft = soft_gazetteer(tag=tagger.tag, extractor=extractor, sentences=_unlabelled())
                seconds[-1] += time.perf_counter() - started
                extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=groups, soft=soft)
                seconds[-1] += train_crf(
                    sentences=[s.tokens for s in train],
                    tags=[s.tags for s in train],
                    extractor=extractor,
                    model_path=path,
                    params=params,
                    weighted=train_hints,
                )
                tagger = pycrfsuite.Tagger()
                tagger.open(str(path))
            sizes.append(path.stat().st_size)
            feats = [
                pycrfsuite.ItemSequence(
                    _with_extra(extractor.sentence(s.tokens), held_extra, n)
                    if held_hints is None
                    else with_hints(extractor.sentence(s.tokens), held_hints[n])
                )
                for n, s in enumerate(held)
            ]
            for threshold in THRESHOLDS:
                pred = [decode(tagger, f, o_threshold=threshold) for f in feats]
                if spec.get("bioes"):
                    # (the threshold repair assumes BIO; only "None", plain Viterbi, is meaningful here)
                    pred = [from_bioes(tags) for tags in pred]
                f1 = score_entities([s.tags for s in held], pred).overall.f1
                by_threshold.setdefault(str(threshold), []).append(f1)
            pred = [decode(tagger, f, o_threshold=O_THRESHOLD) for f in feats]
            if spec.get("bioes"):
                pred = [from_bioes(tags) for tags in pred]
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
        if isinstance(train_extractor, WordDropout):
            print(f"  word dropout: {train_extractor.dropped} occurrences hidden", flush=True)
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


def cross_validate_twopass(
    *, folds: int, table: ClusterTable | None, window: int, owns: tuple[bool, ...] = (False, True)
) -> dict[str, Any]:
    """A second-pass CRF with document-level features (``document_features``), cross-fitted.

    For outer fold k, the second pass trains on the other blocks with first-pass tags that come
    from models that saw neither that block nor block k (one model per pair of blocks), and is
    scored on block k with the first-pass tags of the model trained on every block but k. Blocks
    of ``window`` consecutive sentences stand in for articles, as for propagation.
    """
    import pycrfsuite

    sentences, _ = read_conll(_data() / "ner/anercorp/ANERCorp_CamelLabRecipe_train.txt")
    bounds = [round(i * len(sentences) / folds) for i in range(folds + 1)]
    blocks = [sentences[bounds[k] : bounds[k + 1]] for k in range(folds)]
    extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=ALL_GROUPS)
    tmp = tempfile.TemporaryDirectory()
    models: dict[frozenset[int], Path] = {}
    passes: dict[tuple[frozenset[int], int], tuple[list[list[str]], list[list[float]]]] = {}

    def model_without(excluded: frozenset[int]) -> Path:
        if excluded not in models:
            path = Path(tmp.name) / ("m" + "-".join(map(str, sorted(excluded))) + ".crfsuite")
            train = [s for j in range(folds) if j not in excluded for s in blocks[j]]
            seconds = train_crf(
                sentences=[s.tokens for s in train],
                tags=[s.tags for s in train],
                extractor=extractor,
                model_path=path,
            )
            print(f"  first pass without {sorted(excluded)}: {seconds:.0f} s", flush=True)
            models[excluded] = path
        return models[excluded]

    def first_pass(excluded: frozenset[int], block: int) -> tuple[list[list[str]], list[list[float]]]:
        if (excluded, block) not in passes:
            tagger = pycrfsuite.Tagger()
            tagger.open(str(model_without(excluded)))
            feats = [pycrfsuite.ItemSequence(extractor.sentence(s.tokens)) for s in blocks[block]]
            passes[(excluded, block)] = (
                [decode(tagger, f, o_threshold=None) for f in feats],
                [_outside(tagger, f) for f in feats],
            )
        return passes[(excluded, block)]

    def doc_feats(
        block: int, tags: list[list[str]], outside: list[list[float]], own: bool
    ) -> list[list[list[str]]]:
        keys = [[extractor.core(t) for t in s.tokens] for s in blocks[block]]
        out: list[list[list[str]]] = []
        for start in range(0, len(tags), window):
            part = slice(start, start + window)
            out.extend(document_features(keys[part], tags[part], outside[part], own=own))
        return out

    scores: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    for k in range(folds):
        held = blocks[k]
        gold = [s.tags for s in held]
        keys = [[extractor.core(t) for t in s.tokens] for s in held]
        tags1, out1 = first_pass(frozenset({k}), k)
        scores.setdefault("first", []).append(score_entities(gold, tags1).overall.f1)
        prop1 = _propagate(keys, tags1, out1, window=window)
        scores.setdefault("first+prop", []).append(score_entities(gold, prop1).overall.f1)
        others = [j for j in range(folds) if j != k]
        for own in owns:
            name = "second" + ("+own" if own else "")
            train = [s for j in others for s in blocks[j]]
            extra = [f for j in others for f in doc_feats(j, *first_pass(frozenset({j, k}), j), own)]
            path = Path(tmp.name) / f"second{k}{int(own)}.crfsuite"
            seconds.setdefault(name, []).append(
                train_crf(
                    sentences=[s.tokens for s in train],
                    tags=[s.tags for s in train],
                    extractor=extractor,
                    model_path=path,
                    extra=extra,
                )
            )
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            held_extra = doc_feats(k, tags1, out1, own)
            feats = []
            for s, added in zip(held, held_extra, strict=True):
                items = extractor.sentence(s.tokens)
                for item, more in zip(items, added, strict=True):
                    item.extend(more)
                feats.append(pycrfsuite.ItemSequence(items))
            tags2 = [decode(tagger, f, o_threshold=None) for f in feats]
            out2 = [_outside(tagger, f) for f in feats]
            scores.setdefault(name, []).append(score_entities(gold, tags2).overall.f1)
            report = score_entities(gold, _propagate(keys, tags2, out2, window=window))
            scores.setdefault(name + "+prop", []).append(report.overall.f1)
            per = {kind: round(v.f1, 3) for kind, v in report.per_type.items()}
            print(f"  fold {k + 1}: {name}+prop per type {per}", flush=True)
        print(
            f"  fold {k + 1}/{folds}: " + ", ".join(f"{n} {v[-1]:.4f}" for n, v in scores.items()), flush=True
        )
    tmp.cleanup()
    return {
        "variant": "twopass",
        "window": window,
        "folds": folds,
        "per_fold": {n: [round(x, 4) for x in v] for n, v in scores.items()},
        "f1": {n: round(statistics.mean(v), 4) for n, v in scores.items()},
        "sd": {n: round(statistics.stdev(v), 4) for n, v in scores.items()},
        "train_seconds": {n: round(statistics.mean(v), 1) for n, v in seconds.items()},
    }


# Blocks of sentences read as articles by the document cue features (as propagation's W = 10).
DOC_WINDOW = 10


# Cue bits of a word (document_cues): what it tells about the next word.
CUE_BITS = {"title": 1, "fname": 2, "conn": 4, "lochead": 8, "orghead": 16}
_PLACE_WORDS = frozenset(normalise_word(w) for w in ("في", "إلى", "بمدينة", "العاصمة", "مدينة"))


def cue_bits(own: Sequence[str], core: str) -> int:
    """A word's cue bits from its own features (as ``FeatureExtractor`` lists them) and core."""
    bits = 0
    for name in own:
        bits |= CUE_BITS.get(name, 0)
    if core in _PLACE_WORDS:
        bits |= CUE_BITS["lochead"]
    return bits


_CUE_NAMES = (("title", 1), ("fname", 2), ("conn", 4), ("place", 8), ("org", 16))


def document_cues(keys: Sequence[Sequence[str]], bits: Sequence[Sequence[int]]) -> list[list[list[str]]]:
    """Document-level context cues, from the words alone (no first pass): for each token, the cues
    that stood right before the *other* mentions of its key in the article (``dc=title`` when a
    title preceded one, ``dc=fname`` a first name, ``dc=conn`` بن/أبو …, ``dc=place`` a place
    word or preposition, ``dc=org`` an organisation head), and ``dn=conn`` when a connector
    followed one. ``bits`` are the tokens' :func:`cue_bits`. Words without letters get none."""
    before: dict[str, list[int]] = {}
    after: dict[str, int] = {}
    for sentence_keys, sentence_bits in zip(keys, bits, strict=True):
        previous = 0
        for i, key in enumerate(sentence_keys):
            counts = before.get(key)
            if counts is None:
                counts = before[key] = [0, 0, 0, 0, 0, 0]
            counts[5] += 1
            if previous:
                for k, (_, bit) in enumerate(_CUE_NAMES):
                    if previous & bit:
                        counts[k] += 1
            if i + 1 < len(sentence_bits) and sentence_bits[i + 1] & 4:
                after[key] = after.get(key, 0) + 1
            previous = sentence_bits[i]
    out: list[list[list[str]]] = []
    for sentence_keys, sentence_bits in zip(keys, bits, strict=True):
        features: list[list[str]] = []
        previous = 0
        for i, key in enumerate(sentence_keys):
            counts = before[key]
            feats: list[str] = []
            if counts[5] > 1 and any(ch.isalpha() for ch in key):
                for k, (name, bit) in enumerate(_CUE_NAMES):
                    if counts[k] - (1 if previous & bit else 0) > 0:
                        feats.append(f"dc={name}")
                own_after = 1 if i + 1 < len(sentence_bits) and sentence_bits[i + 1] & 4 else 0
                if after.get(key, 0) - own_after > 0:
                    feats.append("dn=conn")
            features.append(feats)
            previous = sentence_bits[i]
        out.append(features)
    return out


def to_bioes(tags: Sequence[str]) -> list[str]:
    """BIO tags in the BIOES scheme (S- for a one-token entity, E- for an entity's last token)."""
    out = []
    for start, end, kind in _spans(tags):
        if end - start == 1:
            out.append((start, f"S-{kind}"))
        else:
            out.append((start, f"B-{kind}"))
            out.extend((j, f"I-{kind}") for j in range(start + 1, end - 1))
            out.append((end - 1, f"E-{kind}"))
    result = ["O"] * len(tags)
    for position, tag in out:
        result[position] = tag
    return result


def from_bioes(tags: Sequence[str]) -> list[str]:
    """BIOES tags back to BIO (S- is B-, E- is I-); scoring reads the result as conlleval does."""
    out = []
    for tag in tags:
        if tag.startswith("S-"):
            out.append("B-" + tag[2:])
        elif tag.startswith("E-"):
            out.append("I-" + tag[2:])
        else:
            out.append(tag)
    return out


def _doc_cues(
    extractor: FeatureExtractor, sentences: list[list[str]], *, window: int
) -> list[list[list[str]]]:
    keys = [[extractor.core(t) for t in s] for s in sentences]
    bits = [[cue_bits(extractor._lookup(t)[2], extractor.core(t)) for t in s] for s in sentences]
    out: list[list[list[str]]] = []
    for start in range(0, len(sentences), window):
        part = slice(start, start + window)
        out.extend(document_cues(keys[part], bits[part]))
    return out


def _with_extra(items: list[list[str]], extra: list[list[list[str]]] | None, number: int) -> list[list[str]]:
    if extra is not None:
        for item, added in zip(items, extra[number], strict=True):
            item.extend(added)
    return items


# Pseudo-articles for the document-level step: ANERcorp has no document ids, so blocks of this many
# consecutive sentences stand in for an article (about 300 tokens at 10).
PROPAGATION_WINDOWS = (5, 10, 20)


def _outside(tagger: Any, features: Any) -> list[float]:
    tagger.set(features)
    return [tagger.marginal("O", i) for i in range(len(features))]


def hinted_fold(
    *,
    train: Sequence[Any],
    held: Sequence[Any],
    extractor: FeatureExtractor,
    train_hints: Sequence[Sequence[dict[str, float]]],
    held_hints: Sequence[Sequence[dict[str, float]]],
) -> tuple[list[list[str]], list[list[float]]]:
    """Train the CRF with hints (``HINT_PARAMS``) on ``train``'s sentences and tag ``held``'s: the
    decoded tags and each token's marginal P(O), for :func:`_propagate`."""
    import pycrfsuite

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fold.crfsuite"
        train_crf(
            sentences=[s.tokens for s in train],
            tags=[s.tags for s in train],
            extractor=extractor,
            model_path=path,
            params=dict(HINT_PARAMS),
            weighted=train_hints,
        )
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        features = [
            pycrfsuite.ItemSequence(with_hints(extractor.sentence(s.tokens), held_hints[n]))
            for n, s in enumerate(held)
        ]
        predicted = [decode(tagger, f, o_threshold=O_THRESHOLD) for f in features]
        outside = [_outside(tagger, f) for f in features]
    return predicted, outside


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


# round ten: the sample the model with hints tags for its soft gazetteer (--soft-sample N,S)
SOFT_SAMPLE = {"max_tokens": 600_000, "stride": 4}


def _soft_with_hints(
    tagger: Any, extractor: FeatureExtractor, network: WordHints
) -> dict[str, tuple[float, ...]]:
    """``soft_gazetteer`` with the tags of a model with hints: SaudiNewsNet's ``SOFT_SAMPLE`` tagged with
    hints and document hints as in training; each word's share of each type, as round one counted it."""
    import pycrfsuite

    sample = corpus_sentences(
        [_data() / "corpora/saudinewsnet/saudinewsnet.jsonl.gz"],
        max_tokens=SOFT_SAMPLE["max_tokens"],
        stride=SOFT_SAMPLE["stride"],
    )
    weighted = sample_hints(sample, extractor=extractor, network=network)
    labelled = (
        (tokens, tagger.tag(pycrfsuite.ItemSequence(with_hints(extractor.sentence(tokens), hints))))
        for tokens, hints in zip(sample, weighted, strict=True)
    )
    return soft_gazetteer(tag=None, extractor=extractor, sentences=(), tagged=labelled)


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


def _hint_template(vectors_path: Path, table_path: Path, top: int = 0) -> WordHints:
    """A hint table over the vectors of the cluster table's words, or with ``top`` the vectors' ``top``
    most frequent words with a letter (round twelve; the first 80,000 are the table's; -1: all)."""
    from gensim.models import KeyedVectors

    vectors = KeyedVectors.load(str(vectors_path))
    words = list(ClusterTable.read(table_path).entries)
    if top:
        lettered = [w for w in vectors.index_to_key if any(ch.isalpha() for ch in w)]
        words = lettered[: top if top > 0 else None]
    return WordHints.template(words=words, vectors=[vectors[w] for w in words], width=HINTS["width"])


def _pair_table(name: str | None) -> Any:
    if name is None:
        return None
    from marsad.models.ner_pairs import PairTable

    if name == "shipped":
        return PairTable.load(Path(__file__).resolve().parents[1] / "src/marsad/models/data/ner_pairs.npz")
    return PairTable.load(Path(name))


def _load_pickle(path: Path) -> Any:
    import pickle

    with open(path, "rb") as handle:
        return pickle.load(handle)


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
    parser.add_argument(
        "--twopass",
        type=int,
        default=0,
        help="second-pass CRF with document features over blocks of N sentences",
    )
    parser.add_argument("--clusters", type=Path, default=None, help="cluster table (default: shipped one)")
    parser.add_argument(
        "--hints",
        type=Path,
        default=None,
        help="word vectors (gensim KeyedVectors) for the hint network; 'shipped' uses the shipped table",
    )
    parser.add_argument(
        "--hints2",
        type=Path,
        default=None,
        help="round twelve: a second draw of word vectors for a second hint network (with --hints VECTORS)",
    )
    parser.add_argument(
        "--hint-words",
        type=int,
        default=0,
        help="round twelve: the hint table holds the N most frequent words of --hints VECTORS (-1: all)",
    )
    parser.add_argument(
        "--hint-rare",
        type=int,
        default=0,
        metavar="N",
        help="round twelve: hints again as r:hint=… for words the fold's training part has at most N times",
    )
    parser.add_argument(
        "--hint-merge",
        choices=["mean", "separate"],
        default="mean",
        help="how the two networks' hints reach the CRF: their mean, or side by side as hint= and 2hint=",
    )
    parser.add_argument(
        "--crf",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override the CRF parameters of a model with hints (HINT_PARAMS), e.g. c2=0.3",
    )
    parser.add_argument(
        "--hint-option",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override HINTS, e.g. document=0 (no document hints) or neighbours=0",
    )
    parser.add_argument(
        "--silver",
        action="store_true",
        help="round nine: train each fold's CRF again with the SaudiNewsNet sentences it tags (SILVER)",
    )
    parser.add_argument(
        "--soft-sample",
        default=None,
        metavar="N,S",
        help="the selftrain variant with --hints: tag N tokens of every S-th SaudiNewsNet article (600000,4)",
    )
    parser.add_argument(
        "--word-dropout",
        default=None,
        metavar="K,P",
        help="round thirteen: hide the word and stem features of words seen at most K times in the "
        "fold's training part, each occurrence with probability P, while the CRF trains",
    )
    parser.add_argument(
        "--bigrams",
        type=Path,
        default=None,
        help="round thirteen: a pickle of corpus core and core-pair counts for collocation features",
    )
    parser.add_argument(
        "--burst",
        type=Path,
        default=None,
        help="round thirteen: a pickle of corpus core counts and paragraph counts for burstiness features",
    )
    parser.add_argument(
        "--pairs",
        default=None,
        help="round thirteen: the collocation table (ner_pairs.npz) for the CRF's pair features; "
        "'shipped' uses the shipped one",
    )
    parser.add_argument("--speed", type=int, default=0, help="measure tagging speed on N articles")
    parser.add_argument("--test", action="store_true", help="score the shipped model on the test split")
    args = parser.parse_args()
    for setting in args.crf:
        key, _, value = setting.partition("=")
        HINT_PARAMS[key] = (
            int(value)
            if key == "max_iterations"
            else value == "1"
            if key.startswith("feature.possible")
            else float(value)
        )
    if args.soft_sample:
        tokens, stride = args.soft_sample.split(",")
        SOFT_SAMPLE.update({"max_tokens": int(tokens), "stride": int(stride)})
    for setting in args.hint_option:
        key, _, value = setting.partition("=")
        HINTS[key] = int(value)
    table_path = (
        args.clusters or Path(__file__).resolve().parents[1] / "src/marsad/models/data/ner_clusters.tsv.gz"
    )
    table = ClusterTable.read(table_path) if args.variants or args.twopass else None
    hints = None
    if args.hints is not None and str(args.hints) == "shipped":
        data = Path(__file__).resolve().parents[1] / "src/marsad/models/data"
        words = list(ClusterTable.read(data / "ner_clusters.tsv.gz").entries)
        hints = WordHints.load(data / "ner_hints.npz", words=words)
    elif args.hints is not None:
        hints = _hint_template(args.hints, table_path, args.hint_words)
    second_hints = _hint_template(args.hints2, table_path) if args.hints2 is not None else None
    if args.twopass:
        print(
            json.dumps(cross_validate_twopass(folds=args.folds, table=table, window=args.twopass)), flush=True
        )
    for name in args.variants:
        result = cross_validate(
            name=name,
            folds=args.folds,
            table=table,
            max_iterations=args.max_iterations,
            propagate_window=args.propagate,
            hints=hints,
            silver=[_data() / "corpora/saudinewsnet/saudinewsnet.jsonl.gz"] if args.silver else None,
            second_hints=second_hints,
            merge=args.hint_merge,
            rare=args.hint_rare,
            dropout=(int(args.word_dropout.split(",")[0]), float(args.word_dropout.split(",")[1]))
            if args.word_dropout
            else None,
            bigrams=_load_pickle(args.bigrams) if args.bigrams else None,
            burst=_load_pickle(args.burst) if args.burst else None,
            pairs=_pair_table(args.pairs),
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
