"""Check-worthiness of a sentence: a TF-IDF (word 1-2 grams) logistic regression, scored in pure Python.

Training uses scikit-learn; the shipped model is a small JSON table (feature -> idf, weight) so that
scoring at run time needs neither scikit-learn nor pickles, and costs a few dictionary lookups a word.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from marsad.errors import MarsadError
from marsad.text.normalise import normalise_text

MODEL_FILE = "model.json.gz"
_URL_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")
_WORD_RE = re.compile(r"[^\W_]+|%")
_DIGITS_RE = re.compile(r"\d+")


def features(text: str) -> list[str]:
    """Word unigrams and bigrams of the search-normalised text; digit runs become one symbol."""
    return view_features(normalise_text(text, search=True))


def search_view(plain_view: str) -> str:
    """The search view from the plain normalised view (ta marbuta folded, Latin lower-cased)."""
    return plain_view.replace("ة", "ه").lower()


def view_features(view: str) -> list[str]:
    """``features`` of text already in the search view (lets a caller normalise a whole article once)."""
    view = _URL_RE.sub(" ", view)
    words = [_DIGITS_RE.sub("0", word) for word in _WORD_RE.findall(view)]
    # Hashtags keep their words: the underscore splits them above.
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True, slots=True)
class CheckworthyModel:
    """A linear model over L2-normalised TF-IDF features (sublinear term frequency)."""

    idf: dict[str, float]
    weights: dict[str, float]
    bias: float
    threshold: float

    def score(self, text: str) -> float:
        """Probability-like score in [0, 1] that ``text`` holds a claim worth checking."""
        return self.score_features(features(text))

    def score_features(self, names: list[str]) -> float:
        """The score of a feature list (see ``features`` and ``view_features``)."""
        counts = Counter(names)
        idf = self.idf
        weights = self.weights
        dot = 0.0
        norm = 0.0
        for feature, count in counts.items():
            value = idf.get(feature)
            if value is None:
                continue
            value *= 1.0 + math.log(count)
            norm += value * value
            dot += value * weights[feature]
        margin = self.bias + (dot / math.sqrt(norm) if norm else 0.0)
        return 1.0 / (1.0 + math.exp(-margin))

    def to_json(self) -> dict[str, Any]:
        table = {name: [round(self.idf[name], 4), round(self.weights[name], 5)] for name in sorted(self.idf)}
        return {"bias": self.bias, "threshold": self.threshold, "features": table}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckworthyModel:
        table: dict[str, list[float]] = data["features"]
        return cls(
            idf={name: pair[0] for name, pair in table.items()},
            weights={name: pair[1] for name, pair in table.items()},
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
        )


@cache
def load_model() -> CheckworthyModel:
    """The shipped model; raise E204 when the package lost its data file."""
    resource = files("marsad.models").joinpath("data", "checkworthy", MODEL_FILE)
    try:
        payload = resource.read_bytes()
    except FileNotFoundError as err:
        raise MarsadError("E204", "the check-worthiness model file is missing") from err
    return CheckworthyModel.from_json(json.loads(gzip.decompress(payload)))


def read_checkthat(path: Path) -> tuple[list[str], list[int]]:
    """Texts and labels (1 = Yes) of a CheckThat! 2024 TSV; raise E302 for a file of another shape."""
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        # The files hold unescaped quote characters: quoting must be off.
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rows, None)
        if header is None or "tweet_text" not in header or "class_label" not in header:
            raise MarsadError("E302", f"{path}: expected columns tweet_text and class_label")
        text_column = header.index("tweet_text")
        label_column = header.index("class_label")
        for row in rows:
            if len(row) <= max(text_column, label_column):
                continue
            texts.append(row[text_column])
            labels.append(1 if row[label_column].strip().lower() == "yes" else 0)
    return texts, labels


def _fit(texts: Sequence[str], labels: Sequence[int], *, c: float) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    vectoriser = TfidfVectorizer(analyzer=features, min_df=2, sublinear_tf=True)
    classifier = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    return make_pipeline(vectoriser, classifier).fit(list(texts), list(labels))


def _best_threshold(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    from sklearn.metrics import f1_score

    best = (0.5, -1.0)
    for step in range(20, 81, 2):
        threshold = step / 100
        f1 = float(f1_score(labels, [int(s >= threshold) for s in scores], zero_division=0))
        if f1 > best[1]:
            best = (threshold, f1)
    return best


def _export(pipeline: Any, threshold: float) -> CheckworthyModel:
    vectoriser, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
    names = vectoriser.get_feature_names_out()
    coef = classifier.coef_[0]
    idf = vectoriser.idf_
    return CheckworthyModel(
        idf={str(n): float(i) for n, i in zip(names, idf, strict=True)},
        weights={str(n): float(w) for n, w in zip(names, coef, strict=True)},
        bias=float(classifier.intercept_[0]),
        threshold=threshold,
    )


def train_checkworthy(*, data_dir: Path, out_dir: Path, seed: int = 13) -> dict[str, Any]:
    """Choose C and the threshold by 5-fold CV on train, check on dev, fit on train+dev, write the model.

    ``data_dir`` holds the CheckThat! 2024 Arabic TSVs. Returns the metrics (CV, dev, dev-test F1 of
    the positive class). The dev-test file is only measured, once, with the final model.
    """
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    train_path = data_dir / "CT24_checkworthy_arabic_train.tsv"
    if not train_path.is_file():
        raise MarsadError("E101", f"{train_path} not found: give the CheckThat! 2024 Arabic folder")
    texts, labels = read_checkthat(train_path)
    dev_texts, dev_labels = read_checkthat(data_dir / "CT24_checkworthy_arabic_dev.tsv")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    search: dict[str, Any] = {}
    best: tuple[float, float, float] = (1.0, 0.5, -1.0)  # C, threshold, F1
    for c in (0.3, 1.0, 3.0, 10.0):
        pipeline = _fit(texts, labels, c=c)  # refit per fold below; this instance only sets parameters
        scores = cross_val_predict(pipeline, texts, labels, cv=folds, method="predict_proba")[:, 1]
        threshold, f1 = _best_threshold(scores, labels)
        search[str(c)] = {"threshold": threshold, "cv_f1": round(f1, 4)}
        if f1 > best[2]:
            best = (c, threshold, f1)
    c, threshold, cv_f1 = best
    on_train = _fit(texts, labels, c=c)
    dev_scores = on_train.predict_proba(dev_texts)[:, 1]
    dev_f1 = float(f1_score(dev_labels, [int(s >= threshold) for s in dev_scores]))
    final = _fit([*texts, *dev_texts], [*labels, *dev_labels], c=c)
    model = _export(final, threshold)
    metrics: dict[str, Any] = {
        "search": search,
        "chosen": {"C": c, "threshold": threshold},
        "cv_f1_train": round(cv_f1, 4),
        "dev_f1_trained_on_train": round(dev_f1, 4),
        "features": len(model.idf),
    }
    test_path = data_dir / "CT24_checkworthy_arabic_dev-test.tsv"
    if test_path.is_file():
        test_texts, test_labels = read_checkthat(test_path)
        predicted = [int(model.score(text) >= threshold) for text in test_texts]
        metrics["dev_test_f1"] = round(float(f1_score(test_labels, predicted)), 4)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    (out_dir / MODEL_FILE).write_bytes(gzip.compress(payload, mtime=0))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def evaluate_checkworthy(*, data_path: Path, model_dir: Path | None = None) -> dict[str, Any]:
    """Score a CheckThat! 2024 TSV with the model: positive-class precision, recall and F1.

    ``model_dir`` None uses the shipped model; otherwise the folder written by ``train_checkworthy``.
    """
    model = load_model()
    if model_dir is not None:
        path = model_dir / MODEL_FILE
        if not path.is_file():
            raise MarsadError("E204", "no check-worthiness model in this folder", input=str(path))
        model = CheckworthyModel.from_json(json.loads(gzip.decompress(path.read_bytes())))
    texts, labels = read_checkthat(data_path)
    predicted = [int(model.score(text) >= model.threshold) for text in texts]
    hits = sum(p and g for p, g in zip(predicted, labels, strict=True))
    precision = hits / sum(predicted) if sum(predicted) else 0.0
    recall = hits / sum(labels) if sum(labels) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "data": str(data_path),
        "items": len(texts),
        "positives": sum(labels),
        "predicted_positive": sum(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def format_report(report: dict[str, Any]) -> str:
    """The report of :func:`evaluate_checkworthy` for a terminal."""
    return (
        f"check-worthiness: {report['items']} items from {report['data']} "
        f"({report['positives']} positive, {report['predicted_positive']} predicted positive)\n"
        f"positive class  P {report['precision']:.4f}  R {report['recall']:.4f}  F1 {report['f1']:.4f}"
    )
