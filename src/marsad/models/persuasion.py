"""Persuasion-technique models: paragraph binary, 23 techniques, 6 coarse classes, span suggestions.

Paragraph models are linear: word and character n-gram TF-IDF plus counts from the project's own
cue lexicons (``resources/persuasion_cues/``), one logistic regression per output. Spans come from
a token classifier (no technique, or one of the 23) whose per-technique thresholds are chosen by
cross-validation; marked words become spans. The binary probability stacks the n-gram binary score
with a summary of the token classifier's output and two paragraph-vector scores (a logistic regression
and an RBF support-vector classifier over the SIF-weighted mean of word2vec vectors trained on the
unlabelled news corpora), fitted on cross-validated predictions to ArMPro dev's news paragraphs;
per-label thresholds are chosen on the same predictions.

The shipped file lives in ``models/data/persuasion/``; ``train_persuasion`` rebuilds it.
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from marsad.errors import error

__all__ = [
    "COARSE_CLASSES",
    "COARSE_OF",
    "NO_TECHNIQUE",
    "SPAN_CLASSES",
    "TECHNIQUES",
    "CueLexicon",
    "ParagraphPrediction",
    "PersuasionModel",
    "SpanTagger",
    "Technique",
    "TrainingItem",
    "WordVectors",
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
# Harakat, shadda, dagger alef and Quranic marks are not \w; inside a word they must not split it.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_TOKEN_RE = re.compile(rf"[\w{_MARKS}]+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")
# Proclitics in the order Arabic stacks them: conjunction, preposition, article (وبالمجزرة = و+ب+ال+مجزرة).
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ل", "ك")
_STEM_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 300_000


# The same mapping for re.sub, which is faster than str.translate on Arabic text (most characters
# stay as they are, and translate looks each one up).
_FOLD_CHARACTERS: dict[str, str] = {chr(code): target or "" for code, target in _FOLD_TABLE.items()}
_FOLD_RE = re.compile("[" + "".join(map(re.escape, _FOLD_CHARACTERS)) + "]")


def _fold_match(match: re.Match[str]) -> str:
    return _FOLD_CHARACTERS[match.group()]


def fold(text: str) -> str:
    """Unify alef, ya, ta marbuta and hamza carriers and drop diacritics, for features only."""
    return _FOLD_RE.sub(_fold_match, text).lower()


_FOLD_CACHE: dict[str, str] = {}


def _is_word(token: str) -> bool:
    """Whether a token may start or end a span suggestion: it has a letter (not digits or punctuation)."""
    return any(character.isalpha() for character in token)


_EDGE_WORDS: dict[str, int] | None = None
# What a word may not be at the edge of a span suggestion: a function word neither end, a negation
# not the end (it may start one: لم يعد مقبولا).
_NOT_AN_EDGE, _NOT_AN_END = 1, 2


def _edge_words() -> dict[str, int]:
    """``resources/text/function_words.txt`` and ``negations.txt``, folded, to their edge rule."""
    global _EDGE_WORDS
    if _EDGE_WORDS is None:
        folder = resources.files("marsad.resources").joinpath("text")
        words: dict[str, int] = {}
        for name, rule in (("function_words.txt", _NOT_AN_EDGE), ("negations.txt", _NOT_AN_END)):
            lines = [
                line
                for line in folder.joinpath(name).read_text("utf-8").splitlines()
                if not line.startswith("#")
            ]
            words.update((fold(word), rule) for line in lines for word in line.split())
        _EDGE_WORDS = words
    return _EDGE_WORDS


def _edge_rule(token: str) -> int:
    """0 for a word a suggestion may start and end on, else ``_NOT_AN_EDGE`` or ``_NOT_AN_END``."""
    return _edge_words().get(fold(token), 0)


class _Rules(dict[int, int]):
    """Tokens' edge rules where an absent token has none."""

    def __missing__(self, key: int) -> int:
        return 0


def _trimmed(
    starts: list[int], scores: list[float], tokens: Sequence[int], rules: Any, values: np.ndarray
) -> tuple[list[int], list[int], list[float]]:
    """Runs of marked tokens (``starts`` into ``tokens``, each running to the next start, with their
    mean ``scores``) with function words left off both edges and negations off the end
    (``rules[token]``, see :func:`_edge_rule`: هو المغرب gives المغرب); a run with nothing left is
    dropped. Returns the runs' starts, ends and scores; a cut run's score is the mean of the values
    it keeps."""
    kept_starts: list[int] = []
    kept_ends: list[int] = []
    kept_scores: list[float] = []
    for start, end, score in zip(starts, [*starts[1:], len(tokens)], scores, strict=True):
        first, last = start, end
        while last > first and rules[tokens[last - 1]]:
            last -= 1
        while first < last and rules[tokens[first]] == _NOT_AN_EDGE:
            first += 1
        if first == last:
            continue
        kept_starts.append(first)
        kept_ends.append(last)
        kept_scores.append(score if (first, last) == (start, end) else float(values[first:last].mean()))
    return kept_starts, kept_ends, kept_scores


def _fold_token(token: str) -> str:
    """``fold`` of one token, cached; a token of diacritics or tatweel alone becomes "_"."""
    folded = _FOLD_CACHE.get(token)
    if folded is None:
        if len(_FOLD_CACHE) >= _CACHE_LIMIT:
            _FOLD_CACHE.clear()
        folded = fold(token) or "_"
        _FOLD_CACHE[token] = folded
    return folded


def tokenise(text: str) -> list[tuple[int, int]]:
    """Word and punctuation tokens of ``text`` as (start, end) offsets."""
    return [match.span() for match in _TOKEN_RE.finditer(text)]


def _strip_forms(word: str) -> list[str]:
    forms = [word]
    for conjunction in _CONJUNCTIONS:
        if not word.startswith(conjunction):
            continue
        after_conjunction = word[len(conjunction) :]
        for preposition in _PREPOSITIONS:
            if not after_conjunction.startswith(preposition):
                continue
            body = after_conjunction[len(preposition) :]
            candidates = [body]
            if body.startswith("ال"):
                candidates.append(body[2:])
            elif preposition == "ل" and body.startswith("ل"):
                candidates.append(body[1:])  # لل: ل + ال with the alef dropped
            for candidate in candidates:
                if len(candidate) >= 2 and candidate not in forms:
                    forms.append(candidate)
    return forms


def _stems(word: str) -> tuple[str, ...]:
    """The word and its forms without stacked proclitics (و/ف, ب/ل/ك, ال), shortest last; cached."""
    forms = _STEM_CACHE.get(word)
    if forms is None:
        if len(_STEM_CACHE) >= _CACHE_LIMIT:
            _STEM_CACHE.clear()
        forms = tuple(sorted(_strip_forms(word), key=len, reverse=True))
        _STEM_CACHE[word] = forms
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
        # folded word -> the phrases it may start (through any of its stems); words repeat, so cache
        self._candidates: dict[str, list[tuple[int, tuple[str, ...]]]] = {}

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
        for position, categories in self.covering(words).items():
            covered[position] = categories
        return covered

    def covering(self, words: Sequence[str]) -> dict[int, list[int]]:
        """:meth:`match` for the covered words only: position -> categories (non-empty)."""
        cache = self._candidates
        looked = list(map(cache.get, words))
        if None in looked:
            # Look up every word again, in order, as the cache was filled (and cleared) before.
            for position, word in enumerate(words):
                candidates = cache.get(word)
                if candidates is None:
                    if len(cache) >= _CACHE_LIMIT:
                        cache.clear()
                    candidates = [found for stem in _stems(word) for found in self._index.get(stem, ())]
                    cache[word] = candidates
                looked[position] = candidates
        covered: dict[int, list[int]] = {}
        for position in [position for position, candidates in enumerate(looked) if candidates]:
            for category, rest in looked[position]:  # type: ignore[union-attr]
                end = position + 1 + len(rest)
                if not rest or tuple(words[position + 1 : end]) == rest:
                    for inside in range(position, end):
                        covered.setdefault(inside, []).append(category)
        return covered

    def same_phrases(self, other: CueLexicon) -> bool:
        """Whether ``other`` holds the same categories and phrases (so matches agree)."""
        return self.categories == other.categories and self._index == other._index


# Counted one character at a time (str.count is faster than a regular expression).
_EXCLAIMS = "!！"
_QUESTIONS = "?؟"
_QUOTES = '"«»“”'


def _count_chars(text: str, characters: str) -> int:
    return sum(text.count(character) for character in characters)


