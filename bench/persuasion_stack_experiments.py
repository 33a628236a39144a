"""Compare inputs of the stacked binary persuasion model by nested cross-validation.

Reads the out-of-fold n-gram head scores and span-tagger probabilities cached by
``bench/persuasion_binary_experiments.py --cache FILE`` (grouped 5-fold CV over the 1,872 native news
paragraphs). Every row is nested: each fold's probability comes from a stacker fitted on the other four
folds, and the fold's decision threshold is chosen on the other four folds' own out-of-fold stacker
probabilities (inner CV), for the accuracy expected at ArMPro dev's share of propagandistic paragraphs.
Optional paragraph vectors (``--w2v``, word2vec from ``bench/persuasion_w2v.py``) become an
out-of-fold logistic-regression score in the same folds, then a stacker input.

Printed per row: AUC all / ArMPro, accuracy all (= binary micro-F1) / ArMPro / ArAIEval, accuracy
expected at ArMPro dev's share ("acc62"), multilabel and coarse micro-F1 (label thresholds tuned on the
out-of-fold scores under the row's gate, as ``train_persuasion`` does), and per-fold paired differences
of acc62 and AUC against the round-3 stacker (the reference row, always run).

Round 5 adds named vector files (``--vectors KEY=KV ...``) and rows given as '+'-joined block lists
(``--stack``): ``view-KEY-VIEW-C`` is an out-of-fold vector score (VIEW: ``sif``, ``max``, ``sifmax``,
``tag``, ``cue``, ``sifx``, ``oov``, ``all``, ``allN``, ``stem...``, ``cluK``; C: a logistic regression's C,
or ``svmC`` for an RBF support-vector classifier), ``inter:BLOCK`` the product of the n-gram score and a
block; ``--reference`` takes the paired differences against another row (e.g. round 4's
``view-w2v-sif-0.01``), and ``--label-vectors KEY`` scores the technique and coarse heads with a per-label
vector score.

Usage: OMP_NUM_THREADS=1 nice -n 10 python bench/persuasion_stack_experiments.py --cache FILE
       [--w2v KV] [--only NAME ...] [--vectors KEY=KV ...] [--stack BLOCK+BLOCK ...]
       [--reference ROW] [--label-vectors KEY]
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from marsad.models import persuasion as P
from marsad.paths import shared_data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine


def _auc(targets: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(targets, scores))


def _acc_at(prior: float, gate: np.ndarray, targets: np.ndarray) -> float:
    return float(prior * gate[targets].mean() + (1 - prior) * (~gate[~targets]).mean())


class Stacker:
    """Logistic regression over the stack inputs plus a source column (ArMPro's bias applied to all)."""

    def __init__(self, c: float = 1.0, scale: bool = False, model: str = "lr") -> None:
        self.c, self.scale, self.model = c, scale, model

    def fit_predict(
        self,
        features: np.ndarray,
        source: np.ndarray,
        targets: np.ndarray,
        train: np.ndarray,
        test: np.ndarray,
    ) -> np.ndarray:
        x = features
        if self.scale:
            mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-9
            x = (x - mean) / std
        if self.model == "lr":
            from sklearn.linear_model import LogisticRegression

            full = np.hstack([x, source[:, None]])
            model = LogisticRegression(C=self.c, max_iter=2000)
            model.fit(full[train], targets[train])
            weights, bias = model.coef_[0], float(model.intercept_[0])
            # ArMPro's bias for every text: the source column set to 1.
            return np.asarray(P._sigmoid(x[test] @ weights[:-1] + bias + weights[-1]))
        from sklearn.ensemble import HistGradientBoostingClassifier

        full = np.hstack([x, source[:, None]])
        model_gb = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_depth=3, l2_regularization=1.0, random_state=0
        )
        model_gb.fit(full[train], targets[train])
        shown = full[test].copy()
        shown[:, -1] = 1.0
        return np.asarray(model_gb.predict_proba(shown)[:, 1])


