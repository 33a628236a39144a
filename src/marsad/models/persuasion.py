"""Persuasion-technique models: paragraph binary, 23 techniques, 6 coarse classes, span suggestions.

Paragraph models are linear: word and character n-gram TF-IDF plus counts from the project's own
cue lexicons (``resources/persuasion_cues/``), one logistic regression per output. The binary
score is Platt-calibrated on cross-validated predictions; per-label thresholds are chosen on the
same predictions. Spans come from a linear-chain CRF over words (BIO per technique).

Shipped files live in ``models/data/persuasion/``; ``train_persuasion`` rebuilds them.
"""

from __future__ import annotations

import csv
import json
import math
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from marsad.errors import error

__all__ = [
    "COARSE_CLASSES",
    "COARSE_OF",
    "NO_TECHNIQUE",
    "TECHNIQUES",
    "CueLexicon",
    "ParagraphPrediction",
    "PersuasionModel",
    "Technique",
    "TrainingItem",
    "article_score",
    "fold",
    "load_techniques",
    "read_training_items",
    "tokenise",
    "train_persuasion",
]

# Spelled as in ArMPro's persuasion_techniques_list.txt; the order is the model's column order.
TECHNIQUES: tuple[str, ...] = (
    "Appeal_to_Authority",
    "Appeal_to_Fear-Prejudice",
    "Appeal_to_Hypocrisy",
    "Appeal_to_Popularity",
    "Appeal_to_Time",
    "Appeal_to_Values",
    "Causal_Oversimplification",
    "Consequential_Oversimplification",
    "Conversation_Killer",
    "Doubt",
    "Exaggeration-Minimisation",
    "False_Dilemma-No_Choice",
    "Flag_Waving",
    "Guilt_by_Association",
    "Loaded_Language",
    "Name_Calling-Labeling",
    "Obfuscation-Vagueness-Confusion",
    "Questioning_the_Reputation",
    "Red_Herring",
    "Repetition",
    "Slogans",
    "Straw_Man",
    "Whataboutism",
)
NO_TECHNIQUE = "no_technique"
# From ArMPro's fine-grained_to_coarse-grained_mapping.txt.
COARSE_OF: dict[str, str] = {
    "Appeal_to_Time": "Call",
    "Conversation_Killer": "Call",
    "Slogans": "Call",
    "Red_Herring": "Distraction",
    "Straw_Man": "Distraction",
    "Whataboutism": "Distraction",
    "Appeal_to_Authority": "Justification",
    "Appeal_to_Fear-Prejudice": "Justification",
    "Appeal_to_Popularity": "Justification",
    "Appeal_to_Values": "Justification",
    "Flag_Waving": "Justification",
    "Exaggeration-Minimisation": "Manipulative_Wording",
    "Loaded_Language": "Manipulative_Wording",
    "Obfuscation-Vagueness-Confusion": "Manipulative_Wording",
    "Repetition": "Manipulative_Wording",
    "Appeal_to_Hypocrisy": "Reputation",
    "Doubt": "Reputation",
    "Guilt_by_Association": "Reputation",
    "Name_Calling-Labeling": "Reputation",
    "Questioning_the_Reputation": "Reputation",
    "Causal_Oversimplification": "Simplification",
    "Consequential_Oversimplification": "Simplification",
    "False_Dilemma-No_Choice": "Simplification",
}
COARSE_CLASSES: tuple[str, ...] = (
    "Call",
    "Distraction",
    "Justification",
    "Manipulative_Wording",
    "Reputation",
    "Simplification",
)

# WANLP 2022 and the translated PTC use the older SemEval names; each maps to one ArMPro name.
_OLD_NAMES: dict[str, str] = {
    "appeal to authority": "Appeal_to_Authority",
    "appeal to fear/prejudice": "Appeal_to_Fear-Prejudice",
    "appeal to fear-prejudice": "Appeal_to_Fear-Prejudice",
    "black-and-white fallacy/dictatorship": "False_Dilemma-No_Choice",
    "black-and-white fallacy": "False_Dilemma-No_Choice",
    "causal oversimplification": "Causal_Oversimplification",
    "doubt": "Doubt",
    "exaggeration/minimisation": "Exaggeration-Minimisation",
    "exaggeration,minimisation": "Exaggeration-Minimisation",
    "flag-waving": "Flag_Waving",
    "glittering generalities (virtue)": "Appeal_to_Values",
    "loaded language": "Loaded_Language",
    "misrepresentation of someone's position (straw man)": "Straw_Man",
    "straw men": "Straw_Man",
    "name calling/labeling": "Name_Calling-Labeling",
    "name calling,labeling": "Name_Calling-Labeling",
    "obfuscation, intentional vagueness, confusion": "Obfuscation-Vagueness-Confusion",
    "obfuscation,intentional vagueness,confusion": "Obfuscation-Vagueness-Confusion",
    "presenting irrelevant data (red herring)": "Red_Herring",
    "red herring": "Red_Herring",
    "reductio ad hitlerum": "Guilt_by_Association",
    "repetition": "Repetition",
    "slogans": "Slogans",
    "smears": "Questioning_the_Reputation",
    "thought-terminating cliché": "Conversation_Killer",
    "thought-terminating cliches": "Conversation_Killer",
    "whataboutism": "Whataboutism",
    "bandwagon": "Appeal_to_Popularity",
}