def cue_features(
    text: str,
    lexicon: CueLexicon,
    *,
    folded: str | None = None,
    matched: tuple[list[str], dict[int, list[int]]] | None = None,
) -> list[float]:
    """Dense per-paragraph counts: cue categories, punctuation, repetition, length (all log-scaled).

    ``matched``: folded tokens and their :meth:`CueLexicon.covering` under the same phrases (as
    :meth:`SpanTagger.tables` finds them), reused when they are this text's tokens."""
    folded = fold(text) if folded is None else folded
    words = _TOKEN_RE.findall(folded)
    covered = matched[1] if matched is not None and matched[0] == words else lexicon.covering(words)
    counts = [0] * len(lexicon.categories)
    for categories in covered.values():
        for category in set(categories):
            counts[category] += 1
    content = Counter([word for word in words if len(word) >= 4])
    repeated = max(content.values(), default=0)
    values = [math.log1p(count) for count in counts]
    values += [
        math.log1p(_count_chars(text, _EXCLAIMS)),
        math.log1p(_count_chars(text, _QUESTIONS)),
        math.log1p(_count_chars(text, _QUOTES)),
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


def _select(df: Counter[str], *, min_df: int, limit: int) -> list[str]:
    """Terms seen in at least ``min_df`` texts, the ``limit`` most frequent (ties by term: deterministic)."""
    kept = [(count, term) for term, count in df.items() if count >= min_df]
    kept.sort(key=lambda pair: (-pair[0], pair[1]))
    return sorted(term for _, term in kept[:limit])


class ParagraphFeaturizer:
    """Sublinear TF-IDF over folded words and word bigrams, and over character n-grams inside words
    (each block L2-normalised, as scikit-learn's ``TfidfVectorizer`` does), plus cue counts.

    Written out rather than using scikit-learn's vectorisers: the n-grams of a word are looked up
    once and cached, which makes one paragraph cost a few dictionary lookups per word.
    """

    def __init__(
        self,
        *,
        use_cues: bool = True,
        max_word: int = 20000,
        max_char: int = 40000,
        min_df: int = 2,
        char_range: tuple[int, int] = (2, 4),
    ) -> None:
        self.use_cues = use_cues
        self.max_word = max_word
        self.max_char = max_char
        self.min_df = min_df
        self.char_range = char_range
        self.word_vocabulary: dict[str, int] = {}
        self.char_vocabulary: dict[str, int] = {}
        self.word_idf = np.zeros(0, dtype=np.float32)
        self.char_idf = np.zeros(0, dtype=np.float32)
        self.idf = np.zeros(0, dtype=np.float32)
        self.lexicon = CueLexicon.load() if use_cues else None
        self._char_cache: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_char_cache"] = {}
        state.pop("_bigrams", None)  # made again from the vocabulary
        return state

    @property
    def size(self) -> int:
        cues = len(self.lexicon.categories) + 5 if self.lexicon is not None else 0
        return len(self.word_vocabulary) + len(self.char_vocabulary) + cues

    def _char_grams(self, word: str) -> list[str]:
        padded = f" {word} "
        low, high = self.char_range
        return [padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]

    @staticmethod
    def _word_terms(words: list[str]) -> list[str]:
        return words + [f"{a} {b}" for a, b in pairwise(words)]

    def fit(self, texts: Sequence[str]) -> ParagraphFeaturizer:
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        for text in texts:
            words = _WORD_RE.findall(fold(text))
            word_df.update(set(self._word_terms(words)))
            char_df.update({gram for word in set(words) for gram in self._char_grams(word)})
        total = len(texts)
        for block, df, limit in (("word", word_df, self.max_word), ("char", char_df, self.max_char)):
            terms = _select(df, min_df=self.min_df, limit=limit)
            # The smoothed idf of scikit-learn: ln((1 + n) / (1 + df)) + 1.
            idf = np.array([math.log((1 + total) / (1 + df[term])) + 1 for term in terms], dtype=np.float32)
            setattr(self, f"{block}_vocabulary", {term: index for index, term in enumerate(terms)})
            setattr(self, f"{block}_idf", idf)
        self.idf = np.concatenate([self.word_idf, self.char_idf])
        self._char_cache = {}
        self.__dict__.pop("_bigrams", None)
        return self

    def _char_ids(self, word: str) -> np.ndarray:
        ids = self._char_cache.get(word)
        if ids is None:
            if len(self._char_cache) >= _CACHE_LIMIT:
                self._char_cache.clear()
            vocabulary = self.char_vocabulary
            offset = len(self.word_vocabulary)  # character columns follow the word columns
            ids = np.asarray(
                [vocabulary[gram] + offset for gram in self._char_grams(word) if gram in vocabulary],
                dtype=np.int64,
            )
            self._char_cache[word] = ids
        return ids

    def _bigram_columns(self) -> dict[tuple[str, str], int]:
        """Word-bigram columns keyed by the pair of words (no joined string to build per look-up)."""
        bigrams = self.__dict__.get("_bigrams")
        if bigrams is None:
            bigrams = {}
            for term, column in self.word_vocabulary.items():
                pair = term.split(" ")
                if len(pair) == 2:
                    bigrams[pair[0], pair[1]] = column
            self._bigrams = bigrams
        return bigrams

    def parts(
        self,
        texts: Sequence[str],
        *,
        words_out: list[list[str]] | None = None,
        folded: Sequence[str] | None = None,
        matched: Sequence[tuple[list[str], dict[int, list[int]]]] | None = None,
    ) -> tuple[Any, np.ndarray | None]:
        """The TF-IDF rows (CSR, float32, word block then character block) and the dense cue rows;
        each text's folded words are appended to ``words_out`` when given. ``folded``: the texts'
        :func:`fold`, when already made; ``matched``: each text's cue matches (see :func:`cue_features`)."""
        from scipy import sparse

        values, columns, indptr, cues = self._rows(texts, words_out=words_out, folded=folded, matched=matched)
        tfidf = sparse.csr_matrix(
            (values, columns, indptr), shape=(len(texts), len(self.idf)), dtype=np.float32
        )
        return tfidf, cues

    def _rows(
        self,
        texts: Sequence[str],
        *,
        words_out: list[list[str]] | None,
        folded: Sequence[str] | None,
        matched: Sequence[tuple[list[str], dict[int, list[int]]]] | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """:meth:`parts` with the TF-IDF rows as CSR arrays: values, columns, row pointers."""
        word_get = self.word_vocabulary.get
        bigram_get = self._bigram_columns().get
        char_cache = self._char_cache
        char_ids = self._char_ids
        width = self._width
        pieces: list[np.ndarray] = []
        cue_rows: list[list[float]] = []
        for row, text in enumerate(texts):
            folded_text = fold(text) if folded is None else folded[row]
            words = _WORD_RE.findall(folded_text)
            if words_out is not None:
                words_out.append(words)
            # Segment 2*row holds the text's word terms, 2*row + 1 its character n-grams; keys are
            # segment * width + column, so one sort counts every term of every text. Only the
            # multiset of keys matters, not their order.
            word_terms = [column for column in map(word_get, words) if column is not None]
            word_terms += [column for column in map(bigram_get, pairwise(words)) if column is not None]
            pieces.append(np.asarray(word_terms, dtype=np.int64) + 2 * row * width)
            if words:
                try:
                    grams = list(map(char_cache.__getitem__, words))
                except KeyError:  # a word not seen yet: look every word up as before
                    grams = [char_ids(word) for word in words]
                pieces.append(np.concatenate(grams) + (2 * row + 1) * width)
            if self.lexicon is not None:
                cue_rows.append(
                    cue_features(
                        text,
                        self.lexicon,
                        folded=folded_text,
                        matched=None if matched is None else matched[row],
                    )
                )
        keys = np.concatenate(pieces)
        if 2 * len(texts) * width < 2**31:
            keys = keys.astype(np.int32)  # sorts in half the time
        keys.sort()
        # np.unique(keys, return_counts=True), without its overhead
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        counts = np.diff(starts, append=len(keys))
        keys = keys[starts]
        segments, columns = np.divmod(keys, width)
        values = (1.0 + np.log(counts.astype(np.float32))) * self.idf[columns]
        norms = np.sqrt(np.bincount(segments, weights=values * values))
        values = (values / norms[segments]).astype(np.float32)
        per_row = np.bincount(segments // 2, minlength=len(texts))
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        cues = np.asarray(cue_rows, dtype=np.float32) if self.lexicon is not None else None
        return values, columns, indptr, cues

    @property
    def _width(self) -> int:
        return max(len(self.idf), 1)

    def transform(self, texts: Sequence[str]) -> Any:
        """One sparse row per text (CSR, float32): TF-IDF blocks, then cue counts."""
        from scipy import sparse

        tfidf, cues = self.parts(texts)
        if cues is None:
            return tfidf
        return sparse.hstack([tfidf, sparse.csr_matrix(cues.reshape(len(texts), -1))], format="csr")

    def scores(
        self,
        texts: Sequence[str],
        weights: np.ndarray,
        *,
        words_out: list[list[str]] | None = None,
        folded: Sequence[str] | None = None,
        matched: Sequence[tuple[list[str], dict[int, list[int]]]] | None = None,
    ) -> np.ndarray:
        """``transform(texts) @ weights`` without building the full sparse matrix (the keywords as in
        :meth:`parts`)."""
        values, columns, indptr, cues = self._rows(texts, words_out=words_out, folded=folded, matched=matched)
        split = len(self.idf)
        raw = _sparse_product(values, columns, indptr, weights[:split])
        if cues is not None:
            raw += cues @ weights[split:]
        return raw


def _sparse_product(
    values: np.ndarray, columns: np.ndarray, indptr: np.ndarray, dense: np.ndarray
) -> np.ndarray:
    """``csr_matrix((values, columns, indptr)) @ dense``, float32 throughout."""
    from scipy import sparse

    matrix = sparse.csr_matrix(
        (values, columns, indptr), shape=(len(indptr) - 1, len(dense)), dtype=np.float32
    )
    return np.asarray(matrix @ dense)


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


def _apply_platt(scores: np.ndarray, platt: np.ndarray | None) -> np.ndarray:
    if platt is not None:
        scores = scores * platt[:, 0] + platt[:, 1]
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


# ---------------------------------------------------------------------------------------------
# Span tagger: a token classifier (which technique, if any, each word carries), spans by merging

SPAN_CLASSES: tuple[str, ...] = ("O", *TECHNIQUES)
Spans = list[tuple[int, int, str, float]]


def _token_labels(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]]) -> list[int]:
    """Class index (into SPAN_CLASSES) per token; where spans overlap, the shorter span wins its tokens."""
    column_of = {name: column for column, name in enumerate(SPAN_CLASSES)}
    labels = [0] * len(offsets)
    for start, end, technique in sorted(spans, key=lambda span: span[0] - span[1]):
        for index, (token_start, token_end) in enumerate(offsets):
            if token_start < end and token_end > start:
                labels[index] = column_of[technique]
    return labels


class SpanTagger:
    """Multinomial logistic regression over tokens (no technique, or one of the 23), with sparse
    features: the folded word, its stem without proclitics, the stem's first and the word's last
    three letters, cue categories, and the stems and cue categories of the neighbours (±2).

    A word is marked when its probability of carrying some technique reaches ``threshold``; marked
    words of the same technique separated by at most ``gap`` tokens become one span.
    """

    _SLOTS = 13  # word, stem, prefix, suffix, cue x2, stems at -2 -1 +1 +2, cues at -1 +1, punctuation
    # With word clusters (set_clusters): three more, the word's cluster and its neighbours' at -1 +1.
    _CLUSTER_SLOTS = 3
    # Made by tables() on first use, not saved: word -> row of _rows (its word-only slots).
    _row_of: dict[str, int]
    _rows: np.ndarray

    def __init__(self, lexicon: CueLexicon, *, min_count: int = 2) -> None:
        self.lexicon = lexicon
        self.min_count = min_count
        self.vocabularies: list[dict[str, int]] = [{}, {}, {}, {}]  # word, stem, prefix, suffix
        self.weights = np.zeros((1, len(SPAN_CLASSES)), dtype=np.float32)
        self.bias = np.zeros(len(SPAN_CLASSES), dtype=np.float32)
        self.thresholds = np.full(len(SPAN_CLASSES), 1.01)  # per class; index 0 (no technique) unused
        self.gap = 0
        self.clusters: dict[str, int] | None = None
        self.cluster_count = 0
        self._cache: dict[str, tuple[int, int, int, int]] = {}

    def set_clusters(self, clusters: dict[str, int] | None) -> None:
        """Word clusters (folded word -> id, from word vectors trained on the unlabelled corpora) as
        features of the word and of its neighbours at -1 and +1; a word not found is looked up by its
        stem. Set before :meth:`fit`; None: no cluster features."""
        self.clusters = dict(clusters) if clusters else None
        self.cluster_count = max(self.clusters.values()) + 1 if self.clusters else 0
        self.__dict__.pop("_row_of", None)

    @property
    def slots(self) -> int:
        return self._SLOTS + (self._CLUSTER_SLOTS if self.clusters else 0)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        state.pop("lexicon")  # loaded from the package resources instead
        state.pop("_row_of", None)  # the rows of the words seen (see tables)
        state.pop("_rows", None)
        if not self.clusters:  # saved as before the cluster features, so a retrain gives the same bytes
            state.pop("clusters", None)
            state.pop("cluster_count", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("clusters", None)  # models saved before the cluster features
        state.setdefault("cluster_count", 0)
        self.__dict__.update(state)
        self.lexicon = CueLexicon.load()

    @staticmethod
    def _shapes(word: str) -> tuple[str, str, str, str]:
        stem = _stems(word)[-1]
        return word, stem, stem[:3], word[-3:]

    def _layout(self) -> tuple[list[int], int]:
        """Offsets of each feature block in the weight matrix, and the row index of 'no feature'."""
        words, stems, prefixes, suffixes = (len(v) for v in self.vocabularies)
        cues = len(self.lexicon.categories)
        sizes = [words, stems, prefixes, suffixes, cues]  # cue block shared by the two cue slots
        sizes += [stems + 1] * 4  # context stems, +1 for 'edge of paragraph'
        sizes += [cues, cues, 2]
        if self.clusters:
            sizes += [self.cluster_count, self.cluster_count + 1, self.cluster_count + 1]
        offsets = [0]
        for size in sizes:
            offsets.append(offsets[-1] + size)
        return offsets[:-1], offsets[-1]

    def fit_vocabulary(self, words: Iterable[str]) -> None:
        counts: list[Counter[str]] = [Counter(), Counter(), Counter(), Counter()]
        for word in words:
            for slot, shape in enumerate(self._shapes(word)):
                counts[slot][shape] += 1
        self.vocabularies = [
            {term: index for index, term in enumerate(sorted(t for t, n in c.items() if n >= self.min_count))}
            for c in counts
        ]
        self._cache = {}
        self.__dict__.pop("_row_of", None)

    def _local(self, word: str) -> tuple[int, int, int, int]:
        ids = self._cache.get(word)
        if ids is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            shapes = self._shapes(word)
            ids = tuple(v.get(shape, -1) for v, shape in zip(self.vocabularies, shapes, strict=True))  # type: ignore[assignment]
            self._cache[word] = ids  # type: ignore[assignment]
        return ids  # type: ignore[return-value]

    def _word_rows(self, words: list[str], index: dict[str, int]) -> list[int]:
        """Rows of ``self._rows`` for the words (see :meth:`tables`), adding the words not seen yet."""
        found = list(map(index.get, words))
        if None in found:
            block, null = self._layout()
            for position, word in enumerate(words):
                row = index.get(word)
                if row is None:
                    # as _local(word), without filling its cache
                    shapes = self._shapes(word)
                    ids = [v.get(shape, -1) for v, shape in zip(self.vocabularies, shapes, strict=True)]
                    slots = [
                        value + start if value >= 0 else null
                        for value, start in zip(ids, block, strict=False)
                    ]
                    kind = 0 if word[0].isalnum() else 1
                    row = index[word] = len(index)
                    rows = self._rows
                    if row == len(rows):
                        rows = self._rows = np.concatenate([rows, np.empty_like(rows)])
                    if self.clusters:
                        cluster = self.clusters.get(word, self.clusters.get(shapes[1], -1))
                        rows[row] = [*slots, kind + block[11], ids[1], cluster]
                    else:
                        rows[row] = [*slots, kind + block[11], ids[1]]
                found[position] = row
        return found  # type: ignore[return-value]

    def tables(
        self,
        texts: Sequence[str],
        *,
        folded: Sequence[str] | None = None,
        matched_out: list[tuple[list[str], dict[int, list[int]]]] | None = None,
    ) -> tuple[list[list[tuple[int, int]]], np.ndarray]:
        """Token offsets per text, and the feature rows of all their tokens stacked in order
        (``(tokens, slots)`` weight-row indices, the null row where a feature is absent).

        ``folded``: the texts' :func:`fold`, when already made. ``matched_out`` receives each text's
        folded tokens and their :meth:`CueLexicon.covering` (for :func:`cue_features`)."""
        block, null = self._layout()
        # Each word seen is given a row of its slots that depend on the word alone: word, stem, prefix
        # and suffix (as weight rows), punctuation (as a weight row) and the raw stem id (for the
        # neighbours' slots). Words repeat, so one look-up per word finds them all.
        index: dict[str, int] | None = self.__dict__.get("_row_of")
        if index is None or len(index) >= _CACHE_LIMIT:
            index = self._row_of = {}
            self._rows = np.empty((1024, 7 if self.clusters else 6), dtype=np.int64)
        all_offsets: list[list[tuple[int, int]]] = []
        rows: list[int] = []
        cue_positions: list[int] = []
        cue_first: list[int] = []
        cue_second: list[int] = []
        starts: list[int] = []
        covering = self.lexicon.covering
        for number, text in enumerate(texts):
            offsets = tokenise(text)
            all_offsets.append(offsets)
            if not offsets:
                if matched_out is not None:
                    matched_out.append(([], {}))
                continue
            position = len(rows)
            starts.append(position)
            folded_text = fold(text) if folded is None else folded[number]
            # Folding drops diacritics; where it did, fold token by token to keep the offsets.
            if len(folded_text) == len(text):
                words = [folded_text[start:end] for start, end in offsets]
            else:
                try:
                    words = list(map(_FOLD_CACHE.__getitem__, [text[start:end] for start, end in offsets]))
                except KeyError:  # a token not seen yet: fold each as before
                    words = [_fold_token(text[start:end]) for start, end in offsets]
            rows += self._word_rows(words, index)
            covered = covering(words)
            for inside, categories in covered.items():
                cue_positions.append(position + inside)
                cue_first.append(categories[0])
                cue_second.append(categories[1] if len(categories) > 1 else -1)
            if matched_out is not None:
                matched_out.append((words, covered))
        count = len(rows)
        if not count:
            return all_offsets, np.zeros((0, self.slots), dtype=np.int64)
        known = self._rows[np.asarray(rows, dtype=np.intp)]
        table = np.empty((count, self.slots), dtype=np.int64)
        table[:, :4] = known[:, :4]
        table[:, 12] = known[:, 4]
        stem = known[:, 5]
        cue = np.full(count, -1, dtype=np.int64)
        second = np.full(count, -1, dtype=np.int64)
        if cue_positions:
            cue[cue_positions] = cue_first
            second[cue_positions] = cue_second
        table[:, 4] = np.where(cue >= 0, cue + block[4], null)
        table[:, 5] = np.where(second >= 0, second + block[4], null)
        # Which text each token is in: a neighbour in another text is past the edge. crossing[k][i]:
        # tokens i and i + k are in different texts.
        text_of = np.repeat(np.arange(len(starts)), np.diff([*starts, count]))
        crossing = {k: text_of[k:] != text_of[:-k] for k in (1, 2)}
        edge = len(self.vocabularies[1])
        shifted = [
            (6, 2, stem, edge),
            (7, 1, stem, edge),
            (8, -1, stem, edge),
            (9, -2, stem, edge),
            (10, 1, cue, -1),
            (11, -1, cue, -1),
        ]
        if self.clusters:
            cluster = known[:, 6]
            table[:, 13] = np.where(cluster >= 0, cluster + block[12], null)
            shifted += [(14, 1, cluster, self.cluster_count), (15, -1, cluster, self.cluster_count)]
        for slot, step, values, fill in shifted:
            # values[i - step] within the same text, ``fill`` past its edges, as weight rows
            start = block[slot - 1]
            rows_of = np.where(values >= 0, values + start, null)
            past = fill + start if fill >= 0 else null
            column = table[:, slot]
            k = abs(step)
            if step > 0:
                column[k:] = rows_of[:-k]
                column[:k] = past
                column[k:][crossing[k]] = past
            else:
                column[:-k] = rows_of[k:]
                column[-k:] = past
                column[:-k][crossing[k]] = past
        return all_offsets, table

    def fit(self, items: Sequence[TrainingItem], *, c: float = 1.0) -> SpanTagger:
        """Learn vocabularies and weights from items with gold spans."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        with_spans = [item for item in items if item.spans is not None]
        self.fit_vocabulary(
            word or "_"
            for item in with_spans
            for word in (fold(item.text[s:e]) for s, e in tokenise(item.text))
        )
        _, null = self._layout()
        all_offsets, table = self.tables([item.text for item in with_spans])
        labels: list[int] = []
        for item, offsets in zip(with_spans, all_offsets, strict=True):
            labels += _token_labels(offsets, item.spans or ())
        keep = table != null
        matrix = sparse.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), table[keep], np.r_[0, np.cumsum(keep.sum(axis=1))]),
            shape=(len(table), null),
        )
        targets = np.asarray(labels)
        model = LogisticRegression(C=c, max_iter=300, tol=1e-3)
        model.fit(matrix, targets)
        weights = np.zeros((null + 1, len(SPAN_CLASSES)), dtype=np.float32)
        bias = np.full(len(SPAN_CLASSES), -30.0, dtype=np.float32)  # classes never seen stay impossible
        for row, label in enumerate(model.classes_):
            weights[:null, label] = model.coef_[row]
            bias[label] = model.intercept_[row]
        self.weights, self.bias = weights, bias
        return self

    def probabilities(
        self,
        texts: Sequence[str],
        *,
        folded: Sequence[str] | None = None,
        matched_out: list[tuple[list[str], dict[int, list[int]]]] | None = None,
    ) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        """Per text: token offsets and class probabilities ``(tokens, classes)``, in one pass
        (``folded`` and ``matched_out`` as in :meth:`tables`)."""
        all_offsets, table = self.tables(texts, folded=folded, matched_out=matched_out)
        # self.weights[table].sum(axis=1), slot by slot: the same additions in the same order
        # (a sum over a middle axis adds the slots one after another), without the 3-D array.
        weights = self.weights
        scores = weights[table[:, 0]]
        for slot in range(1, table.shape[1]):
            scores += weights[table[:, slot]]
        scores += self.bias
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        out = []
        position = 0
        for offsets in all_offsets:
            out.append((offsets, scores[position : position + len(offsets)]))
            position += len(offsets)
        return out

    def decode(
        self,
        offsets: Sequence[tuple[int, int]],
        probabilities: np.ndarray,
        *,
        words: Sequence[bool] | None = None,
        edges: Sequence[int] | None = None,
        thresholds: np.ndarray | None = None,
        gap: int | None = None,
    ) -> Spans:
        """Spans from token probabilities, technique by technique (so spans of two techniques may
        overlap): words whose probability of the technique reaches its threshold, runs of them with
        gaps of up to ``gap`` tokens bridged, and the edge rules ``edges`` (:func:`_edge_rule` per token)
        applied. A threshold above 1 switches a technique off."""
        thresholds = self.thresholds if thresholds is None else thresholds
        gap = self.gap if gap is None else gap
        if not len(offsets):
            return []
        marked = probabilities[:, 1:] >= thresholds[1:]
        if words is not None:
            marked &= np.asarray(words, dtype=bool)[:, None]
        found_columns, found_tokens = np.nonzero(marked.T)  # sorted by technique, then token
        if not len(found_tokens):
            return []
        columns = found_columns.tolist()
        tokens = found_tokens.tolist()
        # A run starts where the technique changes or the distance to the previous word exceeds the gap.
        starts = [
            i
            for i in range(len(tokens))
            if i == 0 or columns[i] != columns[i - 1] or tokens[i] - tokens[i - 1] > gap + 1
        ]
        ends = [*starts[1:], len(tokens)]
        values = probabilities[found_tokens, found_columns + 1]
        scores = (np.add.reduceat(values, starts) / np.diff([*starts, len(tokens)])).tolist()
        if edges is not None:
            starts, ends, scores = _trimmed(starts, scores, tokens, edges, values)
        spans: Spans = [
            (offsets[tokens[start]][0], offsets[tokens[end - 1]][1], SPAN_CLASSES[columns[start] + 1], score)
            for start, end, score in zip(starts, ends, scores, strict=True)
        ]
        spans.sort()
        return spans

    def tag(
        self,
        texts: Sequence[str],
        *,
        tagged: Sequence[tuple[list[tuple[int, int]], np.ndarray]] | None = None,
    ) -> list[Spans]:
        """Span suggestions ``(start, end, technique, score)`` for each text; ``tagged`` reuses the
        output of :meth:`probabilities` for the same texts.

        The texts are decoded together, as :meth:`decode` decodes one: the same marked words, runs
        (which never cross a text's edge) and scores (the same sums over the same values)."""
        found = list(self.probabilities(texts) if tagged is None else tagged)
        if len(found) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(found)} tagged")
        results: list[Spans] = [[] for _ in texts]
        sizes = [len(offsets) for offsets, _ in found]
        if not sum(sizes):
            return results
        probabilities = np.concatenate([values for _, values in found])
        marked = probabilities[:, 1:] >= self.thresholds[1:]
        # Which text each token is in, and where that text's tokens begin.
        text_of = np.repeat(np.arange(len(found)), sizes)
        first = np.cumsum([0, *sizes[:-1]])
        # Only tokens some technique marks can be dropped for not being words: test those alone.
        candidates = np.flatnonzero(marked.any(axis=1))
        if not len(candidates):
            return results
        owners = text_of[candidates].tolist()
        dropped = []
        rules = _Rules()
        for token, owner in zip(candidates.tolist(), owners, strict=True):
            start, end = found[owner][0][token - int(first[owner])]
            if not _is_word(texts[owner][start:end]):
                dropped.append(token)
            else:
                rule = _edge_rule(texts[owner][start:end])
                if rule:
                    rules[token] = rule
        if dropped:
            marked[dropped] = False
        found_columns, found_tokens = np.nonzero(marked.T)  # sorted by technique, then token
        if not len(found_tokens):
            return results
        columns = found_columns.tolist()
        tokens = found_tokens.tolist()
        owner_of = text_of[found_tokens].tolist()
        gap = self.gap + 1
        # A run starts where the technique or the text changes or the distance to the previous word
        # exceeds the gap.
        starts = [
            i
            for i in range(len(tokens))
            if i == 0
            or columns[i] != columns[i - 1]
            or owner_of[i] != owner_of[i - 1]
            or tokens[i] - tokens[i - 1] > gap
        ]
        ends = [*starts[1:], len(tokens)]
        values = probabilities[found_tokens, found_columns + 1]
        scores = (np.add.reduceat(values, starts) / np.diff([*starts, len(tokens)])).tolist()
        if rules:
            starts, ends, scores = _trimmed(starts, scores, tokens, rules, values)
        base = first.tolist()
        for start, end, score in zip(starts, ends, scores, strict=True):
            owner = owner_of[start]
            offsets = found[owner][0]
            results[owner].append(
                (
                    offsets[tokens[start] - base[owner]][0],
                    offsets[tokens[end - 1] - base[owner]][1],
                    SPAN_CLASSES[columns[start] + 1],
                    score,
                )
            )
        for spans in results:
            spans.sort()
        return results


# The two techniques with most gold spans; their strongest word says more than the pooled score.
_SUMMARY_TECHNIQUES = ("Loaded_Language", "Name_Calling-Labeling")
_SUMMARY_COLUMNS = [SPAN_CLASSES.index(name) for name in _SUMMARY_TECHNIQUES]


def span_summary(probabilities: np.ndarray) -> list[float]:
    """Paragraph features from the tagger's token probabilities ``(tokens, classes)``: the strongest
    word's probability of carrying any technique, log of the expected number of such words, log of
    the number of words at 0.3 or above, and the strongest Loaded_Language and Name_Calling words."""
    if not len(probabilities):
        return [0.0] * (3 + len(_SUMMARY_COLUMNS))
    carrying = 1.0 - probabilities[:, 0]
    values = [
        float(carrying.max()),
        math.log1p(float(carrying.sum())),
        math.log1p(int((carrying >= 0.3).sum())),
    ]
    values += [float(value) for value in probabilities[:, _SUMMARY_COLUMNS].max(axis=0)]
    return values


def stack_features(
    binary_scores: np.ndarray, tagged: Sequence[np.ndarray], vector_scores: np.ndarray | None = None
) -> np.ndarray:
    """Rows of the stacked binary model: the n-gram head's raw score, then :func:`span_summary`, then
    (when given) the paragraph-vector heads' raw scores (one column per head)."""
    rows = np.asarray(
        [[float(score), *span_summary(found)] for score, found in zip(binary_scores, tagged, strict=True)],
        dtype=np.float64,
    ).reshape(len(binary_scores), 4 + len(_SUMMARY_COLUMNS))
    if vector_scores is None:
        return rows
    return np.hstack([rows, np.asarray(vector_scores, dtype=np.float64).reshape(len(rows), -1)])


# ---------------------------------------------------------------------------------------------
# Paragraph vectors: word2vec trained on unlabelled news, a weighted mean per paragraph

_SIF_A = 1e-3  # smooth inverse frequency: a word weighs a / (a + its relative frequency in the corpora)
_CORPUS_FIELDS = ("content", "text")


class WordVectors:
    """A small word-vector table and per-word SIF weights.

    Each word's vector is stored as 8-bit codes and one float32 scale (``codes * scale``; the error
    is at most 0.4% of the row's largest value), half the size of float16. A paragraph's vector is
    the weighted mean of its known folded words' vectors (zeros when none is known). Words come
    from :func:`fold` and ``\\w+`` as in the n-gram featuriser.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray, weights: np.ndarray) -> None:
        self.vocabulary = {word: index for index, word in enumerate(words)}
        values = np.asarray(vectors, dtype=np.float32)
        largest = np.abs(values).max(axis=1) if len(values) else np.zeros(0, dtype=np.float32)
        self.scales = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
        self.codes = np.rint(values / self.scales[:, None]).astype(np.int8)
        self.weights = np.asarray(weights, dtype=np.float32)

    @property
    def size(self) -> int:
        return int(self.codes.shape[1])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_table", None)
        return state

    def transform(self, texts: Sequence[str], *, words: Sequence[list[str]] | None = None) -> np.ndarray:
        """One row per text (float32): the SIF-weighted mean of its words' vectors. ``words``: the
        texts' folded words when already found (as :meth:`ParagraphFeaturizer.parts` finds them)."""
        table = self.__dict__.get("_table")
        if table is None:
            # float32 table made once per process (decoding per call costs more than the rest)
            table = self._table = self.codes.astype(np.float32) * self.scales[:, None]
        vocabulary = self.vocabulary
        rows = np.zeros((len(texts), self.size), dtype=np.float32)
        for row, text in enumerate(texts):
            found = words[row] if words is not None else _WORD_RE.findall(fold(text))
            known = [index for index in map(vocabulary.get, found) if index is not None]
            if known:
                ids = np.asarray(known, dtype=np.intp)  # one conversion for the two look-ups
                weights = self.weights[ids]
                rows[row] = (weights @ table[ids]) / weights.sum()
        return rows


def corpus_paths(data_dir: Path) -> list[Path]:
    """The unlabelled gzip JSONL corpora under the shared data root (``corpora/*/*.jsonl.gz``)."""
    return sorted((data_dir / "corpora").glob("*/*.jsonl.gz"))


def train_word2vec(
    paths: Sequence[Path],
    *,
    size: int = 100,
    epochs: int = 5,
    min_count: int = 5,
    window: int = 5,
    subwords: bool = False,
    bucket: int = 2_000_000,
    stems: bool = False,
    seed: int = 1,
) -> Any:
    """Word2vec (CBOW, window 5) on the folded words of the corpora's paragraphs; one worker thread
    and fixed seeds, so deterministic. ``subwords``: fastText instead (CBOW, character 3-5-grams
    hashed into ``bucket`` rows), whose vectors also cover words the corpora lack. ``stems``: each
    word replaced by its form without stacked proclitics (the shortest of :func:`_stems`).
    ``seed``: gensim's random seed (1 for the shipped vectors; another gives another draw).
    Returns gensim ``KeyedVectors`` (needs the ``train`` extra)."""
    import gzip
    import tempfile
    import zlib

    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        with corpus.open("w", encoding="utf-8") as out:
            for path in paths:
                with gzip.open(path, "rt", encoding="utf-8") as handle:
                    for line in handle:
                        record = json.loads(line) if line.strip() else {}
                        text = next((record[f] for f in _CORPUS_FIELDS if isinstance(record.get(f), str)), "")
                        for paragraph in text.split("\n"):
                            words = _WORD_RE.findall(fold(paragraph))
                            if stems:
                                words = [_stems(word)[-1] for word in words]
                            if len(words) >= 3:
                                out.write(" ".join(words) + "\n")
        # CBOW, one worker thread, fixed seed and hash: deterministic
        settings: dict[str, Any] = {
            "vector_size": size,
            "window": window,
            "min_count": min_count,
            "sg": 0,
            "negative": 5,
            "epochs": epochs,
            "workers": 1,
            "seed": seed,
            "hashfxn": lambda text: zlib.crc32(text.encode("utf-8")),
            "sorted_vocab": True,
        }
        sentences = LineSentence(str(corpus), max_sentence_length=10_000)
        if subwords:
            from gensim.models import FastText

            fasttext = FastText(sentences, min_n=3, max_n=5, bucket=bucket, **settings)
            return fasttext.wv
        model = Word2Vec(sentences, **settings)
    return model.wv


def word_vectors_for(keyed: Any, texts: Iterable[str], *, min_df: int = 2, top: int = 0) -> WordVectors:
    """The table shipped with the model: vectors of the ``top`` most frequent corpus words when
    ``top`` > 0 (``texts`` unused), else of the words in at least ``min_df`` of ``texts``."""
    if top > 0:
        words = sorted(keyed.index_to_key[:top])
    else:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(_WORD_RE.findall(fold(text))))
        words = sorted(word for word, count in df.items() if count >= min_df and word in keyed.key_to_index)
    total = float(sum(keyed.get_vecattr(word, "count") for word in keyed.index_to_key))
    weights = np.array([_SIF_A / (_SIF_A + keyed.get_vecattr(word, "count") / total) for word in words])
    vectors = np.asarray(keyed[words], dtype=np.float32) if words else np.zeros((0, keyed.vector_size))
    return WordVectors(words, vectors, weights)


def _fit_vector_head(
    vectors: np.ndarray, targets: np.ndarray, source: np.ndarray, *, c: float
) -> tuple[np.ndarray, float]:
    """Balanced logistic regression over standardised paragraph vectors and a source column, folded
    into one linear score of the raw vector with the source column set to 1 (ArMPro's bias)."""
    from sklearn.linear_model import LogisticRegression

    mean, std = vectors.mean(axis=0), vectors.std(axis=0) + 1e-9
    features = np.hstack([(vectors - mean) / std, source.reshape(-1, 1)])
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(features, targets)
    coef = model.coef_[0]
    weights = coef[:-1] / std
    bias = float(model.intercept_[0]) + float(coef[-1]) - float(mean @ weights)
    return weights.astype(np.float32), bias


@dataclass
class _KernelHead:
    """An RBF support-vector score over standardised paragraph vectors with the source column set to 1
    (ArMPro's bias): ``sum_i dual_i * exp(-gamma * |x - support_i|^2) + bias``."""

    mean: np.ndarray  # (dims,) float32
    std: np.ndarray  # (dims,) float32
    support: np.ndarray  # (vectors, dims + 1) float32, standardised, source column last
    dual: np.ndarray  # (vectors,) float32
    gamma: float
    bias: float

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # the fields only, not the cached squared norms (the layout of a slotted class's state)
        return None, {item.name: getattr(self, item.name) for item in fields(self)}

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        for name, value in state[1].items():
            setattr(self, name, value)

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        norms = self.__dict__.get("_norms")
        if norms is None:
            # once per process: the support vectors' squared norms
            norms = self._norms = (self.support * self.support).sum(axis=1)
        x = np.hstack(
            [
                (np.asarray(vectors, dtype=np.float32) - self.mean) / self.std,
                np.ones((len(vectors), 1), dtype=np.float32),
            ]
        )
        distances = (x * x).sum(axis=1)[:, None] + norms[None, :] - 2.0 * (x @ self.support.T)
        kernel = np.exp(-self.gamma * np.maximum(distances, 0.0))
        return np.asarray(kernel @ self.dual + self.bias, dtype=np.float64)


def _fit_vector_svm(vectors: np.ndarray, targets: np.ndarray, source: np.ndarray, *, c: float) -> _KernelHead:
    """Balanced RBF support-vector classifier (gamma "scale") over standardised paragraph vectors and
    a raw source column; scored with the source column set to 1 (ArMPro's bias)."""
    from sklearn.svm import SVC

    mean, std = vectors.mean(axis=0), vectors.std(axis=0) + 1e-9
    features = np.hstack([(vectors - mean) / std, source.reshape(-1, 1)])
    model = SVC(C=c, kernel="rbf", gamma="scale", class_weight="balanced")
    model.fit(features, targets)
    return _KernelHead(
        mean.astype(np.float32),
        std.astype(np.float32),
        np.asarray(model.support_vectors_, dtype=np.float32),
        np.asarray(model.dual_coef_[0], dtype=np.float32),
        float(model._gamma),
        float(model.intercept_[0]),
    )


_SPAN_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 1.01)


