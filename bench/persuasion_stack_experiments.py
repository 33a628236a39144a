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

Usage: OMP_NUM_THREADS=1 nice -n 10 python bench/persuasion_stack_experiments.py --cache FILE
       [--w2v KV] [--only NAME ...]
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
        rows = []
        for words in words_of:
            known = [w for w in words if w in vocab]
            if not known:
                rows.append(np.zeros(kv.vector_size))
                continue
            weights = np.array([1e-3 / (1e-3 + kv.get_vecattr(w, "count") / total) for w in known])
            vec = kv[known].astype(np.float16).astype(np.float64)
            rows.append((weights[:, None] * vec).sum(axis=0) / weights.sum())
        vectors = np.asarray(rows)
        mean, std = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-9
        x = np.hstack([(vectors - mean) / std, source[:, None]])
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
        model.fit(x[train], targets[train])
        shown = x[test].copy()
        shown[:, -1] = 1.0
        out[test] = model.decision_function(shown)
    print(json.dumps({"fold_vocabulary_sizes": sizes}), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--w2v", type=Path, default=None)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--top", type=int, default=0, help="keep the N most frequent corpus words")
    parser.add_argument("--dims", type=int, default=0, help="PCA projection of the word vectors")
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
                auc_all = _auc(targets, score)
                print(
                    json.dumps(
                        {
                            "block": name,
                            "auc": round(auc_all, 4),
                            "auc_armpro": round(_auc(targets[armpro], score[armpro]), 4),
                        }
                    ),
                    flush=True,
                )
                cached[name] = score[:, None]
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
                print(
                    json.dumps(
                        {
                            "block": name,
                            "auc": round(_auc(targets, score), 4),
                            "auc_armpro": round(_auc(targets[armpro], score[armpro]), 4),
                        }
                    ),
                    flush=True,
                )
                cached[name] = score[:, None]
            elif name.startswith("foldvocab-"):
                # foldvocab-{min_df}-{c}-{top}
                _, min_df, c, top = name.split("-")
                assert args.w2v is not None
                score = oof_fold_vocabulary_score(
                    items, core, folds, y, source, args.w2v, min_df=int(min_df), c=float(c), top=int(top)
                )
                print(
                    json.dumps(
                        {
                            "block": name,
                            "auc": round(_auc(targets, score), 4),
                            "auc_armpro": round(_auc(targets[armpro], score[armpro]), 4),
                        }
                    ),
                    flush=True,
                )
                cached[name] = score[:, None]
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
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only or k == "round3"}

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