def map_technique_name(name: str) -> str | None:
    """Return the ArMPro name for a technique name in ArMPro, WANLP 2022 or PTC spelling (None if unknown)."""
    if name in COARSE_OF:
        return name
    return _OLD_NAMES.get(name.replace("_", " ").strip().lower())


# ---------------------------------------------------------------------------------------------
# Definitions


@dataclass(frozen=True, slots=True)
class Technique:
    """One technique as the report shows it: names, coarse class, definition and example, in two languages."""

    name: str
    coarse: str
    name_ar: str
    name_en: str
    definition_ar: str
    definition_en: str
    example_ar: str
    example_en: str


def load_techniques() -> dict[str, Technique]:
    """Read ``resources/techniques.json`` into Technique records keyed by ArMPro name, in model order."""
    raw = json.loads(resources.files("marsad.resources").joinpath("techniques.json").read_text("utf-8"))
    by_name = {entry["name"]: entry for entry in raw["techniques"]}
    return {
        name: Technique(
            name=name,
            coarse=by_name[name]["coarse"],
            name_ar=by_name[name]["name_ar"],
            name_en=by_name[name]["name_en"],
            definition_ar=by_name[name]["definition_ar"],
            definition_en=by_name[name]["definition_en"],
            example_ar=by_name[name]["example_ar"],
            example_en=by_name[name]["example_en"],
        )
        for name in TECHNIQUES
    }


# ---------------------------------------------------------------------------------------------
# Text folding, tokens and cue lexicons

_FOLD_TABLE: dict[int, str | None] = {
    ord(source): target
    for source, target in {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
    }.items()
}
_FOLD_TABLE.update({code: None for code in range(0x064B, 0x0660)})  # harakat, shadda, sukun
_FOLD_TABLE.update({0x0670: None, 0x0640: None})  # dagger alef, tatweel
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
# Attached particles stripped before a lexicon lookup, longest first.
_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


def fold(text: str) -> str:
    """Unify alef, ya, ta marbuta and hamza carriers and drop diacritics, for features only."""
    return text.translate(_FOLD_TABLE).lower()


def tokenise(text: str) -> list[tuple[int, int]]:
    """Word and punctuation tokens of ``text`` as (start, end) offsets."""
    return [match.span() for match in _TOKEN_RE.finditer(text)]


def _stems(word: str) -> list[str]:
    """The word and its forms with one attached particle removed (at least two letters left)."""
    forms = [word]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            forms.append(word[len(prefix) :])
    return forms


class CueLexicon:
    """The project's cue phrase lists, matched on folded word sequences."""

    def __init__(self, phrases: dict[str, list[tuple[str, ...]]]) -> None:
        self.categories = tuple(sorted(phrases))
        # first word -> list of (category index, rest of the phrase)
        self._index: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for index, category in enumerate(self.categories):
            for phrase in phrases[category]:
                self._index.setdefault(phrase[0], []).append((index, phrase[1:]))

    @classmethod
    def load(cls) -> CueLexicon:
        """Read every ``*.txt`` under ``resources/persuasion_cues`` (one category per file)."""
        folder = resources.files("marsad.resources").joinpath("persuasion_cues")
        phrases: dict[str, list[tuple[str, ...]]] = {}
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if not entry.name.endswith(".txt"):
                continue
            lines = entry.read_text("utf-8").splitlines()
            words = [tuple(fold(line).split()) for line in lines if line.strip() and not line.startswith("#")]
            phrases[entry.name[:-4]] = words
        return cls(phrases)

    def match(self, words: Sequence[str]) -> list[list[int]]:
        """For each folded word, the categories of the cue phrases that cover it."""
        covered: list[list[int]] = [[] for _ in words]
        for position, word in enumerate(words):
            for stem in _stems(word):
                for category, rest in self._index.get(stem, ()):
                    end = position + 1 + len(rest)
                    if tuple(words[position + 1 : end]) == rest:
                        for inside in range(position, end):
                            covered[inside].append(category)
        return covered