def _decode_all(
    tagger: SpanTagger,
    predicted: Sequence[tuple[str, list[tuple[int, int]], np.ndarray]],
    thresholds: np.ndarray,
    gap: int,
) -> list[Spans]:
    return [
        tagger.decode(
            offsets,
            probabilities,
            words=[_is_word(text[start:end]) for start, end in offsets],
            edges=[_edge_rule(text[start:end]) for start, end in offsets],
            thresholds=thresholds,
            gap=gap,
        )
        for text, offsets, probabilities in predicted
    ]


def tune_span_decoding(
    gold: Sequence[Sequence[tuple[int, int, str]]],
    predicted: Sequence[tuple[str, list[tuple[int, int]], np.ndarray]],
    tagger: SpanTagger,
    *,
    gaps: Sequence[int] = (0, 1),
) -> tuple[np.ndarray, int, dict[str, Any]]:
    """Per-technique thresholds (coordinate ascent; a technique with fewer than 5 gold spans stays
    off) and the gap with the best modified micro-F1 on out-of-fold token probabilities."""
    from marsad.evaluate.persuasion import span_prf

    support = Counter(span[2] for spans in gold for span in spans)
    best: tuple[np.ndarray, int, dict[str, Any]] = (np.full(len(SPAN_CLASSES), 1.01), 0, {"micro_f1": -1.0})
    for gap in gaps:
        thresholds = np.full(len(SPAN_CLASSES), 1.01)
        score = 0.0
        for _ in range(2):
            for column, name in enumerate(SPAN_CLASSES):
                if column == 0 or support[name] < 5:
                    continue
                kept = thresholds[column]
                for value in _SPAN_GRID:
                    thresholds[column] = value
                    found = span_prf(gold, _decode_all(tagger, predicted, thresholds, gap))["micro_f1"]
                    if found > score + 1e-9:
                        score, kept = found, value
                thresholds[column] = kept
        figures = span_prf(gold, _decode_all(tagger, predicted, thresholds, gap))
        if figures["micro_f1"] > best[2]["micro_f1"] + 1e-9:
            best = (thresholds.copy(), gap, figures)
    return best