def nested(
    features: np.ndarray,
    source: np.ndarray,
    targets: np.ndarray,
    folds: np.ndarray,
    stacker: Stacker,
    prior: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Nested probabilities and gate: stacker on the other folds, threshold by inner CV on them."""
    probability = np.zeros(len(targets))
    gate = np.zeros(len(targets), dtype=bool)
    ids = sorted(set(folds.tolist()))
    for k in ids:
        test = folds == k
        inner = np.zeros(len(targets))
        for j in ids:
            if j == k:
                continue
            inside = folds == j
            inner[inside] = stacker.fit_predict(features, source, targets, ~test & ~inside, inside)
        threshold = P._best_weighted_threshold(
            inner[~test], targets[~test].astype(int), prior=prior, grid=P._GRID
        )
        probability[test] = stacker.fit_predict(features, source, targets, ~test, test)
        gate[test] = probability[test] >= threshold
    return probability, gate


def oof_dense_score(
    vectors: np.ndarray,
    targets: np.ndarray,
    folds: np.ndarray,
    source: np.ndarray,
    *,
    c: float,
    kind: str = "lr",
) -> np.ndarray:
    """Out-of-fold raw score of a classifier over dense paragraph vectors, in the given folds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    out = np.zeros(len(targets))
    for k in sorted(set(folds.tolist())):
        test, train = folds == k, folds != k
        mean, std = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-9
        x = np.hstack([(vectors - mean) / std, source[:, None]])
        if kind == "lr":
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
            model.fit(x[train], targets[train])
            shown = x[test].copy()
            shown[:, -1] = 1.0
            out[test] = model.decision_function(shown)
        else:
            mlp = MLPClassifier(
                hidden_layer_sizes=(64,), alpha=c, max_iter=300, early_stopping=True, random_state=0
            )
            mlp.fit(x[train], targets[train])
            shown = x[test].copy()
            shown[:, -1] = 1.0
            p = np.clip(mlp.predict_proba(shown)[:, 1], 1e-6, 1 - 1e-6)
            out[test] = np.log(p / (1 - p))
    return out


def oof_head_with_dense(
    items: list[P.TrainingItem],
    oof: dict[str, np.ndarray],
    dense_all: dict[str, np.ndarray],
    *,
    weight: float,
) -> np.ndarray:
    """Out-of-fold raw score of the n-gram binary head refitted with a dense block appended to its
    features (``dense_all`` maps a paragraph's text to its row, L2-normalised, times ``weight``)."""
    from scipy import sparse

    options = P.TrainOptions()
    core_index = oof["index"]
    extra = [item for item in items if item.source not in ("armpro", "araieval")]
    out = np.zeros(len(core_index))

    def rows(texts: list[str]) -> Any:
        dense = np.asarray([dense_all[t] for t in texts])
        dense = dense / (np.linalg.norm(dense, axis=1, keepdims=True) + 1e-9) * weight
        return sparse.csr_matrix(dense.astype(np.float32))

    for k in sorted(set(oof["fold"].tolist())):
        test = np.flatnonzero(oof["fold"] == k)
        train_rows = np.flatnonzero(oof["fold"] != k)
        train = [items[int(core_index[i])] for i in train_rows]
        featurizer = P.ParagraphFeaturizer(
            use_cues=options.use_cues,
            max_word=options.max_word,
            max_char=options.max_char,
            min_df=options.min_df,
            char_range=options.char_range,
        ).fit([item.text for item in train + extra])
        texts = [item.text for item in train]
        x = sparse.hstack([featurizer.transform(texts), rows(texts)], format="csr")
        weights, bias = P._fit_logistic(
            x, np.array([int(i.propagandistic) for i in train]), c=options.c_binary
        )
        test_texts = [items[int(core_index[i])].text for i in test]
        xt = sparse.hstack([featurizer.transform(test_texts), rows(test_texts)], format="csr")
        out[test] = np.asarray(xt @ weights) + bias
    return out


def paragraph_vectors(
    texts: list[str], path: Path, *, weighting: str, top: int = 0, dims: int = 0
) -> np.ndarray:
    """Mean (``mean``), SIF-weighted (``sif``: a / (a + corpus frequency), a = 1e-3) or idf-weighted
    mean of word vectors; ``top`` keeps only the most frequent corpus words, ``dims`` projects the
    table on its first principal axes, and the table is rounded to float16 as it would be shipped."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load(str(path))
    total = sum(kv.get_vecattr(w, "count") for w in kv.index_to_key)
    if top or dims:
        keep = kv.index_to_key[: top or len(kv)]
        table = np.asarray(kv[keep], dtype=np.float64)
        if dims:
            centred = table - table.mean(axis=0)
            _, _, axes = np.linalg.svd(centred, full_matrices=False)
            table = centred @ axes[:dims].T
        small = KeyedVectors(table.shape[1])
        small.add_vectors(keep, table.astype(np.float16).astype(np.float32))
        for w in keep:
            small.set_vecattr(w, "count", kv.get_vecattr(w, "count"))
        kv = small
    df: Counter[str] = Counter()
    tokenised = [P._WORD_RE.findall(P.fold(text)) for text in texts]
    for words in tokenised:
        df.update(set(words))
    rows = []
    for words in tokenised:
        known = [w for w in words if w in kv.key_to_index]
        if not known:
            rows.append(np.zeros(kv.vector_size))
            continue
        if weighting == "sif":
            weights = np.array([1e-3 / (1e-3 + kv.get_vecattr(w, "count") / total) for w in known])
        elif weighting == "idf":
            weights = np.array([math.log((1 + len(texts)) / (1 + df[w])) + 1 for w in known])
        else:
            weights = np.ones(len(known))
        rows.append((weights[:, None] * kv[known]).sum(axis=0) / weights.sum())
    return np.asarray(rows)


def _sif_rows(words_of: list[list[str]], vocab: set[str], kv: Any, total: float) -> np.ndarray:
    """Each paragraph's SIF-weighted mean of its known words' vectors (rounded to float16 first, as the
    round-4 table stored them); zeros when no word is known."""
    rows = []
    for words in words_of:
        known = [w for w in words if w in vocab]
        if not known:
            rows.append(np.zeros(kv.vector_size))
            continue
        weights = np.array([1e-3 / (1e-3 + kv.get_vecattr(w, "count") / total) for w in known])
        vec = kv[known].astype(np.float16).astype(np.float64)
        rows.append((weights[:, None] * vec).sum(axis=0) / weights.sum())
    return np.asarray(rows)


def oof_fold_vocabulary_score(
    items: list[P.TrainingItem],
    core: list[P.TrainingItem],
    folds: np.ndarray,
    targets: np.ndarray,
    source: np.ndarray,
    path: Path,
    *,
    min_df: int,
    c: float,
    top: int = 0,
) -> np.ndarray:
    """Like ``w2v-sif-lr``, but each fold's table keeps only words in at least ``min_df`` of the fold's
    training texts (its news paragraphs and the extra sources), as a shipped table would."""
    from gensim.models import KeyedVectors
    from sklearn.linear_model import LogisticRegression

    kv = KeyedVectors.load(str(path))
    allowed = set(kv.index_to_key[: top or len(kv)])
    total = sum(kv.get_vecattr(w, "count") for w in kv.index_to_key)
    extra = [item.text for item in items if item.source not in ("armpro", "araieval")]
    words_of = [P._WORD_RE.findall(P.fold(item.text)) for item in core]
    extra_words = [P._WORD_RE.findall(P.fold(text)) for text in extra]
    out = np.zeros(len(core))
    sizes = []
    for k in sorted(set(folds.tolist())):
        test, train = folds == k, folds != k
        df: Counter[str] = Counter()
        for words in [w for w, t in zip(words_of, train, strict=True) if t] + extra_words:
            df.update(set(words))
        vocab = {w for w, n in df.items() if n >= min_df and w in kv.key_to_index and w in allowed}
        sizes.append(len(vocab))
        vectors = _sif_rows(words_of, vocab, kv, total)
        mean, std = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-9
        x = np.hstack([(vectors - mean) / std, source[:, None]])
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        model.fit(x[train], targets[train])
        shown = x[test].copy()
        shown[:, -1] = 1.0
        out[test] = model.decision_function(shown)
    print(json.dumps({"fold_vocabulary_sizes": sizes}), flush=True)
    return out


def _dense_head(
    vectors: np.ndarray,
    source: np.ndarray,
    targets: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    *,
    c: float,
    svm: bool = False,
) -> np.ndarray:
    """Raw score on ``test`` of a balanced classifier (logistic regression, or an RBF SVM) fitted on
    ``train`` over standardised rows and a source column set to 1 at prediction (ArMPro's bias)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    mean, std = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-9
    x = np.hstack([(vectors - mean) / std, source[:, None]])
    model: Any = (
        SVC(C=c, kernel="rbf", gamma="scale", class_weight="balanced")
        if svm
        else LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    )
    model.fit(x[train], targets[train])
    shown = x[test].copy()
    shown[:, -1] = 1.0
    return np.asarray(model.decision_function(shown))


def oof_cluster_score(
    items: list[P.TrainingItem],
    core: list[P.TrainingItem],
    folds: np.ndarray,
    targets: np.ndarray,
    source: np.ndarray,
    path: Path,
    *,
    clusters: int,
    c: float,
) -> np.ndarray:
    """Round 5: words as word-vector clusters (k-means over the whole corpus table, fixed seed), a
    paragraph as its bag of cluster counts (1 + log, L2-normalised), an out-of-fold balanced logistic
    regression over the bag and a source column."""
    from gensim.models import KeyedVectors
    from sklearn.cluster import MiniBatchKMeans

    kv = KeyedVectors.load(str(path))
    table = np.asarray(kv.vectors, dtype=np.float64)
    table /= np.linalg.norm(table, axis=1, keepdims=True) + 1e-9
    kmeans = MiniBatchKMeans(n_clusters=clusters, random_state=0, batch_size=4096, n_init=3)
    labels = kmeans.fit_predict(table)
    rows = np.zeros((len(core), clusters))
    for row, item in enumerate(core):
        ids = [
            labels[kv.key_to_index[w]] for w in P._WORD_RE.findall(P.fold(item.text)) if w in kv.key_to_index
        ]
        if ids:
            counts = np.bincount(ids, minlength=clusters).astype(np.float64)
            counts[counts > 0] = 1 + np.log(counts[counts > 0])
            rows[row] = counts / np.linalg.norm(counts)
    out = np.zeros(len(core))
    for k in sorted(set(folds.tolist())):
        test, train = folds == k, folds != k
        out[test] = _dense_head(rows, source, targets, train, test, c=c)
    return out


def oof_view_score(
    items: list[P.TrainingItem],
    core: list[P.TrainingItem],
    tagged: list[np.ndarray],
    folds: np.ndarray,
    targets: np.ndarray,
    source: np.ndarray,
    path: Path,
    *,
    view: str,
    c: float,
    min_df: int = 2,
    svm: bool = False,
) -> np.ndarray:
    """Round 5: an out-of-fold vector score over one view of the paragraph, each fold's table cut to
    words in at least ``min_df`` of its training texts (as ``foldvocab``). Views: ``sif`` (the shipped
    SIF mean), ``max`` (element-wise max over the words), ``sifmax`` (both, concatenated), ``tag``
    (SIF weight times the span tagger's out-of-fold probability that the word carries a technique),
    ``cue`` (SIF mean over the words the cue lexicon covers), ``oov`` (fastText only: the table also
    keeps training words the corpora lack, their vectors built from character n-grams, weight 1)."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors.load(str(path))
    total = sum(kv.get_vecattr(w, "count") for w in kv.index_to_key)
    extra = [item.text for item in items if item.source not in ("armpro", "araieval")]
    stemmed = view.startswith("stem")
    if view == "tag":
        # the tagger's tokens (words and punctuation), folded as the featuriser folds them
        words_of = []
        carry_of = []
        for item, found in zip(core, tagged, strict=True):
            tokens = [P._fold_token(item.text[a:b]) for a, b in P.tokenise(item.text)]
            carrying = 1.0 - found[:, 0] if len(found) else np.zeros(len(tokens))
            words_of.append(tokens)
            carry_of.append(np.asarray(carrying, dtype=np.float64))
    else:
        words_of = [P._WORD_RE.findall(P.fold(item.text)) for item in core]
    if view.startswith("stem"):
        # a table trained on stems (bench/persuasion_w2v.py --stems): words looked up by their stem
        words_of = [[P._stems(w)[-1] for w in ws] for ws in words_of]
        view = view[4:] or "sif"
    if view == "cue":
        lexicon = P.CueLexicon.load()
        words_of = [[w for w, cov in zip(ws, lexicon.match(ws), strict=True) if cov] for ws in words_of]
    extra_words = [P._WORD_RE.findall(P.fold(text)) for text in extra]
    if stemmed:
        extra_words = [[P._stems(w)[-1] for w in ws] for ws in extra_words]
    extra_targets = np.array(
        [int(item.propagandistic) for item in items if item.source not in ("armpro", "araieval")]
    )
    fold_words = [P._WORD_RE.findall(P.fold(item.text)) for item in core]
    if stemmed:
        fold_words = [[P._stems(w)[-1] for w in ws] for ws in fold_words]
    cache: dict[str, np.ndarray] = {}

    def vector(word: str) -> np.ndarray:
        if word not in cache:
            cache[word] = np.asarray(kv[word], dtype=np.float16).astype(np.float64)
        return cache[word]

    def weight(word: str) -> float:
        if word in kv.key_to_index:
            return 1e-3 / (1e-3 + kv.get_vecattr(word, "count") / total)
        return 1.0

    out = np.zeros(len(core))
    sizes = []
    dims = kv.vector_size
    for k in sorted(set(folds.tolist())):
        test, train = folds == k, folds != k
        df: Counter[str] = Counter()
        for words in [w for w, t in zip(fold_words, train, strict=True) if t] + extra_words:
            df.update(set(words))
        if view == "oov":
            vocab = {w for w, n in df.items() if n >= min_df}
        elif view.startswith("all") and view[3:]:
            # the N most frequent corpus words (a smaller shipped table)
            vocab = set(kv.index_to_key[: int(view[3:])])
        elif view == "all":
            # upper bound, not shippable as is: every word of every paragraph (fastText: from n-grams)
            vocab = (
                {w for ws in words_of for w in ws} if hasattr(kv, "buckets_word") else set(kv.key_to_index)
            )
        else:
            vocab = {w for w, n in df.items() if n >= min_df and w in kv.key_to_index}
        sizes.append(len(vocab))
        rows = []
        for index, words in enumerate(words_of):
            keep = [i for i, w in enumerate(words) if w in vocab]
            if not keep:
                rows.append(np.zeros(2 * dims if view == "sifmax" else dims))
                continue
            table = np.asarray([vector(words[i]) for i in keep])
            weights = np.array([weight(words[i]) for i in keep])
            if view == "tag":
                weights = weights * (carry_of[index][keep] + 1e-3)
            mean = (weights[:, None] * table).sum(axis=0) / weights.sum()
            if view == "max":
                rows.append(table.max(axis=0))
            elif view == "sifmax":
                rows.append(np.concatenate([mean, table.max(axis=0)]))
            else:
                rows.append(mean)
        vectors = np.asarray(rows)
        if view == "sifx":
            # the extra sources' labelled texts (WANLP tweets) also train the head, with their own column
            extra_rows = []
            for words in extra_words:
                known = [w for w in words if w in vocab]
                if not known:
                    extra_rows.append(np.zeros(dims))
                    continue
                table = np.asarray([vector(w) for w in known])
                weights = np.array([weight(w) for w in known])
                extra_rows.append((weights[:, None] * table).sum(axis=0) / weights.sum())
            both = np.vstack([vectors, np.asarray(extra_rows)])
            n_extra = len(extra_rows)
            both_source = np.concatenate([source, np.zeros(n_extra)])
            column = np.concatenate([np.zeros(len(core)), np.ones(n_extra)])[:, None]
            both_targets = np.concatenate([targets, extra_targets])
            both_train = np.concatenate([train, np.ones(n_extra, dtype=bool)])
            both_test = np.concatenate([test, np.zeros(n_extra, dtype=bool)])
            out[test] = _dense_head(
                np.hstack([both, column]), both_source, both_targets, both_train, both_test, c=c
            )
            continue
        out[test] = _dense_head(vectors, source, targets, train, test, c=c, svm=svm)
    print(json.dumps({"view": view, "path": str(path), "fold_vocabulary_sizes": sizes}), flush=True)
    return out


def label_vector_figures(
    items: list[P.TrainingItem],
    core: list[P.TrainingItem],
    oof: dict[str, np.ndarray],
    gate: np.ndarray,
    source: np.ndarray,
    path: Path,
    *,
    c: float,
    min_df: int = 2,
) -> dict[str, float]:
    """Round 5, idea 3: the paragraph vector in the technique and coarse heads. Per label, an
    out-of-fold balanced logistic regression over the fold-vocabulary SIF vectors (as ``foldvocab``)
    gives a vector score; a per-label logistic regression fitted on the other folds combines it with
    the n-gram head's out-of-fold score. Micro-F1 with thresholds tuned on the out-of-fold scores
    under ``gate`` (as the rows' figures), before and after."""
    from gensim.models import KeyedVectors
    from sklearn.linear_model import LogisticRegression

    from marsad.evaluate.persuasion import label_prf

    kv = KeyedVectors.load(str(path))
    total = sum(kv.get_vecattr(w, "count") for w in kv.index_to_key)
    folds = oof["fold"]
    extra = [
        P._WORD_RE.findall(P.fold(item.text)) for item in items if item.source not in ("armpro", "araieval")
    ]
    words_of = [P._WORD_RE.findall(P.fold(item.text)) for item in core]
    fold_ids = sorted(set(folds.tolist()))
    per_fold: dict[int, np.ndarray] = {}
    for k in fold_ids:
        train = folds != k
        df: Counter[str] = Counter()
        for words in [w for w, t in zip(words_of, train, strict=True) if t] + extra:
            df.update(set(words))
        vocab = {w for w, n in df.items() if n >= min_df and w in kv.key_to_index}
        per_fold[k] = _sif_rows(words_of, vocab, kv, total)
    figures: dict[str, float] = {}
    for head_name, names_, coarse in (
        ("techniques", P.TECHNIQUES, False),
        ("coarse", P.COARSE_CLASSES, True),
    ):
        gold = P._label_matrix(core, names_, coarse=coarse)
        raw = oof[head_name]
        vector_scores = np.zeros_like(raw)
        for k in fold_ids:
            test, train = folds == k, folds != k
            vectors = per_fold[k]
            mean, std = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-9
            x = np.hstack([(vectors - mean) / std, source[:, None]])
            shown = x[test].copy()
            shown[:, -1] = 1.0
            for j in range(raw.shape[1]):
                if gold[train, j].sum() < 5:
                    continue
                model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
                model.fit(x[train], gold[train, j])
                vector_scores[test, j] = model.decision_function(shown)
        combined = raw.copy()
        for k in fold_ids:
            test, train = folds == k, folds != k
            for j in range(raw.shape[1]):
                if gold[train, j].sum() < 5:
                    continue
                pair = np.column_stack([raw[:, j], vector_scores[:, j]])
                model = LogisticRegression(C=1.0, max_iter=1000)
                model.fit(pair[train], gold[train, j])
                combined[test, j] = model.decision_function(pair[test])
        key = "multilabel" if head_name == "techniques" else "coarse"
        for label, scores in (("", raw), ("+vec", combined)):
            probabilities = P._sigmoid(scores)
            thresholds = P._tune_thresholds(probabilities, gold, gate)
            predicted = P._decode(probabilities, thresholds, gate)
            figures[key + label] = round(
                label_prf(P._sets(gold, names_), P._sets(predicted, names_))["micro_f1"], 4
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--w2v", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--vectors",
        nargs="*",
        default=[],
        metavar="KEY=KV",
        help="round 5: named word-vector files for the view-KEY-VIEW-C blocks and stack lists",
    )
    parser.add_argument(
        "--stack",
        nargs="*",
        default=[],
        metavar="BLOCK+BLOCK",
        help="round 5: extra rows, each a '+'-joined list of block names (e.g. view-ft-sif-0.01+coarse)",
    )
    parser.add_argument("--top", type=int, default=0, help="keep the N most frequent corpus words")
    parser.add_argument("--dims", type=int, default=0, help="PCA projection of the word vectors")
    parser.add_argument(
        "--reference",
        default="round3",
        help="row the per-fold differences are taken against ('round3' or a '+'-joined block list)",
    )
    parser.add_argument(
        "--label-vectors",
        default=None,
        metavar="KEY",
        help="round 5: also score the technique/coarse heads with a per-label vector score (under the reference row's gate)",
    )
    parser.add_argument("--no-labels", action="store_true", help="skip multilabel/coarse figures")
    args = parser.parse_args()
    root = args.data or shared_data()
    if root is None:
        raise SystemExit("shared data not found; pass --data")
    print(describe_machine(), flush=True)
    np.seterr(all="ignore")
    items = P.read_training_items(root / "persuasion", sources=P.TrainOptions().sources)
    with args.cache.open("rb") as handle:
        oof, tagged = pickle.load(handle)
    core = [items[int(index)] for index in oof["index"]]
    targets = np.array([item.propagandistic for item in core])
    armpro = np.array([item.source == "armpro" for item in core])
    source = armpro.astype(float)
    folds = oof["fold"]
    prior = float(targets[armpro].mean())
    y = targets.astype(int)

    base = P.stack_features(oof["binary"][:, 0], tagged)
    blocks: dict[str, Callable[[], np.ndarray]] = {
        "coarse": lambda: oof["coarse"],
        "techraw": lambda: oof["techniques"],
        "techmax": lambda: np.asarray([t[:, 1:].max(axis=0) if len(t) else np.zeros(23) for t in tagged]),
        "len": lambda: np.log1p([[len(item.text)] for item in core]),
    }
    cached: dict[str, np.ndarray] = {}
    named = {key: Path(value) for key, value in (entry.split("=", 1) for entry in args.vectors)}

    def keep(name: str, score: np.ndarray) -> None:
        """Print a block's AUC (all paragraphs, ArMPro's) and cache it as a stacker column."""
        auc = {
            "auc": round(_auc(targets, score), 4),
            "auc_armpro": round(_auc(targets[armpro], score[armpro]), 4),
        }
        print(json.dumps({"block": name, **auc}), flush=True)
        cached[name] = score[:, None]

    def block(name: str) -> np.ndarray:
        if name not in cached:
            if name.startswith("w2v"):
                # w2v-{mean|sif|idf}-{lr|mlp}-{c}
                _, weighting, kind, c = name.split("-")
                vectors_key = f"vec-{weighting}"
                if vectors_key not in cached:
                    assert args.w2v is not None
                    cached[vectors_key] = paragraph_vectors(
                        [i.text for i in core], args.w2v, weighting=weighting, top=args.top, dims=args.dims
                    )
                score = oof_dense_score(cached[vectors_key], y, folds, source, c=float(c), kind=kind)
                keep(name, score)
            elif name.startswith("head-"):
                # head-{mean|sif}-{weight}: the n-gram head refitted with the paragraph vector appended
                _, weighting, weight = name.split("-")
                vectors_key = f"vec-{weighting}"
                if vectors_key not in cached:
                    assert args.w2v is not None
                    cached[vectors_key] = paragraph_vectors(
                        [i.text for i in core], args.w2v, weighting=weighting, top=args.top, dims=args.dims
                    )
                dense = {item.text: row for item, row in zip(core, cached[vectors_key], strict=True)}
                score = oof_head_with_dense(items, oof, dense, weight=float(weight))
                keep(name, score)
            elif name.startswith("foldvocab-"):
                # foldvocab-{min_df}-{c}-{top}
                _, min_df, c, top = name.split("-")
                assert args.w2v is not None
                score = oof_fold_vocabulary_score(
                    items, core, folds, y, source, args.w2v, min_df=int(min_df), c=float(c), top=int(top)
                )
                keep(name, score)
            elif name.startswith("inter:"):
                # round 5: the product of the n-gram score and another block (an interaction input)
                cached[name] = base[:, :1] * block(name.split(":", 1)[1])
            elif name.startswith("view-"):
                # view-{key}-{view}-{c}: a named vector file (--vectors key=path), one paragraph view
                _, key, view, c = name.split("-")
                if view.startswith("clu"):
                    score = oof_cluster_score(
                        items, core, folds, y, source, named[key], clusters=int(view[3:]), c=float(c)
                    )
                else:
                    score = oof_view_score(
                        items,
                        core,
                        tagged,
                        folds,
                        y,
                        source,
                        named[key],
                        view=view,
                        c=float(c.removeprefix("svm")),
                        svm=c.startswith("svm"),
                    )
                keep(name, score)
            elif name.startswith("vec-"):
                raise KeyError(name)
            else:
                cached[name] = np.asarray(blocks[name](), dtype=float).reshape(len(core), -1)
        return cached[name]

    variants: dict[str, tuple[list[str], Stacker]] = {
        "round3": ([], Stacker()),
        "+coarse": (["coarse"], Stacker()),
        "+techmax": (["techmax"], Stacker()),
        "+coarse+techmax": (["coarse", "techmax"], Stacker()),
        "+coarse+techmax C0.3": (["coarse", "techmax"], Stacker(c=0.3)),
        "+coarse+techmax scaled C0.1": (["coarse", "techmax"], Stacker(c=0.1, scale=True)),
        "+techraw": (["techraw"], Stacker()),
        "+len": (["len"], Stacker()),
        "+coarse+len": (["coarse", "len"], Stacker()),
        "gbm base": ([], Stacker(model="gbm")),
        "gbm +coarse+techmax": (["coarse", "techmax"], Stacker(model="gbm")),
    }
    if args.w2v is not None:
        for weighting in ("mean", "sif"):
            for c in ("0.001", "0.003", "0.01", "0.1"):
                name = f"w2v-{weighting}-lr-{c}"
                variants[f"+{name}"] = ([name], Stacker())
                variants[f"+coarse+{name}"] = (["coarse", name], Stacker())
        variants["+w2v-sif-mlp-1.0"] = (["w2v-sif-mlp-1.0"], Stacker())
        for min_df in ("1", "2", "3"):
            for c in ("0.003", "0.01"):
                for top in ("0", "50000"):
                    name = f"foldvocab-{min_df}-{c}-{top}"
                    variants[f"+{name}"] = ([name], Stacker())
        variants["+coarse+techmax+w2v-sif-lr-0.01"] = (["coarse", "techmax", "w2v-sif-lr-0.01"], Stacker())
        variants["+techmax+w2v-sif-lr-0.01"] = (["techmax", "w2v-sif-lr-0.01"], Stacker())
        variants["+w2v-sif-lr-0.01 +w2v-mean-lr-0.01"] = (["w2v-sif-lr-0.01", "w2v-mean-lr-0.01"], Stacker())
        for weighting in ("mean", "sif"):
            for weight in ("0.5", "1", "2"):
                variants[f"head-{weighting}-{weight}"] = ([f"head-{weighting}-{weight}"], Stacker())
                variants[f"head-{weighting}-{weight} +coarse"] = (
                    [f"head-{weighting}-{weight}", "coarse"],
                    Stacker(),
                )
    for entry in args.stack:
        variants[entry] = (entry.split("+"), Stacker())
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only or k == "round3" or k in args.stack}

    if args.reference != "round3":
        # round 5: paired differences against another row (e.g. the round-4 shipped stacker)
        first_names = args.reference.split("+")
        variants = {args.reference: (first_names, Stacker())} | {
            k: v for k, v in variants.items() if k != args.reference
        }
    reference: dict[str, Any] | None = None
    for name, (names, stacker) in variants.items():
        head = [n for n in names if n.startswith("head-")]
        first = block(head[0]) if head else base[:, :1]
        rest = [block(n) for n in names if not n.startswith("head-")]
        features = np.hstack([first, base[:, 1:], *rest])
        probability, gate = nested(features, source, y, folds, stacker, prior)
        per_fold_acc = [
            _acc_at(prior, gate[folds == k], targets[folds == k]) for k in sorted(set(folds.tolist()))
        ]
        per_fold_auc = [
            _auc(targets[folds == k], probability[folds == k]) for k in sorted(set(folds.tolist()))
        ]
        row: dict[str, Any] = {
            "variant": name,
            "auc": round(_auc(targets, probability), 4),
            "auc_armpro": round(_auc(targets[armpro], probability[armpro]), 4),
            "acc_all": round(float((gate == targets).mean()), 4),
            "acc_armpro": round(float((gate == targets)[armpro].mean()), 4),
            "acc_araieval": round(float((gate == targets)[~armpro].mean()), 4),
            "acc62": round(_acc_at(prior, gate, targets), 4),
            "pass_rate": round(float(gate.mean()), 3),
        }
        if reference is None:
            reference = {"acc": per_fold_acc, "auc": per_fold_auc}
            if args.label_vectors:
                figures = label_vector_figures(
                    items, core, oof, gate, source, named[args.label_vectors], c=0.01
                )
                print(json.dumps({"label_vectors": args.label_vectors, **figures}), flush=True)
        else:
            d_acc = np.subtract(per_fold_acc, reference["acc"])
            d_auc = np.subtract(per_fold_auc, reference["auc"])
            row["d_acc62_folds"] = [round(float(v), 3) for v in d_acc]
            row["d_acc62_mean_sd"] = [round(float(d_acc.mean()), 4), round(float(d_acc.std(ddof=1)), 4)]
            row["d_auc_folds"] = [round(float(v), 3) for v in d_auc]
            row["d_auc_mean_sd"] = [round(float(d_auc.mean()), 4), round(float(d_auc.std(ddof=1)), 4)]
        if not args.no_labels:
            from marsad.evaluate.persuasion import label_prf

            for head_name, names_, coarse in (
                ("techniques", P.TECHNIQUES, False),
                ("coarse", P.COARSE_CLASSES, True),
            ):
                gold = P._label_matrix(core, names_, coarse=coarse)
                thresholds = P._tune_thresholds(P._sigmoid(oof[head_name]), gold, gate)
                predicted = P._decode(P._sigmoid(oof[head_name]), thresholds, gate)
                key = "multilabel" if head_name == "techniques" else "coarse"
                row[key] = round(label_prf(P._sets(gold, names_), P._sets(predicted, names_))["micro_f1"], 4)
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