_EXCLAIM_RE = re.compile(r"[!！]")
_QUESTION_RE = re.compile(r"[?؟]")
_QUOTE_RE = re.compile(r"[\"«»“”]")


def cue_features(text: str, lexicon: CueLexicon) -> list[float]:
    """Dense per-paragraph counts: cue categories, punctuation, repetition, length (all log-scaled)."""
    words = [fold(text[start:end]) for start, end in tokenise(text)]
    covered = lexicon.match(words)
    counts = [0] * len(lexicon.categories)
    for categories in covered:
        for category in set(categories):
            counts[category] += 1
    content = Counter(word for word in words if len(word) >= 4)
    repeated = max(content.values(), default=0)
    values = [math.log1p(count) for count in counts]
    values += [
        math.log1p(len(_EXCLAIM_RE.findall(text))),
        math.log1p(len(_QUESTION_RE.findall(text))),
        math.log1p(len(_QUOTE_RE.findall(text))),
        math.log1p(max(repeated - 1, 0)),
        math.log1p(len(words)) / 5.0,
    ]
    return values


# ---------------------------------------------------------------------------------------------
# Training data


@dataclass(frozen=True, slots=True)
class TrainingItem:
    """A labelled text: its techniques (empty: none), spans where known, source and group for CV."""

    text: str
    techniques: frozenset[str]
    spans: tuple[tuple[int, int, str], ...] | None
    source: str
    group: str
    propagandistic: bool


def _text_key(text: str) -> str:
    return " ".join(text.split())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_training_items(
    data_dir: Path, *, sources: Iterable[str] = ("armpro", "araieval", "wanlp", "ptc")
) -> list[TrainingItem]:
    """Read the training sources named in ``sources``, deduplicated by whitespace-normalised text.

    ArMPro dev (V2, with spans) comes first, so a paragraph also in ArAIEval 2023 train keeps its
    spans. ``data_dir`` is the ``persuasion`` folder of the shared data. Raises E101 if it is absent.
    """
    if not data_dir.is_dir():
        raise error("E101", f"persuasion data folder not found: {data_dir}", input=str(data_dir))
    wanted = set(sources)
    items: list[TrainingItem] = []
    seen: set[str] = set()

    def add(item: TrainingItem) -> None:
        key = _text_key(item.text)
        if key and key not in seen:
            seen.add(key)
            items.append(item)

    if "armpro" in wanted:
        for row in _read_jsonl(data_dir / "armpro" / "V2" / "span" / "ArMPro_span_dev_V2.jsonl"):
            spans = tuple(
                (int(label["start"]), int(label["end"]), label["technique"])
                for label in row["labels"]
                if label["technique"] in COARSE_OF and int(label["end"]) > int(label["start"])
            )
            add(
                TrainingItem(
                    text=row["paragraph"],
                    techniques=frozenset(span[2] for span in spans),
                    spans=spans,
                    source="armpro",
                    group=row["page_id"],
                    propagandistic=bool(spans),
                )
            )
    if "araieval" in wanted:
        folder = data_dir / "araieval2023_task1"
        binary = {row["id"]: row["label"] for row in _read_jsonl(folder / "task1A_train.jsonl")}
        for row in _read_jsonl(folder / "task1B_train.jsonl"):
            if row.get("type") != "paragraph":
                continue
            techniques = frozenset(label for label in row["labels"] if label in COARSE_OF)
            add(
                TrainingItem(
                    text=row["text"],
                    techniques=techniques,
                    spans=None,
                    source="araieval",
                    group=row["id"].rsplit("_", 1)[0],
                    propagandistic=binary.get(row["id"], "true" if techniques else "false") == "true",
                )
            )
    if "wanlp" in wanted:
        for split in ("train", "dev", "dev_test"):
            rows = json.loads((data_dir / "wanlp2022" / f"task2_{split}.json").read_text("utf-8"))
            for row in rows:
                tweet_spans: list[tuple[int, int, str]] = []
                for label in row["labels"]:
                    name = map_technique_name(label["technique"])
                    if name is not None and int(label["end"]) > int(label["start"]):
                        tweet_spans.append((int(label["start"]), int(label["end"]), name))
                add(
                    TrainingItem(
                        text=row["text"],
                        techniques=frozenset(span[2] for span in tweet_spans),
                        spans=tuple(tweet_spans),
                        source="wanlp",
                        group=f"wanlp-{row['id']}",
                        propagandistic=bool(tweet_spans),
                    )
                )
    if "ptc" in wanted:
        with (data_dir / "ptc_arabic_translated" / "Train.tsv").open(encoding="utf-8") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader, None)
            for number, fields in enumerate(reader):
                name = map_technique_name(fields[2]) if len(fields) == 5 else None
                if name is None or not fields[1].strip():
                    continue
                add(
                    TrainingItem(
                        text=fields[1].strip(),
                        techniques=frozenset({name}),
                        spans=None,
                        source="ptc",
                        group=f"ptc-{fields[0]}-{number}",
                        propagandistic=True,
                    )
                )
    return items