def gate_span_predictions(
    predicted: Sequence[tuple[str, list[tuple[int, int]], np.ndarray]], passed: Sequence[bool]
) -> list[tuple[str, list[tuple[int, int]], np.ndarray]]:
    """Token probabilities with every token of a rejected paragraph set to 'no technique'."""
    out = []
    for (text, offsets, probabilities), keep in zip(predicted, passed, strict=True):
        if not keep:
            probabilities = np.zeros_like(probabilities)
            probabilities[:, 0] = 1.0
        out.append((text, offsets, probabilities))
    return out


def nested_span_figures(
    gold: Sequence[Sequence[tuple[int, int, str]]],
    predicted: Sequence[tuple[str, list[tuple[int, int]], np.ndarray]],
    folds: Sequence[int],
    tagger: SpanTagger,
) -> dict[str, Any]:
    """Span figures with decoding chosen without the scored fold: for each fold, thresholds and gap
    are tuned on the other folds' out-of-fold probabilities and applied to it."""
    from marsad.evaluate.persuasion import span_prf

    spans: list[Spans] = [[] for _ in gold]
    for fold_id in sorted(set(folds)):
        inside = [i for i, f in enumerate(folds) if f == fold_id]
        outside = [i for i, f in enumerate(folds) if f != fold_id]
        thresholds, gap, _ = tune_span_decoding(
            [gold[i] for i in outside], [predicted[i] for i in outside], tagger
        )
        for i, found in zip(
            inside, _decode_all(tagger, [predicted[i] for i in inside], thresholds, gap), strict=True
        ):
            spans[i] = found
    return span_prf(gold, spans)