# ---------------------------------------------------------------------------------------------
# Paragraph features


def _fold_preprocessor(text: str) -> str:
    return fold(text)


class ParagraphFeaturizer:
    """Word 1-2-gram and character 2-5-gram TF-IDF, plus cue counts (optional)."""

    def __init__(self, *, use_cues: bool = True, max_word: int = 20000, max_char: int = 40000) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.use_cues = use_cues
        self.word = TfidfVectorizer(
            preprocessor=_fold_preprocessor,
            token_pattern=r"(?u)\b\w+\b",
            ngram_range=(1, 2),
            min_df=2,
            max_features=max_word,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.char = TfidfVectorizer(
            preprocessor=_fold_preprocessor,
            analyzer="char_wb",
            ngram_range=(2, 5),
            min_df=3,
            max_features=max_char,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.lexicon = CueLexicon.load() if use_cues else None

    def fit(self, texts: Sequence[str]) -> ParagraphFeaturizer:
        self.word.fit(texts)
        self.char.fit(texts)
        # The fitted vectorisers keep every pruned term; dropping it keeps the shipped file small.
        for vectorizer in (self.word, self.char):
            if hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_
        return self

    def transform(self, texts: Sequence[str]) -> Any:
        from scipy import sparse

        blocks = [self.word.transform(texts), self.char.transform(texts)]
        if self.lexicon is not None:
            dense = np.asarray([cue_features(text, self.lexicon) for text in texts], dtype=np.float32)
            blocks.append(sparse.csr_matrix(dense))
        return sparse.hstack(blocks, format="csr")


def _fit_logistic(features: Any, targets: np.ndarray, *, c: float) -> tuple[np.ndarray, float]:
    """Fit one balanced logistic regression; return (weights, bias) as float32/float."""
    from sklearn.linear_model import LogisticRegression

    if targets.min() == targets.max():
        # A label never (or always) seen: a constant, very confident score.
        return np.zeros(features.shape[1], dtype=np.float32), -8.0 if targets.max() == 0 else 8.0
    model = LogisticRegression(
        C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0
    )
    model.fit(features, targets)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -30, 30)))


@dataclass
class _LinearHead:
    """Logistic scores for several outputs, with per-output thresholds (on probability)."""

    names: tuple[str, ...]
    weights: np.ndarray  # (features, outputs) float32
    bias: np.ndarray  # (outputs,)
    thresholds: np.ndarray  # (outputs,)
    platt: np.ndarray | None = None  # (outputs, 2): a, b with p = sigmoid(a * z + b)

    def probabilities(self, features: Any) -> np.ndarray:
        scores = np.asarray(features @ self.weights) + self.bias
        if self.platt is not None:
            scores = scores * self.platt[:, 0] + self.platt[:, 1]
        return np.asarray(_sigmoid(scores))


def _fit_head(
    features: Any, targets: np.ndarray, names: tuple[str, ...], *, c: float
) -> tuple[np.ndarray, np.ndarray]:
    weights = np.zeros((features.shape[1], targets.shape[1]), dtype=np.float32)
    bias = np.zeros(targets.shape[1], dtype=np.float64)
    for column in range(targets.shape[1]):
        weights[:, column], bias[column] = _fit_logistic(features, targets[:, column], c=c)
    return weights, bias


def _fit_platt(scores: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """Platt scaling: a one-feature logistic regression from raw score to probability."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, max_iter=1000)
    model.fit(scores.reshape(-1, 1), targets)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _best_accuracy_threshold(probabilities: np.ndarray, targets: np.ndarray, *, grid: np.ndarray) -> float:
    scores = [((probabilities >= threshold) == (targets == 1)).mean() for threshold in grid]
    return float(grid[int(np.argmax(scores))])


# ---------------------------------------------------------------------------------------------
# Span tagger (CRF)


def _token_features(text: str, lexicon: CueLexicon) -> tuple[list[tuple[int, int]], list[list[str]]]:
    offsets = tokenise(text)
    # A token of diacritics or tatweel alone folds to nothing; keep a placeholder so it has features.
    words = [fold(text[start:end]) or "_" for start, end in offsets]
    covered = lexicon.match(words)
    shapes = []
    for word in words:
        stem = _stems(word)[-1]
        shapes.append((word, stem, word[-3:], stem[:3], "p" if not word[0].isalnum() else "w"))
    sequences = []
    count = len(words)
    for position, (word, stem, suffix, prefix, kind) in enumerate(shapes):
        features = [f"w={word}", f"s={stem}", f"x={suffix}", f"f={prefix}", f"k={kind}"]
        features += [f"c={lexicon.categories[category]}" for category in set(covered[position])]
        for offset in (-2, -1, 1, 2):
            other = position + offset
            if 0 <= other < count:
                features.append(f"{offset}s={shapes[other][1]}")
                features += [f"{offset}c={lexicon.categories[c]}" for c in set(covered[other])]
            else:
                features.append(f"{offset}=edge")
        if position == 0:
            features.append("first")
        sequences.append(features)
    return offsets, sequences


def _bio_labels(offsets: list[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIO tags for tokens; where spans overlap, the shorter span wins its tokens."""
    tags = ["O"] * len(offsets)
    for start, end, technique in sorted(spans, key=lambda span: span[0] - span[1]):
        inside = [
            i for i, (token_start, token_end) in enumerate(offsets) if token_start < end and token_end > start
        ]
        for rank, index in enumerate(inside):
            tags[index] = f"{'B' if rank == 0 else 'I'}-{technique}"
    return tags


def _train_crf(
    items: Sequence[TrainingItem], lexicon: CueLexicon, path: Path, *, c1: float = 0.05, c2: float = 0.01
) -> None:
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for item in items:
        offsets, sequence = _token_features(item.text, lexicon)
        if offsets and item.spans is not None:
            trainer.append(sequence, _bio_labels(offsets, item.spans))
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": 150,
            "feature.possible_transitions": True,
            "feature.minfreq": 1,
        }
    )
    trainer.train(str(path))


def _tag_spans(tagger: Any, text: str, lexicon: CueLexicon) -> list[tuple[int, int, str, float]]:
    offsets, sequence = _token_features(text, lexicon)
    if not offsets:
        return []
    tagger.set(sequence)
    tags = tagger.tag()
    spans: list[tuple[int, int, str, float]] = []
    current: list[int] = []
    current_technique = ""

    def close() -> None:
        if current:
            label_scores = [tagger.marginal(tags[i], i) for i in current]
            score = float(sum(label_scores) / len(label_scores))
            spans.append((offsets[current[0]][0], offsets[current[-1]][1], current_technique, score))

    for index, tag in enumerate(tags):
        if tag == "O":
            close()
            current = []
            continue
        boundary, technique = tag.split("-", 1)
        if boundary == "B" or technique != current_technique:
            close()
            current = [index]
            current_technique = technique
        else:
            current.append(index)
    close()
    return spans


# ---------------------------------------------------------------------------------------------
# Prediction API


@dataclass(frozen=True, slots=True)
class ParagraphPrediction:
    """What the model says about one paragraph (span offsets are into that paragraph's string)."""

    propagandistic: bool
    score: float
    techniques: list[tuple[str, float]]
    spans: list[tuple[int, int, str, float]]
    coarse: list[tuple[str, float]] = field(default_factory=list)
    chars: int = 0


def article_score(predictions: Sequence[ParagraphPrediction]) -> float:
    """Expected share of the article's text that lies in propagandistic paragraphs.

    The character-weighted mean of calibrated paragraph probabilities: it estimates a quantity an
    annotator can check, stays calibrated whatever the article's length (a noisy-OR tends to 1 as
    paragraphs are added), and one loaded paragraph in a long sober article moves it only a little.
    Returns 0.0 for an article without paragraphs.
    """
    if not predictions:
        return 0.0
    weights = [max(prediction.chars, 1) for prediction in predictions]
    return float(sum(w * p.score for w, p in zip(weights, predictions, strict=True)) / sum(weights))


MODEL_FILE = "paragraph_models.joblib"
TAGGER_FILE = "span_tagger.crfsuite"