def span_cross_validate(
    items: Sequence[TrainingItem], *, c: float = 1.0, folds: int = 5, seed: int = 13
) -> tuple[
    list[list[tuple[int, int, str]]],
    list[tuple[str, list[tuple[int, int]], np.ndarray]],
    list[int],
    SpanTagger,
]:
    """Out-of-fold token probabilities for the ArMPro paragraphs (grouped by page); other span sources
    (WANLP) only join the training folds. Returns gold spans, (text, offsets, probabilities) and the
    fold of each ArMPro paragraph, and the last fold's tagger (for decoding)."""
    from sklearn.model_selection import GroupKFold

    armpro = [item for item in items if item.source == "armpro"]
    extra = [item for item in items if item.source != "armpro" and item.spans is not None]
    lexicon = CueLexicon.load()
    predicted: list[Any] = [None] * len(armpro)
    fold_of = [0] * len(armpro)
    tagger = SpanTagger(lexicon)
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold_id, (train_rows, test_rows) in enumerate(
        splitter.split(armpro, groups=[item.group for item in armpro])
    ):
        for row in test_rows:
            fold_of[row] = fold_id
        tagger = SpanTagger(lexicon).fit([armpro[i] for i in train_rows] + extra, c=c)
        texts = [armpro[i].text for i in test_rows]
        for row, text, (offsets, probabilities) in zip(
            test_rows, texts, tagger.probabilities(texts), strict=True
        ):
            predicted[row] = (text, offsets, probabilities)
    gold = [list(item.spans or ()) for item in armpro]
    return gold, predicted, fold_of, tagger


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