class PersuasionModel:
    """The trained paragraph heads and span tagger; load once, predict many times."""

    def __init__(self, bundle: dict[str, Any], tagger_path: Path | None) -> None:
        self.featurizer: ParagraphFeaturizer = bundle["featurizer"]
        self.binary: _LinearHead = bundle["binary"]
        self.techniques: _LinearHead = bundle["techniques"]
        self.coarse: _LinearHead = bundle["coarse"]
        self.metadata: dict[str, Any] = bundle.get("metadata", {})
        self._tagger: Any = None
        self._lexicon = CueLexicon.load()
        if tagger_path is not None:
            import pycrfsuite

            self._tagger = pycrfsuite.Tagger()
            self._tagger.open(str(tagger_path))

    @classmethod
    def load(cls, model_dir: Path | None = None) -> PersuasionModel:
        """Load from ``model_dir`` or, when None, from the package's ``models/data/persuasion``.

        Raises E204 when the model files are missing.
        """
        import joblib

        if model_dir is None:
            folder = resources.files("marsad.models").joinpath("data", "persuasion")
            with resources.as_file(folder) as path:
                return cls.load(Path(path))
        bundle_path = model_dir / MODEL_FILE
        if not bundle_path.is_file():
            raise error("E204", f"persuasion model not found in {model_dir}", input=str(model_dir))
        tagger_path = model_dir / TAGGER_FILE
        return cls(joblib.load(bundle_path), tagger_path if tagger_path.is_file() else None)

    def predict(self, paragraphs: list[str], *, spans: bool = True) -> list[ParagraphPrediction]:
        """Score each paragraph; ``spans=False`` skips the span tagger (about twice as fast)."""
        if not paragraphs:
            return []
        features = self.featurizer.transform(paragraphs)
        binary = self.binary.probabilities(features)[:, 0]
        fine = self.techniques.probabilities(features)
        coarse = self.coarse.probabilities(features)
        gate = binary >= self.binary.thresholds[0]
        fine_sets = _decode(fine, self.techniques.thresholds, gate)
        coarse_sets = _decode(coarse, self.coarse.thresholds, gate)
        results = []
        for row, text in enumerate(paragraphs):
            propagandistic = bool(gate[row])
            chosen = [
                (name, float(fine[row, c]))
                for c, name in enumerate(self.techniques.names)
                if fine_sets[row, c]
            ]
            chosen_coarse = [
                (name, float(coarse[row, c]))
                for c, name in enumerate(self.coarse.names)
                if coarse_sets[row, c]
            ]
            found = (
                _tag_spans(self._tagger, text, self._lexicon) if spans and self._tagger is not None else []
            )
            results.append(
                ParagraphPrediction(
                    propagandistic=propagandistic,
                    score=float(binary[row]),
                    techniques=sorted(chosen, key=lambda pair: -pair[1]),
                    spans=found,
                    coarse=sorted(chosen_coarse, key=lambda pair: -pair[1]),
                    chars=len(text),
                )
            )
        return results

    def article_score(self, predictions: Sequence[ParagraphPrediction]) -> float:
        """See :func:`article_score`."""
        return article_score(predictions)


# ---------------------------------------------------------------------------------------------
# Training

_GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)


def _targets(items: Sequence[TrainingItem], names: Sequence[str], *, coarse: bool = False) -> np.ndarray:
    matrix = np.zeros((len(items), len(names)), dtype=np.int64)
    column_of = {name: column for column, name in enumerate(names)}
    for row, item in enumerate(items):
        labels = {COARSE_OF[t] for t in item.techniques} if coarse else item.techniques
        for label in labels:
            matrix[row, column_of[label]] = 1
    return matrix


@dataclass
class TrainOptions:
    """Choices compared in bench/persuasion_experiments.py; the defaults are what ships."""

    sources: tuple[str, ...] = ("armpro", "araieval", "wanlp")
    use_cues: bool = True
    span_texts: bool = True  # add gold span texts as short extra items for the technique heads
    c_binary: float = 1.0
    c_labels: float = 2.0
    folds: int = 5
    max_word: int = 20000
    max_char: int = 40000


def _core(items: Sequence[TrainingItem]) -> np.ndarray:
    """Which items are native news paragraphs (the ones measured in CV)."""
    return np.array([item.source in ("armpro", "araieval") for item in items])


def _span_items(items: Sequence[TrainingItem]) -> list[TrainingItem]:
    """Span texts from gold spans as single-technique items (they teach which words carry a technique)."""
    extra = []
    for item in items:
        for start, end, technique in item.spans or ():
            text = item.text[start:end].strip()
            if len(text) >= 3:
                extra.append(
                    TrainingItem(
                        text=text,
                        techniques=frozenset({technique}),
                        spans=None,
                        source="span",
                        group=item.group,
                        propagandistic=True,
                    )
                )
    return extra


def _fit_paragraph_models(
    train: Sequence[TrainingItem], options: TrainOptions
) -> tuple[ParagraphFeaturizer, Any, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Fit the featuriser and the raw (uncalibrated, unthresholded) heads on ``train``."""
    label_items = list(train) + (_span_items(train) if options.span_texts else [])
    featurizer = ParagraphFeaturizer(
        use_cues=options.use_cues, max_word=options.max_word, max_char=options.max_char
    ).fit([item.text for item in train])
    # The binary head sees whole texts only: a bare span has no sober context to contrast with.
    binary_features = featurizer.transform([item.text for item in train])
    binary_targets = np.array([[int(item.propagandistic)] for item in train])
    label_features = featurizer.transform([item.text for item in label_items])
    heads = {
        "binary": _fit_head(binary_features, binary_targets, ("propagandistic",), c=options.c_binary),
        "techniques": _fit_head(
            label_features, _targets(label_items, TECHNIQUES), TECHNIQUES, c=options.c_labels
        ),
        "coarse": _fit_head(
            label_features,
            _targets(label_items, COARSE_CLASSES, coarse=True),
            COARSE_CLASSES,
            c=options.c_labels,
        ),
    }
    return featurizer, binary_features, heads


def _raw_scores(
    featurizer: ParagraphFeaturizer, heads: dict[str, Any], texts: Sequence[str]
) -> dict[str, Any]:
    features = featurizer.transform(texts)
    return {name: np.asarray(features @ weights) + bias for name, (weights, bias) in heads.items()}


def cross_validate(
    items: Sequence[TrainingItem], options: TrainOptions, *, seed: int = 13
) -> dict[str, np.ndarray]:
    """Out-of-fold raw scores for the native paragraphs, grouping folds by article."""
    from sklearn.model_selection import GroupKFold

    core_mask = _core(items)
    core_index = np.flatnonzero(core_mask)
    extra = [item for item, core in zip(items, core_mask, strict=True) if not core]
    groups = [items[int(i)].group for i in core_index]
    out: dict[str, np.ndarray] = {}
    splitter = GroupKFold(n_splits=options.folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(core_index, groups=groups):
        train = [items[core_index[i]] for i in train_rows] + extra
        featurizer, _, heads = _fit_paragraph_models(train, options)
        scores = _raw_scores(featurizer, heads, [items[core_index[i]].text for i in test_rows])
        for name, values in scores.items():
            if name not in out:
                out[name] = np.zeros((len(core_index), values.shape[1]))
            out[name][test_rows] = values
    out["index"] = core_index
    return out


def _reliability(probabilities: np.ndarray, targets: np.ndarray, *, bins: int = 10) -> list[dict[str, Any]]:
    table: list[dict[str, Any]] = []
    for low in range(bins):
        inside = (probabilities >= low / bins) & (
            (probabilities < (low + 1) / bins) if low < bins - 1 else (probabilities <= 1.0)
        )
        count = int(inside.sum())
        table.append(
            {
                "bin": f"{low / bins:.1f}-{(low + 1) / bins:.1f}",
                "mean_predicted": float(probabilities[inside].mean()) if count else float("nan"),
                "observed": float(targets[inside].mean()) if count else float("nan"),
                "count": count,
            }
        )
    return table


def _decode(probabilities: np.ndarray, thresholds: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """Label matrix with a last ``no_technique`` column: gated-off rows get only that column;
    other rows get every label at or above its threshold, or their best label when none is."""
    chosen = np.asarray(probabilities >= thresholds)
    empty = np.asarray(~chosen.any(axis=1))
    best = np.zeros_like(chosen)
    best[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
    chosen = np.where(empty[:, None], best, chosen) & gate[:, None]
    return np.hstack([chosen, ~gate[:, None]])


def _label_matrix(items: Sequence[TrainingItem], names: Sequence[str], *, coarse: bool) -> np.ndarray:
    targets = _targets(items, names, coarse=coarse).astype(bool)
    return np.hstack([targets, ~targets.any(axis=1, keepdims=True)])


def _micro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    total = gold.sum() + predicted.sum()
    return float(2 * (gold & predicted).sum() / total) if total else 0.0


def _tune_thresholds(probabilities: np.ndarray, gold: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """Per-label thresholds by coordinate ascent on micro-F1 of the decoded label sets.

    Labels with fewer than 5 positives are never predicted: CV cannot place their threshold.
    """
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    thresholds = np.full(probabilities.shape[1], 0.5)
    rare = gold[:, :-1].sum(axis=0) < 5
    thresholds[rare] = 1.01
    for _ in range(2):
        for column in np.flatnonzero(~rare):
            best_value, best_score = (
                thresholds[column],
                _micro_f1(gold, _decode(probabilities, thresholds, gate)),
            )
            for value in grid:
                thresholds[column] = value
                score = _micro_f1(gold, _decode(probabilities, thresholds, gate))
                if score > best_score + 1e-9:
                    best_value, best_score = value, score
            thresholds[column] = best_value
    return thresholds


def choose_calibration(oof: dict[str, np.ndarray], items: Sequence[TrainingItem]) -> dict[str, Any]:
    """From out-of-fold scores: Platt parameters and thresholds for every head."""
    core = [items[i] for i in oof["index"]]
    binary_targets = np.array([int(item.propagandistic) for item in core])
    a, b = _fit_platt(oof["binary"][:, 0], binary_targets)
    binary_probability = _sigmoid(oof["binary"][:, 0] * a + b)
    binary_threshold = _best_accuracy_threshold(binary_probability, binary_targets, grid=_GRID)
    gate = binary_probability >= binary_threshold
    chosen: dict[str, Any] = {
        "binary_platt": (a, b),
        "binary_threshold": binary_threshold,
        "binary_probability": binary_probability,
        "reliability": _reliability(binary_probability, binary_targets),
    }
    for head, names, coarse in (("techniques", TECHNIQUES, False), ("coarse", COARSE_CLASSES, True)):
        gold = _label_matrix(core, names, coarse=coarse)
        chosen[f"{head}_thresholds"] = _tune_thresholds(_sigmoid(oof[head]), gold, gate)
    return chosen


def _sets(matrix: np.ndarray, names: Sequence[str]) -> list[set[str]]:
    columns = [*names, NO_TECHNIQUE]
    return [{columns[c] for c in np.flatnonzero(row)} for row in matrix]


def cv_figures(
    oof: dict[str, np.ndarray], chosen: dict[str, Any], items: Sequence[TrainingItem]
) -> dict[str, Any]:
    """Binary, multilabel and coarse micro/macro-F1 of the out-of-fold predictions (official style)."""
    from marsad.evaluate.persuasion import label_prf

    core = [items[i] for i in oof["index"]]
    gate = chosen["binary_probability"] >= chosen["binary_threshold"]
    figures: dict[str, Any] = {"paragraphs": len(core)}
    figures["binary"] = label_prf(
        [{"true" if item.propagandistic else "false"} for item in core],
        [{"true" if flag else "false"} for flag in gate],
    )
    for head, names, coarse in (("techniques", TECHNIQUES, False), ("coarse", COARSE_CLASSES, True)):
        predicted = _decode(_sigmoid(oof[head]), chosen[f"{head}_thresholds"], gate)
        gold = _label_matrix(core, names, coarse=coarse)
        figures["multilabel" if head == "techniques" else "coarse"] = label_prf(
            _sets(gold, names), _sets(predicted, names)
        )
    return figures


def train_persuasion(*, data_dir: Path, out_dir: Path, options: TrainOptions | None = None) -> dict[str, Any]:
    """Train the shipped persuasion models from the shared data and write them to ``out_dir``.

    ``data_dir`` is the shared data root or its ``persuasion`` folder. Deterministic: the same data
    gives the same files. Returns the cross-validated figures and the model sizes.
    Raises E101 when the data is missing.
    """
    import joblib

    options = options or TrainOptions()
    started = time.perf_counter()
    folder = data_dir / "persuasion" if (data_dir / "persuasion").is_dir() else data_dir
    items = read_training_items(folder, sources=options.sources)
    oof = cross_validate(items, options)
    chosen = choose_calibration(oof, items)
    figures = cv_figures(oof, chosen, items)

    featurizer, _, heads = _fit_paragraph_models(items, options)
    a, b = chosen["binary_platt"]
    binary = _LinearHead(
        ("propagandistic",),
        heads["binary"][0],
        heads["binary"][1],
        np.array([chosen["binary_threshold"]]),
        platt=np.array([[a, b]]),
    )
    techniques = _LinearHead(
        TECHNIQUES, heads["techniques"][0], heads["techniques"][1], chosen["techniques_thresholds"]
    )
    coarse = _LinearHead(COARSE_CLASSES, heads["coarse"][0], heads["coarse"][1], chosen["coarse_thresholds"])

    import sklearn

    metadata = {
        "scikit_learn": sklearn.__version__,
        "sources": list(options.sources),
        "training_items": dict(Counter(item.source for item in items)),
        "cv": {key: value for key, value in figures.items()},
        "reliability": chosen["reliability"],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = {"featurizer": featurizer, "binary": binary, "techniques": techniques, "coarse": coarse}
    bundle["metadata"] = metadata
    joblib.dump(bundle, out_dir / MODEL_FILE, compress=("xz", 6))

    lexicon = CueLexicon.load()
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch) / TAGGER_FILE
        _train_crf([item for item in items if item.spans is not None], lexicon, scratch_path)
        (out_dir / TAGGER_FILE).write_bytes(scratch_path.read_bytes())
    metadata["seconds"] = round(time.perf_counter() - started, 1)
    metadata["bytes"] = {name: (out_dir / name).stat().st_size for name in (MODEL_FILE, TAGGER_FILE)}
    return metadata