class PersuasionModel:
    """The trained paragraph heads and span tagger; load once, predict many times."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.featurizer: ParagraphFeaturizer = bundle["featurizer"]
        self.binary: _LinearHead = bundle["binary"]
        self.techniques: _LinearHead = bundle["techniques"]
        self.coarse: _LinearHead = bundle["coarse"]
        self.tagger: SpanTagger | None = bundle.get("tagger")
        self.gate_spans: bool = bool(bundle.get("gate_spans", False))
        # Present in bundles trained with ``stack_spans``: the binary probability then needs the tagger.
        self.stacker: _LinearHead | None = bundle.get("stacker")
        # Present in bundles trained with ``word_vectors``: a third stacker input.
        self.vectors: WordVectors | None = bundle.get("vectors")
        self.vector_head: _LinearHead | None = bundle.get("vector_head")
        # Present in round-5 bundles: a fourth stacker input over the same paragraph vectors.
        self.vector_svm: _KernelHead | None = bundle.get("vector_svm")
        self.metadata: dict[str, Any] = bundle.get("metadata", {})
        # The three heads as one matrix: one sparse product per call instead of three.
        heads = (self.binary, self.techniques, self.coarse)
        self._weights = np.ascontiguousarray(np.hstack([head.weights for head in heads]), dtype=np.float32)
        self._bias = np.concatenate([head.bias for head in heads])
        self._columns = np.cumsum([0, *(len(head.names) for head in heads)])
        # The tagger's cue matches serve the paragraph features too when both use the same phrases.
        lexicon = self.featurizer.lexicon
        self._shared_cues = (
            self.tagger is not None and lexicon is not None and lexicon.same_phrases(self.tagger.lexicon)
        )

    @classmethod
    def load(cls, model_dir: Path | None = None) -> PersuasionModel:
        """Load from ``model_dir`` or, when None, from the package's ``models/data/persuasion``.

        Raises E204 when the model file is missing.
        """
        import joblib

        if model_dir is None:
            folder = resources.files("marsad.models").joinpath("data", "persuasion")
            with resources.as_file(folder) as path:
                return cls.load(Path(path))
        bundle_path = model_dir / MODEL_FILE
        if not bundle_path.is_file():
            raise error("E204", f"persuasion model not found in {model_dir}", input=str(model_dir))
        return cls(joblib.load(bundle_path))

    def vector_scores(
        self, paragraphs: Sequence[str], *, words: Sequence[list[str]] | None = None
    ) -> np.ndarray | None:
        """The paragraph-vector heads' raw scores, one column per head (None without word vectors)."""
        if self.vectors is None or self.vector_head is None:
            return None
        vectors = self.vectors.transform(paragraphs, words=words)
        columns = [vectors @ self.vector_head.weights[:, 0] + self.vector_head.bias[0]]
        if self.vector_svm is not None:
            columns.append(self.vector_svm.scores(vectors))
        return np.column_stack(columns)

    def predict(self, paragraphs: list[str], *, spans: bool = True) -> list[ParagraphPrediction]:
        """Score each paragraph; ``spans=False`` skips the span tagger."""
        if not paragraphs:
            return []
        # Each paragraph is folded once, and its cue phrases matched once, for every part below.
        folded = [fold(text) for text in paragraphs]
        tagged: list[tuple[list[tuple[int, int]], np.ndarray]] | None = None
        matched: list[tuple[list[str], dict[int, list[int]]]] | None = None
        stacked = self.stacker is not None and self.tagger is not None
        if stacked:
            assert self.tagger is not None
            matched = [] if self._shared_cues else None
            tagged = self.tagger.probabilities(paragraphs, folded=folded, matched_out=matched)
        words: list[list[str]] = []
        raw = (
            self.featurizer.scores(paragraphs, self._weights, words_out=words, folded=folded, matched=matched)
            + self._bias
        )
        first, second, third, _ = self._columns
        fine = _sigmoid(raw[:, second:third])
        coarse = _sigmoid(raw[:, third:])
        if stacked:
            assert self.stacker is not None and tagged is not None
            vector_scores = self.vector_scores(paragraphs, words=words)
            features = stack_features(raw[:, first], [found for _, found in tagged], vector_scores)
            binary = self.stacker.probabilities(features)[:, 0]
            gate = binary >= self.stacker.thresholds[0]
        else:
            binary = _apply_platt(raw[:, first:second], self.binary.platt)[:, 0]
            gate = binary >= self.binary.thresholds[0]
        fine_sets = _decode(fine, self.techniques.thresholds, gate)
        coarse_sets = _decode(coarse, self.coarse.thresholds, gate)
        found: list[Spans] = [[] for _ in paragraphs]
        if spans and self.tagger is not None:
            # Trained with this gate (see train_persuasion): spans only where the binary model says yes.
            rows = np.flatnonzero(gate).tolist() if self.gate_spans else list(range(len(paragraphs)))
            texts = [paragraphs[row] for row in rows]
            reused = None if tagged is None else [tagged[row] for row in rows]
            for row, row_spans in zip(rows, self.tagger.tag(texts, tagged=reused), strict=True):
                found[row] = row_spans
        # Python floats and flags row by row (what float() of each array item gives).
        technique_names, coarse_names = self.techniques.names, self.coarse.names
        fine_values, coarse_values = fine.tolist(), coarse.tolist()
        fine_flags, coarse_flags = fine_sets[:, :-1].tolist(), coarse_sets[:, :-1].tolist()
        results = []
        for row, (text, passed, score) in enumerate(
            zip(paragraphs, gate.tolist(), binary.tolist(), strict=True)
        ):
            values, flags = fine_values[row], fine_flags[row]
            chosen = [(technique_names[c], values[c]) for c, flag in enumerate(flags) if flag]
            values, flags = coarse_values[row], coarse_flags[row]
            chosen_coarse = [(coarse_names[c], values[c]) for c, flag in enumerate(flags) if flag]
            results.append(
                ParagraphPrediction(
                    propagandistic=passed,
                    score=score,
                    techniques=sorted(chosen, key=lambda pair: -pair[1]),
                    spans=found[row],
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
    min_df: int = 3
    char_range: tuple[int, int] = (2, 4)
    c_span: float = 1.0
    gate_spans: bool = True  # spans only in paragraphs the binary head passes
    # Which items teach the binary head: news paragraphs only (tweets lowered its CV accuracy).
    binary_sources: tuple[str, ...] = ("armpro", "araieval")
    # Binary score = logistic regression over the n-gram head's score and the span tagger's summary.
    stack_spans: bool = True
    # Calibrate and threshold the binary score for this source's share of propagandistic paragraphs
    # (ArMPro dev: 62%, like ArMPro's news test; the training mix is 72%). None: the training mix.
    prior_source: str | None = "armpro"
    # Fit the stacker's bias on ``prior_source``'s paragraphs (a source column) rather than shifting it.
    source_feature: bool = True
    # A third stacker input: a logistic regression over paragraph vectors (SIF-weighted mean of word2vec
    # vectors trained on the unlabelled corpora, ``corpora/`` of the shared data; needs gensim).
    word_vectors: bool = True
    vector_size: int = 100
    vector_epochs: int = 10  # round 5: 10 epochs, window 10 (round 4: 5 and 5)
    vector_window: int = 10
    # Words in the shipped table: the ``vector_top`` most frequent corpus words (round 5), or, when 0,
    # the words in at least ``vector_min_df`` training texts (round 4).
    vector_top: int = 15_000
    vector_min_df: int = 2
    c_vectors: float = 0.01
    # Round 5: a fourth stacker input, an RBF support-vector score over the same paragraph vectors
    # (its C; 0: none).
    c_vector_svm: float = 1.0


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
        use_cues=options.use_cues,
        max_word=options.max_word,
        max_char=options.max_char,
        min_df=options.min_df,
        char_range=options.char_range,
    ).fit([item.text for item in train])
    # The binary head sees whole texts only: a bare span has no sober context to contrast with.
    binary_items = [item for item in train if item.source in options.binary_sources]
    binary_features = featurizer.transform([item.text for item in binary_items])
    binary_targets = np.array([[int(item.propagandistic)] for item in binary_items])
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
    out: dict[str, np.ndarray] = {"fold": np.zeros(len(core_index), dtype=np.int64)}
    splitter = GroupKFold(n_splits=options.folds, shuffle=True, random_state=seed)
    for fold_id, (train_rows, test_rows) in enumerate(splitter.split(core_index, groups=groups)):
        out["fold"][test_rows] = fold_id
        train = [items[core_index[i]] for i in train_rows] + extra
        featurizer, _, heads = _fit_paragraph_models(train, options)
        scores = _raw_scores(featurizer, heads, [items[core_index[i]].text for i in test_rows])
        for name, values in scores.items():
            if name not in out:
                out[name] = np.zeros((len(core_index), values.shape[1]))
            out[name][test_rows] = values
    out["index"] = core_index
    return out


def tagger_cross_validate(
    items: Sequence[TrainingItem], oof: dict[str, np.ndarray], options: TrainOptions
) -> list[np.ndarray]:
    """Out-of-fold token probabilities of the span tagger for every native paragraph, in the folds of
    ``oof`` (from :func:`cross_validate`): the tagger of a fold learns from the other folds' ArMPro
    spans and every extra span source (WANLP), and tags all the fold's paragraphs, with spans or not."""
    lexicon = CueLexicon.load()
    core_index = oof["index"]
    extra = [item for item in items if item.source not in ("armpro", "araieval") and item.spans is not None]
    probabilities: list[np.ndarray] = [np.zeros((0, len(SPAN_CLASSES)))] * len(core_index)
    for fold_id in sorted(set(oof["fold"].tolist())):
        inside = np.flatnonzero(oof["fold"] == fold_id)
        outside = np.flatnonzero(oof["fold"] != fold_id)
        train = [items[int(core_index[i])] for i in outside if items[int(core_index[i])].spans is not None]
        tagger = SpanTagger(lexicon).fit(train + extra, c=options.c_span)
        texts = [items[int(core_index[i])].text for i in inside]
        for row, (_, found) in zip(inside, tagger.probabilities(texts), strict=True):
            probabilities[row] = found
    return probabilities


def vector_cross_validate(
    items: Sequence[TrainingItem], oof: dict[str, np.ndarray], keyed: Any, options: TrainOptions
) -> np.ndarray:
    """Out-of-fold raw scores of the paragraph-vector heads in the folds of ``oof`` (one column per
    head: the logistic regression, then the support-vector score when ``c_vector_svm`` > 0). With
    ``vector_top`` the table is the corpus's most frequent words (no training text chooses it);
    otherwise each fold's table keeps the words of the other folds' texts and the extra sources (as
    the shipped table keeps the training texts' words). The heads learn from the other folds' news
    paragraphs."""
    core_index = oof["index"]
    core = [items[int(i)] for i in core_index]
    extra = [item.text for item in items if item.source not in ("armpro", "araieval")]
    targets = np.array([int(item.propagandistic) for item in core])
    source = np.array([float(item.source == options.prior_source) for item in core])
    out = np.zeros((len(core), 2 if options.c_vector_svm > 0 else 1))
    vectors = None
    for fold_id in sorted(set(oof["fold"].tolist())):
        inside = oof["fold"] == fold_id
        train = np.flatnonzero(~inside)
        if vectors is None or not options.vector_top:
            table = word_vectors_for(
                keyed,
                [core[int(i)].text for i in train] + extra,
                min_df=options.vector_min_df,
                top=options.vector_top,
            )
            vectors = table.transform([item.text for item in core]).astype(np.float64)
        weights, bias = _fit_vector_head(vectors[train], targets[train], source[train], c=options.c_vectors)
        out[inside, 0] = vectors[inside] @ weights + bias
        if options.c_vector_svm > 0:
            svm = _fit_vector_svm(vectors[train], targets[train], source[train], c=options.c_vector_svm)
            out[inside, 1] = svm.scores(vectors[inside])
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


def _prior_shift(
    core: Sequence[TrainingItem], targets: np.ndarray, source: str | None
) -> tuple[float, float]:
    """The target share of propagandistic paragraphs (``source``'s, or the training mix's) and the
    log-odds to add to a model fitted on ``targets`` so its probabilities fit that share."""
    trained = float(targets.mean())
    chosen = [t for item, t in zip(core, targets, strict=True) if item.source == source]
    prior = float(np.mean(chosen)) if chosen else trained
    return prior, math.log(prior / (1 - prior)) - math.log(trained / (1 - trained))


def _best_weighted_threshold(
    probabilities: np.ndarray, targets: np.ndarray, *, prior: float, grid: np.ndarray
) -> float:
    """Threshold with the best accuracy on data whose share of positives is ``prior`` (recall on each
    class weighted by its share); equals plain accuracy when ``prior`` is the share in ``targets``."""
    positive, negative = probabilities[targets == 1], probabilities[targets == 0]
    scores = [prior * (positive >= t).mean() + (1 - prior) * (negative < t).mean() for t in grid]
    return float(grid[int(np.argmax(scores))])


def _fit_stacker(features: np.ndarray, targets: np.ndarray, *, shift: float) -> tuple[np.ndarray, float]:
    """A plain (unbalanced, so calibrated) logistic regression on out-of-fold stack features."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(features, targets)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0]) + shift


def choose_calibration(
    oof: dict[str, np.ndarray],
    items: Sequence[TrainingItem],
    *,
    tagged: Sequence[np.ndarray] | None = None,
    prior_source: str | None = None,
    source_feature: bool = True,
    vector_scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """From out-of-fold scores: the binary calibration (Platt, or a stacker over the n-gram score and
    the tagger's summary when ``tagged`` holds out-of-fold token probabilities), its threshold, and
    the label thresholds. Probabilities are fitted to ``prior_source``'s paragraphs: the stacker
    learns a bias for that source and applies it to every text (``source_feature``); otherwise the
    log-odds are shifted to the source's share of positives. ``vector_scores`` (out-of-fold raw scores
    of the paragraph-vector head) join the stacker's inputs when given."""
    core = [items[i] for i in oof["index"]]
    binary_targets = np.array([int(item.propagandistic) for item in core])
    prior, shift = _prior_shift(core, binary_targets, prior_source)
    raw = oof["binary"][:, 0]
    chosen: dict[str, Any] = {"binary_prior": prior}
    if tagged is None:
        a, b = _fit_platt(raw, binary_targets)
        chosen["binary_platt"] = (a, b + shift)
        binary_probability = _sigmoid(raw * a + b + shift)
    else:
        features = stack_features(raw, tagged, vector_scores)
        by_feature = source_feature and prior_source is not None
        if by_feature:
            # The source column absorbs the sources' different label shares; at run time every
            # text is taken as coming from ``prior_source``.
            source = np.array([[float(item.source == prior_source)] for item in core])
            features = np.hstack([features, source])
            shift = 0.0

        def fit(rows: np.ndarray) -> tuple[np.ndarray, float]:
            weights, bias = _fit_stacker(features[rows], binary_targets[rows], shift=shift)
            return (weights[:-1], bias + float(weights[-1])) if by_feature else (weights, bias)

        plain = features[:, :-1] if by_feature else features
        # Each fold's stacked probability comes from a stacker that never saw the fold.
        binary_probability = np.zeros(len(core))
        for fold_id in sorted(set(oof["fold"].tolist())):
            inside = oof["fold"] == fold_id
            weights, bias = fit(~inside)
            binary_probability[inside] = _sigmoid(plain[inside] @ weights + bias)
        chosen["stacker"] = fit(np.ones(len(core), dtype=bool))
    binary_threshold = _best_weighted_threshold(binary_probability, binary_targets, prior=prior, grid=_GRID)
    gate = binary_probability >= binary_threshold
    target = np.array([prior_source is None or item.source == prior_source for item in core])
    chosen |= {
        "binary_threshold": binary_threshold,
        "binary_probability": binary_probability,
        # On the paragraphs of the source the probabilities are shifted to (all when none is).
        "reliability": _reliability(binary_probability[target], binary_targets[target]),
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
    for source in ("armpro", "araieval"):
        rows = [row for row, item in enumerate(core) if item.source == source]
        figures[f"binary_{source}"] = label_prf(
            [{"true" if core[row].propagandistic else "false"} for row in rows],
            [{"true" if gate[row] else "false"} for row in rows],
        )
    # Accuracy expected where propagandistic paragraphs have the share ``binary_prior``.
    targets = np.array([item.propagandistic for item in core])
    prior = chosen.get("binary_prior", float(targets.mean()))
    figures["binary_prior_accuracy"] = {
        "prior": prior,
        "accuracy": float(prior * gate[targets].mean() + (1 - prior) * (~gate[~targets]).mean()),
    }
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
    tagged = tagger_cross_validate(items, oof, options)
    keyed = None
    if options.word_vectors and options.stack_spans:
        corpora = corpus_paths(folder.parent) or corpus_paths(data_dir)
        if not corpora:
            raise error("E101", f"unlabelled corpora not found under {data_dir}", input=str(data_dir))
        keyed = train_word2vec(
            corpora, size=options.vector_size, epochs=options.vector_epochs, window=options.vector_window
        )
        oof["vectors"] = vector_cross_validate(items, oof, keyed, options)
    chosen = choose_calibration(
        oof,
        items,
        tagged=tagged if options.stack_spans else None,
        prior_source=options.prior_source,
        source_feature=options.source_feature,
        vector_scores=oof.get("vectors"),
    )
    figures = cv_figures(oof, chosen, items)

    featurizer, _, heads = _fit_paragraph_models(items, options)
    threshold = np.array([chosen["binary_threshold"]])
    stacker: _LinearHead | None = None
    if "stacker" in chosen:
        # The n-gram head gives a raw score; the stacker turns it and the tagger's summary into p.
        binary = _LinearHead(("propagandistic",), heads["binary"][0], heads["binary"][1], threshold)
        weights, bias = chosen["stacker"]
        stacker = _LinearHead(("propagandistic",), weights[:, None], np.array([bias]), threshold)
    else:
        binary = _LinearHead(
            ("propagandistic",),
            heads["binary"][0],
            heads["binary"][1],
            threshold,
            platt=np.array([chosen["binary_platt"]]),
        )
    table: WordVectors | None = None
    vector_head: _LinearHead | None = None
    vector_svm: _KernelHead | None = None
    if keyed is not None:
        # The table: the corpus's most frequent words (or every training text's); the heads learn
        # from the news paragraphs.
        table = word_vectors_for(
            keyed, [item.text for item in items], min_df=options.vector_min_df, top=options.vector_top
        )
        core = [items[int(i)] for i in oof["index"]]
        core_vectors = table.transform([item.text for item in core]).astype(np.float64)
        core_targets = np.array([int(item.propagandistic) for item in core])
        core_source = np.array([float(item.source == options.prior_source) for item in core])
        vector_weights, vector_bias = _fit_vector_head(
            core_vectors, core_targets, core_source, c=options.c_vectors
        )
        if options.c_vector_svm > 0:
            vector_svm = _fit_vector_svm(core_vectors, core_targets, core_source, c=options.c_vector_svm)
        vector_head = _LinearHead(
            ("propagandistic",), vector_weights[:, None], np.array([vector_bias]), np.array([np.inf])
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
        "binary_prior": chosen["binary_prior"],
        "binary_threshold": chosen["binary_threshold"],
        "stacker_weights": [float(w) for w in chosen["stacker"][0]] if "stacker" in chosen else None,
        "stacker_bias": float(chosen["stacker"][1]) if "stacker" in chosen else None,
        "word_vectors": None
        if keyed is None or table is None
        else {
            "corpus_vocabulary": len(keyed),
            "table_words": len(table.vocabulary),
            "size": table.size,
            "window": options.vector_window,
            "epochs": options.vector_epochs,
            "support_vectors": 0 if vector_svm is None else len(vector_svm.dual),
        },
    }
    # Span tagger: decoding thresholds and gap chosen on its out-of-fold ArMPro predictions (same folds).
    rows = [row for row, index in enumerate(oof["index"]) if items[int(index)].source == "armpro"]
    gold = [list(items[int(oof["index"][row])].spans or ()) for row in rows]
    texts = [items[int(oof["index"][row])].text for row in rows]
    predicted = [(text, tokenise(text), tagged[row]) for text, row in zip(texts, rows, strict=True)]
    fold_of = [int(oof["fold"][row]) for row in rows]
    if options.gate_spans:
        # As at run time: no span suggestions in a paragraph the (out-of-fold) binary model rejects.
        passed = chosen["binary_probability"][rows] >= chosen["binary_threshold"]
        predicted = gate_span_predictions(predicted, passed.tolist())
    tagger = SpanTagger(CueLexicon.load()).fit(items, c=options.c_span)
    span_figures = nested_span_figures(gold, predicted, fold_of, tagger)
    tagger.thresholds, tagger.gap, tuned = tune_span_decoding(gold, predicted, tagger)
    metadata["span_cv"] = {
        key: span_figures[key] for key in ("micro_precision", "micro_recall", "micro_f1", "macro_f1")
    }
    metadata["span_cv_tuned_on_same_folds"] = {
        key: tuned[key] for key in ("micro_precision", "micro_recall", "micro_f1", "macro_f1")
    }
    metadata["span_decoding"] = {
        "gap": tagger.gap,
        "thresholds": {
            name: float(t) for name, t in zip(SPAN_CLASSES, tagger.thresholds, strict=True) if t <= 1
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = {
        "featurizer": featurizer,
        "binary": binary,
        "techniques": techniques,
        "coarse": coarse,
        "tagger": tagger,
        "stacker": stacker,
        "gate_spans": options.gate_spans,
        "vectors": table,
        "vector_head": vector_head,
        "vector_svm": vector_svm,
    }
    bundle["metadata"] = metadata
    joblib.dump(bundle, out_dir / MODEL_FILE, compress=("xz", 6))

    metadata["seconds"] = round(time.perf_counter() - started, 1)
    metadata["bytes"] = {MODEL_FILE: (out_dir / MODEL_FILE).stat().st_size}
    return metadata
