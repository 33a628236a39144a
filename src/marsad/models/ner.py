"""The NER model: a CRF over lexical, cluster and cue features, trained on ANERcorp.

Features are built per distinct word once and cached (lists of strings for the word itself and for
its role as a neighbour), so tagging a sentence is mostly list concatenation plus CRFsuite.
Generalisation to names never seen in training comes from three sources that do not memorise
names: word clusters learnt from unlabelled news (:mod:`marsad.models.ner_clusters`), how often a
word appears with ال in that news, and cue lexicons (titles, name connectors, organisation and
place head words, a small gazetteer) under ``models/data/ner_lexicon/``. A fourth, softer source:
word-vector hints (:mod:`marsad.models.ner_hints`), a small network's label distribution for each
token from the vectors of its window, which the CRF reads as weighted features.
"""

from __future__ import annotations

import importlib.resources
import json
import math
import shutil
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marsad.errors import error
from marsad.models.ner_clusters import ClusterTable, ContextCues, normalise_word

if TYPE_CHECKING:
    from marsad.models.crf_fast import CompiledTagger
    from marsad.models.ner_hints import WordHints
    from marsad.models.ner_pairs import PairTable
    from marsad.models.ner_sequence import SequenceHints

__all__ = [
    "ALL_GROUPS",
    "PROPAGATION",
    "FeatureExtractor",
    "NerModel",
    "load_lexicon",
    "propagate_names",
    "train_crf",
    "train_ner",
]

MODEL_FILE = "ner.crfsuite"
CLUSTER_FILE = "ner_clusters.tsv.gz"
META_FILE = "ner_meta.json"
SOFT_FILE = "ner_selftrain.tsv.gz"
# The second-pass CRF (document_features on top of the first pass's features).
SECOND_FILE = "ner_second.crfsuite"
# Tokens of unlabelled news tagged by the first-pass model for the self-training features.
SELFTRAIN_TOKENS = 2_000_000
ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")

# Feature groups: "base" is always on; the experiments (bench/ner_experiments.py) add the others.
ALL_GROUPS = frozenset({"base", "clusters", "lexicon"})

# Chosen by 5-fold cross-validation on the training split (docs/models/ner.md): DEFAULT_PARAMS for a
# CRF without word-vector hints (rounds one to three, and the measured options that do not combine
# with hints), HINT_PARAMS for one with them (the shipped model since round five: a stronger L2 term
# left the CRF alone as good and made its marginals serve the document-level step better).
DEFAULT_PARAMS: dict[str, Any] = {"c1": 0.05, "c2": 0.05, "max_iterations": 150}
HINT_PARAMS: dict[str, Any] = {"c1": 0.05, "c2": 1.0, "max_iterations": 150}
# Marginal P(O) under which an O token takes its best entity tag (see decode); chosen by CV.
O_THRESHOLD: float | None = None
# Options of the document-level step (propagate_names) after decoding, chosen by CV; written to
# ner_meta.json as "propagate" so a loader can pass them on.
PROPAGATION: dict[str, Any] = {"min_confidence": 0.7, "max_outside": 0.999, "family_names": True}
# The optional second pass (train_ner(second_pass=True)): trained on first-pass tags cross-fitted over
# ``folds`` contiguous blocks of the training file, read in articles of ``window`` sentences; with
# ``own`` a token's own first-pass tag is a feature too. Written to ner_meta.json as "second_pass".
# CV gained +0.005 but the tagging speed halved, so the shipped model has one pass (docs/models/ner.md).
SECOND_PASS: dict[str, Any] = {"own": True, "window": 10, "folds": 5}
# Word-vector hints (marsad.models.ner_hints): a one-hidden-layer network over the vectors of a
# ±``width`` window, ``hidden`` units, ``epochs`` passes; the CRF is trained on hints cross-fitted over
# ``folds`` contiguous blocks; the vectors are those of the cluster table's words. With ``document``
# (round five) the CRF also reads each token's document hints (ner_hints.document_hints: the mean
# hint of its key's other mentions in the article), learnt over blocks of that many training
# sentences read as articles; with ``neighbours`` the previous and next tokens' document hints too.
# Written to ner_meta.json as "hints"; chosen by CV (docs/models/ner.md).
HINTS: dict[str, Any] = {
    "hidden": 128,
    "epochs": 12,
    "width": 2,
    "folds": 5,
    "document": 10,
    "neighbours": True,
}
# Round seven's option (train_ner(sequence=True)): a sentence network (marsad.models.ner_sequence)
# whose distributions are averaged with the window network's; written to ner_meta.json as
# hints.sequence. CV did not justify it (0.7850 against 0.7868, bench/ner_sequence_hints.py; docs/models/ner.md).
SEQUENCE_HINTS: dict[str, Any] = {"hidden": 64, "epochs": 12}
HINTS_FILE = "ner_hints.npz"
# Round thirteen: collocation features from corpus pair counts (marsad.models.ner_pairs); pairs seen
# fewer than min_count times read as "none".
PAIRS_FILE = "ner_pairs.npz"
PAIRS: dict[str, Any] = {"min_count": 3}
# Round nine (train_ner(silver=...)): the CRF trained on the gold sentences tags unlabelled news
# (corpus_sentences: every ``stride``-th article up to ``max_tokens`` tokens), and the CRF is trained
# again on the gold sentences plus every tagged sentence that holds an entity, its tags taken as gold.
# Written to ner_meta.json as "silver"; measured by CV (docs/models/ner.md, "Ninth round").
SILVER: dict[str, Any] = {"max_tokens": 600_000, "stride": 4}
# The sentence network's weights (SEQUENCE_HINTS, marsad.models.ner_sequence), when a model has one.
SEQUENCE_FILE = "ner_sequence.npz"
# The word2vec run behind both the cluster table and the hint vectors (build_cluster_table options).
# "shards" > 1 trains word2vec in that many pieces side by side (train_sharded, "rounds" meetings an
# epoch): 1.7 times as fast on two cores and as deterministic, but its vectors scored lower by CV
# (docs/models/ner.md, "Eleventh round"), so the shipped table comes from gensim's own loop.
CLUSTER_VECTORS: dict[str, Any] = {
    "skipgram": True,
    "vector_size": 100,
    "window": 5,
    "epochs": 5,
    "min_count": 3,
    "max_words": 80_000,
    "shards": 1,
    "rounds": 8,
}

_FOREIGN_LETTERS = frozenset("گچڤپژ")
_LONG_VOWELS = frozenset("اوي")
_PROCLITIC_CONJ = "وف"
_PROCLITIC_PREP = "بلك"


@dataclass(frozen=True, slots=True)
class Lexicon:
    titles: frozenset[str]
    connectors: frozenset[str]
    first_names: frozenset[str]
    org_heads: frozenset[str]
    loc_heads: frozenset[str]
    # phrase (tuple of normalised words) -> entity type, for the longest-match gazetteer
    phrases: dict[tuple[str, ...], str]
    max_phrase: int


def _read_list(name: str) -> list[str]:
    resource = importlib.resources.files("marsad.models") / "data" / "ner_lexicon" / name
    lines = resource.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def load_lexicon() -> Lexicon:
    """Read the cue lists and the gazetteer from package data, normalised for matching."""

    def words(name: str) -> frozenset[str]:
        return frozenset(normalise_word(w) for w in _read_list(name))

    phrases: dict[tuple[str, ...], str] = {}
    # persons.txt is not read: in round three it gained +0.002 CV, within noise, and changed the
    # bundled outputs for the worse in places (docs/models/ner.md); it is kept for a retrain.
    for name, kind in (("places.txt", "LOC"), ("organisations.txt", "ORG")):
        for entry in _read_list(name):
            phrases[tuple(normalise_word(w) for w in entry.split())] = kind
    return Lexicon(
        titles=words("person_titles.txt"),
        connectors=words("person_connectors.txt"),
        first_names=words("first_names.txt"),
        org_heads=words("org_heads.txt"),
        loc_heads=words("loc_heads.txt"),
        phrases=phrases,
        max_phrase=max(len(p) for p in phrases),
    )


def context_cues(lexicon: Lexicon) -> ContextCues:
    """The cue words whose right-hand neighbours the cluster table counts."""
    places = lexicon.loc_heads | {normalise_word(w) for w in ("في", "إلى", "بمدينة", "العاصمة")}
    return ContextCues(
        titles=lexicon.titles, connectors=lexicon.connectors, places=places, org_heads=lexicon.org_heads
    )


def _affixes(stem: str) -> list[tuple[str, int, str]]:
    return [("s", n, stem[-n:]) for n in (2, 3) if len(stem) > n] + (
        [("p", 2, stem[:2])] if len(stem) > 2 else []
    )


def _share_bucket(share: float) -> int:
    return 0 if share < 0.02 else 1 if share < 0.1 else 2 if share < 0.3 else 3


def split_clitics(norm: str, table: ClusterTable | None) -> tuple[str, str, str]:
    """Split a normalised word into (proclitics, core with ال kept, stem without ال).

    A conjunction or preposition is stripped only when the corpus knows the rest at least as well
    as the whole word, so names that begin with those letters (بغداد، واشنطن، لندن) stay whole.
    """
    core, prefix = norm, ""
    if table is not None and len(norm) > 3:
        best = table.count(norm) * 2
        for cut in (1, 2):
            head, rest = norm[:cut], norm[cut:]
            valid = (
                head[0] in _PROCLITIC_CONJ + _PROCLITIC_PREP
                if cut == 1
                else (head[0] in _PROCLITIC_CONJ and head[1] in _PROCLITIC_PREP)
            )
            if not valid or len(rest) < 2:
                continue
            options = [rest]
            if head[-1] == "ل" and rest.startswith("ل"):
                # ل + ال is written لل: the article's alef is dropped
                options.append("ا" + rest)
            for option in options:
                count = table.count(option)
                if count > best:
                    best, core, prefix = count, option, head
    elif len(norm) > 4 and norm[0] in _PROCLITIC_CONJ + _PROCLITIC_PREP and norm[1:3] == "ال":
        core, prefix = norm[1:], norm[0]
    stem = core[2:] if core.startswith("ال") and len(core) > 3 else core
    return prefix, core, stem


class FeatureExtractor:
    """Turns sentences of surface tokens into CRFsuite feature lists, caching per distinct word."""

    def __init__(
        self,
        *,
        table: ClusterTable | None,
        lexicon: Lexicon | None,
        groups: frozenset[str] = ALL_GROUPS,
        soft: dict[str, tuple[float, ...]] | None = None,
        cache_limit: int = 300_000,
        pairs: PairTable | None = None,
    ) -> None:
        self.soft = soft
        # collocation codes of neighbouring cores (round thirteen); None: no such features
        self.pairs = pairs
        self.table = table if "clusters" in groups else None
        self.split_table = table
        self.lexicon = lexicon if "lexicon" in groups else None
        self.groups = groups
        self.cache_limit = cache_limit
        self._cache: dict[str, tuple[list[str], list[str], list[str], list[str], list[str], str]] = {}
        self._cores: dict[str, str] = {}

    def _word(self, token: str) -> tuple[list[str], list[str], list[str], list[str], list[str], str]:
        """A word's features as the token itself, as its -2, -1, +1 and +2 neighbours see it, and its core."""
        own, near, far, core = self._parts(token)
        return (
            [f"-2:{f}" for f in far],
            [f"-1:{f}" for f in near],
            own,
            [f"+1:{f}" for f in near],
            [f"+2:{f}" for f in far],
            core,
        )

    def _parts(self, token: str) -> tuple[list[str], list[str], list[str], str]:
        """A word's own features, those its ±1 and its ±2 neighbours read (without the offset
        prefix the CRF's attribute names carry), and its core."""
        norm = normalise_word(token)
        prefix, core, stem = split_clitics(norm, self.split_table)
        own = [f"w={norm}", f"st={stem}", f"pf={prefix}", f"len={min(len(stem), 9)}"]
        near: list[str] = [f"w={norm}", f"st={stem}"]
        far: list[str] = [f"st={stem}"]
        if not any(ch.isalpha() for ch in norm):
            own.append("digit" if any(ch.isdigit() for ch in norm) else "punct")
        elif norm.isascii():
            own.append("latin")
        else:
            for n in (1, 2, 3):
                if len(stem) > n:
                    own.append(f"s{n}={stem[-n:]}")
                    own.append(f"p{n}={stem[:n]}")
            if core.startswith("ال"):
                own.append("definite")
            if "affix" in self.groups:
                # the neighbours' affixes: nisba adjectives (الفرنسي), verb prefixes, plural endings
                near.extend(f"{kind}{n}={part}" for kind, n, part in _affixes(stem))
        if self.table is not None:
            entry = self.table.get(norm) or self.table.get(core) or self.table.get(stem)
            if entry is None and not core.startswith("ال"):
                entry = self.table.get("ال" + stem)
            if entry is None:
                own.append("c=none")
                near.append("c=none")
            else:
                c32, c128, c512, *finer = entry.clusters
                own.extend((f"a={c32}", f"b={c128}", f"c={c512}"))
                near.extend((f"a={c32}", f"b={c128}", f"c={c512}"))
                for level, cluster in enumerate(finer):
                    own.append(f"d{level}={cluster}")
                    near.append(f"d{level}={cluster}")
                far.append(f"b={c128}")
            count = self.table.count(core) or self.table.count(norm)
            own.append(f"freq={int(math.log2(count + 1)) // 2}")
            bare = self.table.get(stem)
            if bare is not None and bare.count + self.table.count("ال" + stem) >= 5:
                share = bare.definite_share
                own.append(f"def={0 if share < 0.05 else 1 if share < 0.3 else 2 if share < 0.7 else 3}")
            if entry is not None and entry.count >= 5:
                for name, share in zip(("ct", "cn", "cp", "co"), entry.contexts, strict=True):
                    own.append(f"{name}={_share_bucket(share)}")
        if self.lexicon is not None:
            lex = self.lexicon
            cues = []
            if core in lex.titles or norm in lex.titles:
                cues.append("title")
            if norm in lex.connectors or core in lex.connectors or norm.startswith("عبد"):
                cues.append("conn")
            if core in lex.first_names or stem in lex.first_names:
                cues.append("fname")
            if core in lex.org_heads or stem in lex.org_heads:
                cues.append("orghead")
            if core in lex.loc_heads or stem in lex.loc_heads:
                cues.append("lochead")
            own.extend(cues)
            near.extend(cues)
            far.extend(c for c in cues if c == "title")
            if any(ch in _FOREIGN_LETTERS for ch in norm):
                own.append("foreign")
            letters = [ch for ch in stem if ch.isalpha()]
            if len(letters) >= 3:
                share = sum(ch in _LONG_VOWELS for ch in letters) / len(letters)
                own.append(f"vow={min(int(share * 5), 3)}")
            if core.startswith("ال") and (stem.endswith("ي") or stem.endswith("يه")):
                own.append("nisba")
        if self.soft is not None:
            shares = self.soft.get(core)
            if shares is not None:
                marks = [
                    f"sg{kind}={_share_bucket(v)}"
                    for kind, v in zip(ENTITY_TYPES, shares, strict=True)
                    if v >= 0.1
                ]
                own.extend(marks or ["sg=O"])
                near.extend(marks or ["sg=O"])
        return own, near, far, core

    def _lookup(self, token: str) -> tuple[list[str], list[str], list[str], list[str], list[str], str]:
        cached = self._cache.get(token)
        if cached is None:
            if len(self._cache) >= self.cache_limit:
                self._cache.clear()
            cached = self._word(token)
            self._cache[token] = cached
        return cached

    def core(self, token: str) -> str:
        """The token's normalised, clitic-stripped form (ال kept): the match key of propagate_names."""
        # Its own small cache: the fast tagger never fills the feature cache, and building every
        # feature string of a word only to read its core would double the cost of a new word.
        core = self._cores.get(token)
        if core is None:
            if len(self._cores) >= self.cache_limit:
                self._cores.clear()
            core = split_clitics(normalise_word(token), self.split_table)[1]
            self._cores[token] = core
        return core

    def _gazetteer(
        self, words: list[tuple[list[str], list[str], list[str], list[str], list[str], str]]
    ) -> list[str]:
        """Longest-match gazetteer tags (``gz=LOC-B`` …) per token, '' where none."""
        lex = self.lexicon
        marks = [""] * len(words)
        if lex is None:
            return marks
        cores = [w[5] for w in words]
        i = 0
        while i < len(words):
            matched = 0
            for length in range(min(lex.max_phrase, len(words) - i), 0, -1):
                kind = lex.phrases.get(tuple(cores[i : i + length]))
                if kind is not None:
                    marks[i] = f"gz={kind}-B"
                    for j in range(i + 1, i + length):
                        marks[j] = f"gz={kind}-I"
                    matched = length
                    break
            i += matched or 1
        return marks

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        """Feature lists for one sentence."""
        words = [self._lookup(t) for t in tokens]
        marks = self._gazetteer(words)
        n = len(words)
        out: list[list[str]] = []
        for i, word in enumerate(words):
            feats = ["bias", *word[2]]
            if i >= 1:
                feats.extend(words[i - 1][1])
                feats.append(f"-1|0:{words[i - 1][5]}|{word[5]}")
            else:
                feats.append("BOS")
            if i >= 2:
                feats.extend(words[i - 2][0])
            if i + 1 < n:
                feats.extend(words[i + 1][3])
            else:
                feats.append("EOS")
            if i + 2 < n:
                feats.extend(words[i + 2][4])
            if marks[i]:
                feats.append(marks[i])
                if i + 1 < n and marks[i + 1].endswith("-I"):
                    feats.append("gz_continues")
            out.append(feats)
        if self.pairs is not None and n:
            import numpy as np

            from marsad.models.ner_pairs import pair_features

            # the code of each pair of neighbours, i with i + 1, read by both of them
            ids = np.array([self.pairs.id(word[5]) for word in words])
            codes = self.pairs.codes_of(ids[:-1], ids[1:]).tolist()
            for i, feats in enumerate(out):
                if i >= 1:
                    feats.extend(pair_features(codes[i - 1], "-"))
                if i + 1 < n:
                    feats.extend(pair_features(codes[i], "+"))
        return out


def with_hints(
    features: Sequence[Sequence[str]], hints: Sequence[dict[str, float]]
) -> list[dict[str, float]]:
    """CRFsuite items with the word-vector hints: each feature string at weight 1, then the hints."""
    return [dict.fromkeys(item, 1.0) | added for item, added in zip(features, hints, strict=True)]


def train_crf(
    *,
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    extractor: FeatureExtractor,
    model_path: Path,
    params: dict[str, Any] | None = None,
    extra: Sequence[Sequence[Sequence[str]]] | None = None,
    weighted: Sequence[Sequence[dict[str, float]]] | None = None,
) -> float:
    """Train a CRF and write it to ``model_path``; returns seconds spent.

    ``extra`` adds features per token (per sentence, per token: a list of strings), e.g. the
    document-level features of the second pass (:func:`document_features`); ``weighted`` adds
    weighted ones (per token: name -> value), e.g. the word-vector hints (:func:`with_hints`).
    """
    import pycrfsuite

    started = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    for number, (tokens, labels) in enumerate(zip(sentences, tags, strict=True)):
        features = extractor.sentence(tokens)
        if extra is not None:
            for item, added in zip(features, extra[number], strict=True):
                item.extend(added)
        if weighted is not None:
            trainer.append(pycrfsuite.ItemSequence(with_hints(features, weighted[number])), list(labels))
            continue
        trainer.append(pycrfsuite.ItemSequence(features), list(labels))
    settings = dict(DEFAULT_PARAMS)
    settings.update(params or {})
    trainer.set_params(
        {
            "c1": settings["c1"],
            "c2": settings["c2"],
            "max_iterations": settings["max_iterations"],
            "feature.possible_transitions": True,
            # any other CRFsuite option a caller names (e.g. feature.minfreq); the shipped
            # parameters name none
            **{key: value for key, value in settings.items() if key not in {"c1", "c2", "max_iterations"}},
        }
    )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    return time.perf_counter() - started


def soft_gazetteer(
    *,
    tag: Any,
    extractor: FeatureExtractor,
    sentences: Iterable[list[str]],
    min_count: int = 3,
    tagged: Iterable[tuple[list[str], Sequence[str]]] | None = None,
) -> dict[str, tuple[float, ...]]:
    """Self-training as features: the share of each word's corpus occurrences a first model tags as each type.

    ``tag`` maps a feature sequence to tags (a pycrfsuite Tagger's ``tag``); or ``tagged`` gives the
    sentences already tagged, (tokens, tags) pairs. Words seen fewer than ``min_count`` times, or never
    tagged as an entity in 10% of their occurrences, are left out.
    """
    import pycrfsuite

    totals: dict[str, list[int]] = {}
    index = {kind: k for k, kind in enumerate(ENTITY_TYPES)}
    if tagged is None:
        tagged = ((tokens, tag(pycrfsuite.ItemSequence(extractor.sentence(tokens)))) for tokens in sentences)
    for tokens, tags in tagged:
        for token, label in zip(tokens, tags, strict=True):
            core = extractor._lookup(token)[5]
            seen = totals.setdefault(core, [0, 0, 0, 0, 0])
            seen[4] += 1
            if label != "O":
                seen[index[label[2:]]] += 1
    soft: dict[str, tuple[float, ...]] = {}
    for core, seen in totals.items():
        if seen[4] >= min_count and max(seen[:4]) >= 0.1 * seen[4]:
            soft[core] = tuple(round(n / seen[4], 2) for n in seen[:4])
    return soft


def corpus_sentences(corpora: list[Path], *, max_tokens: int, stride: int = 8) -> list[list[str]]:
    """Every ``stride``-th article of the corpora, as sentences, up to ``max_tokens`` (deterministic)."""
    from marsad.models.ner_clusters import iter_corpus_texts, tokenise_for_clusters

    out: list[list[str]] = []
    total = 0
    for number, text in enumerate(iter_corpus_texts(corpora)):
        if number % stride:
            continue
        for sentence in iter_sentences(tokenise_for_clusters(text)):
            if 3 <= len(sentence) <= 120:
                out.append(sentence)
                total += len(sentence)
        if total >= max_tokens:
            break
    return out


def write_soft_gazetteer(soft: dict[str, tuple[float, ...]], path: Path) -> None:
    """Write the self-training table (``word<TAB>PER<TAB>LOC<TAB>ORG<TAB>MISC`` shares), byte-stable."""
    import gzip

    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        for word in sorted(soft):
            gz.write((word + "\t" + "\t".join(f"{v:.2f}" for v in soft[word]) + "\n").encode("utf-8"))


def read_soft_gazetteer(path: Path) -> dict[str, tuple[float, ...]]:
    """Read a table written by :func:`write_soft_gazetteer`; raises E204 if it is missing."""
    import gzip

    if not path.is_file():
        raise error("E204", "NER self-training table not found", input=str(path))
    soft: dict[str, tuple[float, ...]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            word, *shares = line.rstrip("\n").split("\t")
            soft[word] = tuple(float(v) for v in shares)
    return soft


def decode(tagger: Any, features: Any, *, o_threshold: float | None) -> list[str]:
    """Viterbi tags, then (with ``o_threshold``) recall-leaning repair from the marginals.

    A token tagged O whose marginal probability of O is below ``o_threshold`` takes its most
    probable entity tag; an I- left without a matching tag before it becomes B-. The threshold is
    chosen by cross-validation: the CRF is precise but misses unseen names.
    """
    from marsad.models.crf_fast import repair_from_marginals

    tags = list(tagger.tag(features))
    if o_threshold is None:
        return tags
    return repair_from_marginals(
        tags, labels=tagger.labels(), marginal=tagger.marginal, o_threshold=o_threshold
    )


def _spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) of the entities in one BIO sequence, counted as conlleval does."""
    spans: list[tuple[int, int, str]] = []
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.startswith("I-") and tag[2:] == kind and start >= 0
        if not inside:
            if start >= 0:
                spans.append((start, i, kind))
            start, kind = (i, tag[2:]) if tag != "O" else (-1, "")
    return spans


# Words that end a person's name but are also everyday words or name links: never propagated alone.
# Regnal ordinals (الحسن الثاني) are not family names, and علي folds together with the preposition على.
_NOT_FAMILY_NAMES = frozenset(
    normalise_word(word)
    for word in [
        "الله",
        "الرحمن",
        "الدين",
        "بن",
        "ابن",
        "أبو",
        "عبد",
        "الشيخ",
        "السيد",
        "على",
        "إلى",
        "الأول",
        "الثاني",
        "الثالث",
        "الرابع",
        "الخامس",
        "السادس",
        "السابع",
        "الثامن",
        "التاسع",
        "العاشر",
    ]
)


def _family_name(key: str) -> bool:
    return len(key) >= 3 and key not in _NOT_FAMILY_NAMES


def propagate_names(
    keys: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    outside: Sequence[Sequence[float]],
    *,
    min_confidence: float = 0.7,
    max_outside: float = 0.999,
    family_names: bool = True,
) -> list[list[str]]:
    """Document-level consistency: a name tagged confidently once is tagged at its other mentions.

    ``keys`` are the tokens' match keys (the feature extractor's clitic-stripped cores), ``tags``
    the decoded BIO tags and ``outside`` each token's marginal P(O), all for the sentences of one
    article. An entity whose every token has P(O) < 1 - ``min_confidence`` lends its type to other
    runs of the same keys tagged O (where no token has P(O) above ``max_outside``); with
    ``family_names`` the last word of a confident two-word-or-longer person name does so alone (the
    family name used on its own later in the article). Returns new tag lists; inputs are untouched.
    """
    votes: dict[tuple[str, ...], dict[str, float]] = {}
    for sentence_keys, sentence_tags, probs in zip(keys, tags, outside, strict=True):
        for start, end, kind in _spans(sentence_tags):
            confidence = 1.0 - max(probs[start:end])
            if confidence < min_confidence:
                continue
            phrase = tuple(sentence_keys[start:end])
            votes.setdefault(phrase, {}).setdefault(kind, 0.0)
            votes[phrase][kind] += confidence
            last = sentence_keys[end - 1]
            if family_names and kind == "PER" and end - start >= 2 and _family_name(last):
                votes.setdefault((last,), {}).setdefault(kind, 0.0)
                votes[(last,)][kind] += confidence
    out = [list(sentence_tags) for sentence_tags in tags]
    if not votes:
        return out
    names = {phrase: max(kinds, key=lambda k: kinds[k]) for phrase, kinds in votes.items()}
    longest = max(len(phrase) for phrase in names)
    firsts = {phrase[0] for phrase in names}
    for sentence_keys, sentence_tags, probs in zip(keys, out, outside, strict=True):
        if firsts.isdisjoint(sentence_keys):
            continue
        i = 0
        while i < len(sentence_tags):
            if sentence_keys[i] not in firsts:
                i += 1
                continue
            matched = 0
            for length in range(min(longest, len(sentence_tags) - i), 0, -1):
                found = names.get(tuple(sentence_keys[i : i + length]))
                if found is None:
                    continue
                kind = found
                window = range(i, i + length)
                following = i + length < len(sentence_tags) and sentence_tags[i + length].startswith("I-")
                if following or any(sentence_tags[j] != "O" or probs[j] > max_outside for j in window):
                    continue
                sentence_tags[i] = "B-" + kind
                for j in range(i + 1, i + length):
                    sentence_tags[j] = "I-" + kind
                matched = length
                break
            i += matched or 1
    return out


def _confidence_bucket(confidence: float) -> int:
    return 0 if confidence < 0.5 else 1 if confidence < 0.9 else 2


def document_features(
    keys: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    outside: Sequence[Sequence[float]],
    *,
    own: bool = False,
) -> list[list[list[str]]]:
    """Features of the second-pass CRF from a first pass over one article (Krishnan and Manning 2006).

    For each token, what the first pass said about the *other* mentions of the same key (the
    clitic-stripped core) in the article: the majority entity type among them (``dk=TYPE``, with
    the share of mentions that carry it and their mean confidence 1 - P(O)), or ``dk=O`` when they
    were all tagged O; ``dfam`` when the key ends a person name of two words or more elsewhere
    (the family name used alone); and the neighbours' ``dk`` marks at -1 and +1. With ``own``,
    the token's own first-pass tag too (``tag1=B-PER``). Words without letters get none.
    """
    # per key: [count, O count, PER, LOC, ORG, MISC counts, PER, LOC, ORG, MISC confidence sums]
    index = {kind: k for k, kind in enumerate(ENTITY_TYPES)}
    stats: dict[str, list[float]] = {}
    family: dict[str, int] = {}
    for sentence_keys, sentence_tags, probs in zip(keys, tags, outside, strict=True):
        for key, tag, p_out in zip(sentence_keys, sentence_tags, probs, strict=True):
            row = stats.get(key)
            if row is None:
                row = stats[key] = [0.0] * 10
            row[0] += 1
            if tag == "O":
                row[1] += 1
            else:
                k = index[tag[2:]]
                row[2 + k] += 1
                row[6 + k] += 1.0 - p_out
        for start, end, kind in _spans(sentence_tags):
            if kind == "PER" and end - start >= 2 and _family_name(sentence_keys[end - 1]):
                family[sentence_keys[end - 1]] = family.get(sentence_keys[end - 1], 0) + 1
    out: list[list[list[str]]] = []
    for sentence_keys, sentence_tags, probs in zip(keys, tags, outside, strict=True):
        marks: list[str] = []
        for key, tag, p_out in zip(sentence_keys, sentence_tags, probs, strict=True):
            row = stats[key]
            others = row[0] - 1
            if others <= 0 or not any(ch.isalpha() for ch in key):
                marks.append("")
                continue
            counts = list(row[2:6])
            sums = list(row[6:10])
            if tag != "O":
                k = index[tag[2:]]
                counts[k] -= 1
                sums[k] -= 1.0 - p_out
            best = max(range(4), key=lambda k: counts[k])
            if counts[best] <= 0:
                marks.append("O")
                continue
            marks.append(ENTITY_TYPES[best])
        features: list[list[str]] = []
        for i, (key, tag) in enumerate(zip(sentence_keys, sentence_tags, strict=True)):
            feats: list[str] = []
            mark = marks[i]
            if mark:
                feats.append(f"dk={mark}")
                if mark != "O":
                    row = stats[key]
                    k = index[mark]
                    count = row[2 + k] - (1 if tag[2:] == mark else 0)
                    total = row[6 + k] - ((1.0 - probs[i]) if tag[2:] == mark else 0.0)
                    share = count / (row[0] - 1)
                    feats.append(f"dk={mark}-{0 if share < 0.5 else 1 if share < 1 else 2}")
                    feats.append(f"dkc={mark}-{_confidence_bucket(total / count)}")
            fam = family.get(key, 0)
            # the token's own span does not count
            if fam and tag == "I-PER" and (i + 1 == len(sentence_tags) or sentence_tags[i + 1] != "I-PER"):
                fam -= 1
            if fam > 0:
                feats.append("dfam")
            if i >= 1 and marks[i - 1]:
                feats.append(f"-1:dk={marks[i - 1]}")
            if i + 1 < len(marks) and marks[i + 1]:
                feats.append(f"+1:dk={marks[i + 1]}")
            if own:
                feats.append(f"tag1={tag}")
            features.append(feats)
        out.append(features)
    return out


def first_pass(
    tagger: Any, extractor: FeatureExtractor, sentences: Sequence[Sequence[str]]
) -> tuple[list[list[str]], list[list[float]]]:
    """Viterbi tags and each token's marginal P(O) from a CRFsuite tagger (training-time helper)."""
    import pycrfsuite

    tags: list[list[str]] = []
    outside: list[list[float]] = []
    for tokens in sentences:
        features = pycrfsuite.ItemSequence(extractor.sentence(list(tokens)))
        tags.append(list(tagger.tag(features)))
        outside.append([tagger.marginal("O", i) for i in range(len(tokens))])
    return tags, outside


def windowed_document_features(
    keys: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    outside: Sequence[Sequence[float]],
    *,
    window: int,
    own: bool,
) -> list[list[list[str]]]:
    """:func:`document_features` over consecutive blocks of ``window`` sentences read as articles."""
    out: list[list[list[str]]] = []
    for start in range(0, len(tags), window):
        part = slice(start, start + window)
        out.extend(document_features(keys[part], tags[part], outside[part], own=own))
    return out


def cross_fitted_features(
    *,
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    extractor: FeatureExtractor,
    folds: int,
    window: int,
    own: bool,
    params: dict[str, Any] | None = None,
) -> list[list[list[str]]]:
    """Second-pass training features: each contiguous block tagged by a first pass trained without it.

    A first pass that had seen the block would tag it almost perfectly, and the second pass would
    learn to trust first-pass tags far more than they deserve on new text.
    """
    import tempfile

    import pycrfsuite

    bounds = [round(i * len(sentences) / folds) for i in range(folds + 1)]
    out: list[list[list[str]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            low, high = bounds[k], bounds[k + 1]
            path = Path(tmp) / f"fold{k}.crfsuite"
            train_crf(
                sentences=[*sentences[:low], *sentences[high:]],
                tags=[*tags[:low], *tags[high:]],
                extractor=extractor,
                model_path=path,
                params=params,
            )
            tagger = pycrfsuite.Tagger()
            tagger.open(str(path))
            held = sentences[low:high]
            held_tags, outside = first_pass(tagger, extractor, held)
            tagger.close()
            keys = [[extractor.core(token) for token in tokens] for tokens in held]
            out.extend(windowed_document_features(keys, held_tags, outside, window=window, own=own))
    return out


def _package_data_dir() -> Path:
    return Path(str(importlib.resources.files("marsad.models") / "data"))


class NerModel:
    """A trained NER tagger: BIO tags with types PER, LOC, ORG, MISC for surface tokens."""

    def __init__(
        self,
        *,
        tagger: Any,
        extractor: FeatureExtractor,
        meta: dict[str, Any],
        second: Any = None,
        hints: WordHints | None = None,
        sequence: SequenceHints | None = None,
    ) -> None:
        self._tagger = tagger
        # the word-vector hints the CRF was trained with (None: a model without them)
        self.hints = hints
        # the sentence network whose distributions are averaged with them (round seven; None: none)
        self.sequence = sequence
        # whether it also reads document hints (ner_hints.document_hints) over the article
        self.document_hints = hints is not None and bool((meta.get("hints") or {}).get("document"))
        # and the previous and next tokens' document hints
        self.document_neighbours = self.document_hints and bool(meta["hints"].get("neighbours"))
        # the second-pass CRFsuite tagger (None: one pass), with the options it was trained with
        self._second = second
        self._second_options: dict[str, Any] = meta.get("second_pass") or {}
        self.extractor = extractor
        self.meta = meta
        self.o_threshold: float | None = meta.get("o_threshold")
        # The fast path (marsad.models.crf_fast); None tags every sentence through CRFsuite.
        self.compiled: CompiledTagger | None = None

    def compile(self, model_path: Path, second_path: Path | None = None) -> CompiledTagger | None:
        """Build the fast tagger from the model file(s); None (with a warning) if it disagrees with CRFsuite."""
        from marsad.errors import MarsadError
        from marsad.models.crf_fast import CompiledTagger, probe_sentences, read_crfsuite_model

        try:
            weights = read_crfsuite_model(model_path)
            second = read_crfsuite_model(second_path) if second_path is not None else None
        except MarsadError as err:
            # CRFsuite itself opened the file: a layout this reader does not know only costs speed.
            warnings.warn(
                f"the fast NER tagger cannot read the model file ({err}); tagging through CRFsuite (slower)",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        if second is not None and list(second.labels) != list(weights.labels):
            warnings.warn(
                "the two NER passes have different labels; tagging through CRFsuite (slower)",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        compiled = CompiledTagger(
            weights=weights,
            extractor=self.extractor,
            o_threshold=self.o_threshold,
            reference=self._reference,
            second=second,
            second_reference=self._second_reference if second is not None else None,
        )
        if self.hints is not None:
            compiled.set_hint_classes(self.hints.classes)
        if list(weights.labels) != list(self._tagger.labels()) or not compiled.agrees(
            probe_sentences(self.extractor)
        ):
            warnings.warn(
                "the fast NER tagger does not compose features as FeatureExtractor.sentence does; "
                "tagging through CRFsuite (slower)",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        return compiled

    def _reference(self, tokens: list[str], hints: Any = None, document: Any = None) -> list[str]:
        features = self._first_features(tokens, hints, document)
        return decode(self._tagger, features, o_threshold=self.o_threshold)

    def _hint_probabilities(self, sentences: Sequence[Sequence[str]]) -> list[Any] | None:
        """Each sentence's word-vector hints (tokens × hint classes), or None without hints."""
        if self.hints is None:
            return None
        core = self.extractor.core
        window = self.hints.probabilities(self.hints.sentence_rows(sentences, core))
        if self.sequence is None:
            return window
        from marsad.models.ner_hints import mean_hints

        return mean_hints(
            window,
            self.hints.classes,
            self.sequence.sentence_probabilities(sentences, core),
            self.sequence.classes,
        )

    def _document_hints(
        self, sentences: Sequence[Sequence[str]], hints: list[Any] | None, keys: list[list[str]] | None = None
    ) -> list[Any] | None:
        """Each sentence's document hints (``sentences`` are one article), or None for a model
        trained without them."""
        if not self.document_hints or hints is None:
            return None
        from marsad.models.ner_hints import document_hints

        assert self.hints is not None
        cores = keys if keys else self._keys([list(tokens) for tokens in sentences])
        return document_hints(cores, hints, self.hints.classes)

    def _first_features(self, tokens: list[str], hints: Any, document: Any = None) -> Any:
        """The first-pass CRFsuite items of one sentence. ``hints``: its hint rows, computed if None;
        ``document``: its document-hint rows, computed for the sentence alone (as an article of one
        sentence) if None and the model reads them."""
        import pycrfsuite

        from marsad.models.ner_hints import hint_features

        features = self.extractor.sentence(tokens)
        if self.hints is None:
            return pycrfsuite.ItemSequence(features)
        if hints is None:
            computed = self._hint_probabilities([tokens])
            assert computed is not None
            hints = computed[0]
        if document is None and self.document_hints:
            alone = self._document_hints([tokens], [hints])
            assert alone is not None
            document = alone[0]
        added = hint_features(hints, self.hints.classes, document, neighbours=self.document_neighbours)
        return pycrfsuite.ItemSequence(with_hints(features, added))

    def _second_features(self, tokens: list[str], extra: Sequence[Sequence[str]]) -> Any:
        import pycrfsuite

        items = self.extractor.sentence(tokens)
        for item, added in zip(items, extra, strict=True):
            item.extend(added)
        return pycrfsuite.ItemSequence(items)

    def _second_reference(self, tokens: list[str], extra: list[list[str]]) -> list[str]:
        return decode(self._second, self._second_features(tokens, extra), o_threshold=self.o_threshold)

    @classmethod
    def load(cls, model_dir: Path | None = None) -> NerModel:
        """Load the shipped model (``model_dir`` None) or one written by :func:`train_ner`.

        Raises E204 when the model file is missing.
        """
        import pycrfsuite

        directory = model_dir if model_dir is not None else _package_data_dir()
        model_path = directory / MODEL_FILE
        if not model_path.is_file():
            raise error("E204", "NER model file not found", input=str(model_path))
        meta: dict[str, Any] = {}
        if (directory / META_FILE).is_file():
            meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        groups = frozenset(meta.get("groups", sorted(ALL_GROUPS)))
        cluster_path = directory / CLUSTER_FILE
        if not cluster_path.is_file():
            cluster_path = _package_data_dir() / CLUSTER_FILE
        table = ClusterTable.read(cluster_path) if cluster_path.is_file() else None
        soft = read_soft_gazetteer(directory / SOFT_FILE) if meta.get("selftrain") else None
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_path))
        second = None
        second_path = directory / SECOND_FILE
        if meta.get("second_pass"):
            if not second_path.is_file():
                raise error("E204", "NER second-pass model file not found", input=str(second_path))
            second = pycrfsuite.Tagger()
            second.open(str(second_path))
        pairs = None
        if meta.get("pairs"):
            from marsad.models.ner_pairs import PairTable

            pairs_path = directory / PAIRS_FILE
            if not pairs_path.is_file():
                raise error("E204", "NER collocation file not found", input=str(pairs_path))
            pairs = PairTable.load(pairs_path)
        extractor = FeatureExtractor(
            table=table, lexicon=load_lexicon(), groups=groups, soft=soft, pairs=pairs
        )
        hints = None
        if meta.get("hints"):
            if second is not None:
                raise error(
                    "E204",
                    "an NER model with both hints and a second pass is not supported",
                    input=str(directory),
                )
            from marsad.models.ner_hints import WordHints

            hints_path = directory / HINTS_FILE
            if not hints_path.is_file():
                raise error("E204", "NER hint file not found", input=str(hints_path))
            if table is None:
                raise error(
                    "E204", "NER hints need the cluster table, which was not found", input=str(cluster_path)
                )
            try:
                hints = WordHints.load(hints_path, words=list(table.entries))
            except ValueError as err:
                raise error(
                    "E204", f"NER hint file does not match the cluster table: {err}", input=str(hints_path)
                ) from err
        sequence = None
        if hints is not None and meta["hints"].get("sequence"):
            from marsad.models.ner_sequence import SequenceHints

            sequence_path = directory / SEQUENCE_FILE
            if not sequence_path.is_file():
                raise error("E204", "NER sequence hint file not found", input=str(sequence_path))
            try:
                sequence = SequenceHints.load(sequence_path, table=hints)
            except ValueError as err:
                raise error(
                    "E204",
                    f"NER sequence hint file does not match the hint table: {err}",
                    input=str(sequence_path),
                ) from err
        model = cls(
            tagger=tagger, extractor=extractor, meta=meta, second=second, hints=hints, sequence=sequence
        )
        model.compiled = model.compile(model_path, second_path if second is not None else None)
        return model

    def _keys(self, sentences: list[list[str]]) -> list[list[str]]:
        core = self.extractor.core
        return [[core(token) for token in tokens] for tokens in sentences]

    def _passes(
        self, sentences: list[list[str]], keys: list[list[str]] | None, *, reference: bool, marginals: bool
    ) -> tuple[list[list[str]], list[Any]]:
        """Tags of all passes (``sentences`` are one article) and, with ``marginals``, the last pass's
        label marginals (arrays, tokens × :attr:`labels`; empty arrays otherwise)."""
        import numpy as np

        column = self.labels.index("O")
        own = bool(self._second_options.get("own"))

        def extra_of(
            tags: list[list[str]], tables: list[Any], cores: list[list[str]] | None = None
        ) -> list[list[list[str]]]:
            outside = [table[:, column].tolist() if len(table) else [] for table in tables]
            return document_features(cores or keys or self._keys(sentences), tags, outside, own=own)

        hints = self._hint_probabilities(sentences)
        document = None
        # whether ``keys`` still waits for the cores
        want_cores = keys is not None
        if self.document_hints:
            # the fast tagger's word table has the cores at hand (and keeps the rows for tagging)
            cores = self.compiled.cores(sentences) if self.compiled is not None else self._keys(sentences)
            document = self._document_hints(sentences, hints, cores)
            if keys is not None:
                keys[:] = cores
                want_cores = False
        if self.compiled is not None and not reference:
            if self._second is not None:
                tags, tables, cores = self.compiled.tag_two_pass(sentences, extra_of, marginals=marginals)
                if keys is not None:
                    keys[:] = cores
                return tags, tables
            if want_cores:
                tags, tables, cores = self.compiled.tag_with_cores(
                    sentences, marginals=marginals, hints=hints, document=document
                )
                assert keys is not None
                keys[:] = cores
                return tags, tables
            if marginals:
                return self.compiled.tag_with_marginals(sentences, hints, document)
            width = len(self.labels)
            return self.compiled.tag(sentences, hints, document), [np.zeros((0, width)) for _ in sentences]
        tags, tables = self._reference_pass(
            self._tagger,
            sentences,
            None,
            marginals=marginals or self._second is not None,
            hints=hints,
            document=document,
        )
        if self._second is None:
            return tags, tables
        return self._reference_pass(self._second, sentences, extra_of(tags, tables), marginals=marginals)

    def _reference_pass(
        self,
        tagger: Any,
        sentences: list[list[str]],
        extra: list[list[list[str]]] | None,
        *,
        marginals: bool,
        hints: list[Any] | None = None,
        document: list[Any] | None = None,
    ) -> tuple[list[list[str]], list[Any]]:
        import numpy as np

        labels = self.labels
        tagged: list[list[str]] = []
        tables: list[Any] = []
        for number, tokens in enumerate(sentences):
            if not tokens:
                tagged.append([])
                tables.append(np.zeros((0, len(labels))))
                continue
            if extra is None:
                features = self._first_features(
                    tokens,
                    hints[number] if hints is not None else None,
                    document[number] if document is not None else None,
                )
            else:
                features = self._second_features(tokens, extra[number])
            tagged.append(decode(tagger, features, o_threshold=self.o_threshold))
            if marginals:
                tagger.set(features)
                tables.append(
                    np.array([[tagger.marginal(label, i) for label in labels] for i in range(len(tokens))])
                )
            else:
                tables.append(np.zeros((0, len(labels))))
        return tagged, tables

    def predict(self, sentences: list[list[str]], *, reference: bool = False) -> list[list[str]]:
        """BIO tags for each sentence of surface tokens (words and punctuation separate).

        With a second-pass model the sentences are read as one article (its document features).
        The fast path gives the same tags as CRFsuite; ``reference`` tags through CRFsuite itself.
        """
        return self._passes(sentences, None, reference=reference, marginals=False)[0]

    def predict_article(self, sentences: list[list[str]]) -> list[list[str]]:
        """Tags for one article's sentences, then document-level consistency (:func:`propagate_names`).

        The propagation settings come from the model's metadata (``"propagate"``); a model trained
        without them tags exactly as :meth:`predict`.
        """
        options = self.meta.get("propagate")
        if not options:
            return self.predict(sentences)
        column = self.labels.index("O")
        keys: list[list[str]] = []  # filled by the fast path, which has the cores at hand
        tags, tables = self._passes(sentences, keys, reference=False, marginals=True)
        if len(keys) != len(sentences):
            keys = self._keys(sentences)
        outside = [table[:, column].tolist() if len(table) else [] for table in tables]
        return propagate_names(keys, tags, outside, **options)

    @property
    def labels(self) -> list[str]:
        """The model's labels, in the order of the marginal columns."""
        return list(self._tagger.labels())

    def predict_with_marginals(
        self, sentences: list[list[str]], *, reference: bool = False
    ) -> tuple[list[list[str]], list[list[list[float]]]]:
        """Tags as :meth:`predict`, and each token's label marginals (columns in :attr:`labels` order)."""
        tags, tables = self._passes(sentences, None, reference=reference, marginals=True)
        return tags, [table.tolist() for table in tables]


def _read_training(train_path: Path) -> tuple[list[list[str]], list[list[str]], list[str]]:
    from marsad.evaluate.conll import read_conll

    sentences, warnings = read_conll(train_path)
    return [s.tokens for s in sentences], [s.tags for s in sentences], warnings


def train_ner(
    *,
    train_path: Path,
    out_dir: Path,
    corpora: list[Path] | None = None,
    selftrain: bool = False,
    second_pass: bool = False,
    hints: bool | None = None,
    sequence: bool = False,
    silver: list[Path] | None = None,
    workers: int = 2,
    pairs: bool = True,
) -> dict[str, Any]:
    """Train the NER model into ``out_dir`` (model, cluster table, hint network, metadata).

    With ``corpora`` the word vectors are retrained and the cluster table and hint vectors rebuilt
    from those JSONL corpora (about 12 minutes for the two the project uses, ``CLUSTER_VECTORS``);
    without, the shipped cluster table and hint vectors are reused. ``hints`` (on in the shipped model)
    trains the word-vector hint network (``HINTS``) and the CRF on its cross-fitted hints; None means
    on unless ``selftrain`` or ``second_pass`` (measured options that do not combine with hints). ``selftrain`` (needs
    ``corpora``) adds the self-training features, which cross-validation did not justify (see
    docs/models/ner.md). ``second_pass`` adds the second-pass CRF over document features (five more
    first-pass trainings for its cross-fitted inputs, ``SECOND_PASS``; CV did not justify it). Deterministic
    for the same inputs. ``sequence`` (needs hints and PyTorch, the ``train`` extra) also trains
    the sentence network of round seven (``SEQUENCE_HINTS``) and averages its cross-fitted
    distributions with the window network's; CV did not justify it either. ``silver`` (needs hints):
    unlabelled JSONL corpora that the first CRF tags for a second CRF trained on gold and tagged
    sentences together (``SILVER``). ``workers`` processes read the corpora (one file each), train
    the six hint networks side by side and, with ``CLUSTER_VECTORS["shards"]`` > 1, word2vec's shards;
    gensim's own word2vec loop, k-means and the CRF run on one thread, and the files are the same for
    any ``workers``. ``pairs`` (on in the shipped model) adds the collocation features of neighbouring
    words (:mod:`marsad.models.ner_pairs`): with ``corpora`` the pair table is counted from the
    corpora's text once the cluster table is built; without, the shipped one is reused. Returns
    figures for the training log.
    Raises E101 for a missing file, E204 when no cluster table is shipped and none is built.
    """
    import tempfile

    from marsad.models.ner_clusters import build_cluster_table
    from marsad.models.ner_hints import WordHints, block_features, cross_fitted_with_network

    if hints is None:
        hints = not (second_pass or selftrain)
    if hints and (second_pass or selftrain):
        raise ValueError("hints cannot be combined with the second pass or self-training")
    if sequence and not hints:
        raise ValueError("the sentence network (sequence) needs the hints")
    if silver and not hints:
        raise ValueError("training on tagged corpus sentences (silver) needs the hints")
    for path in silver or ():
        if not path.is_file():
            raise error("E101", "corpus file not found", input=str(path))
    sentences, tags, warnings = _read_training(train_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    cluster_path = out_dir / CLUSTER_FILE
    pairs_path = out_dir / PAIRS_FILE
    started = time.perf_counter()
    figures: dict[str, Any] = {"warnings": warnings, "sentences": len(sentences)}
    if corpora:
        for path in corpora:
            if not path.is_file():
                raise error("E101", "corpus file not found", input=str(path))

        def count_collocations(corpus_file: Path, corpora_bytes: int) -> None:
            from marsad.models.ner_pairs import count_pairs

            pair_started = time.perf_counter()
            counted = ClusterTable.read(cluster_path)
            count_pairs(
                corpus_file,
                core=lambda word: split_clitics(word, counted)[1],
                stop=corpora_bytes,
                min_count=PAIRS["min_count"],
            ).save(pairs_path)
            figures["pairs_seconds"] = round(time.perf_counter() - pair_started, 1)

        with tempfile.TemporaryDirectory() as tmp:
            vectors_path = Path(tmp) / "vectors.kv"
            stats = build_cluster_table(
                corpora=corpora,
                out_path=cluster_path,
                cues=context_cues(load_lexicon()),
                extra_texts=(" ".join(s) for s in sentences),
                vectors_out=vectors_path,
                workers=workers,
                after=count_collocations if pairs else None,
                **CLUSTER_VECTORS,
            )
            template = None
            if hints:
                from gensim.models import KeyedVectors

                vectors = KeyedVectors.load(str(vectors_path))
                # the hint table holds the cluster table's words, in its order (ner_hints.npz keeps
                # only a check of them)
                words = list(ClusterTable.read(cluster_path).entries)
                template = WordHints.template(
                    words=words, vectors=[vectors[w] for w in words], width=HINTS["width"]
                )
        figures["cluster_table"] = stats
    else:
        template = None
        shipped = _package_data_dir() / CLUSTER_FILE
        if not shipped.is_file():
            raise error(
                "E204", "no shipped cluster table; pass the corpora to rebuild it", input=str(shipped)
            )
        if hints:
            words = list(ClusterTable.read(shipped).entries)
            template = WordHints.load(_package_data_dir() / HINTS_FILE, words=words)
        if shipped.resolve() != cluster_path.resolve():
            shutil.copyfile(shipped, cluster_path)
        if pairs:
            shipped_pairs = _package_data_dir() / PAIRS_FILE
            if not shipped_pairs.is_file():
                raise error(
                    "E204",
                    "no shipped collocation table; pass the corpora to rebuild it",
                    input=str(shipped_pairs),
                )
            if shipped_pairs.resolve() != pairs_path.resolve():
                shutil.copyfile(shipped_pairs, pairs_path)
    figures["cluster_seconds"] = round(time.perf_counter() - started, 1)
    table = ClusterTable.read(cluster_path)
    pair_table = None
    if pairs:
        from marsad.models.ner_pairs import PairTable, describe

        pair_table = PairTable.load(pairs_path)
        figures["pairs"] = describe(pair_table)
    elif pairs_path.is_file():
        pairs_path.unlink()
    extractor = FeatureExtractor(table=table, lexicon=load_lexicon(), groups=ALL_GROUPS, pairs=pair_table)
    weighted = None
    hint_network = None
    hints_path = out_dir / HINTS_FILE
    if template is not None:
        started = time.perf_counter()
        rows = template.sentence_rows(sentences, extractor.core)
        options = {"hidden": HINTS["hidden"], "epochs": HINTS["epochs"]}
        # the five cross-fitted networks and the one on all sentences, in two processes
        probabilities, classes, hint_network = cross_fitted_with_network(
            rows=rows, tags=tags, template=template, folds=HINTS["folds"], workers=workers, **options
        )
        sequence_path = out_dir / SEQUENCE_FILE
        if sequence:
            from marsad.models.ner_hints import mean_hints
            from marsad.models.ner_sequence import cross_fitted_sequence

            sequence_started = time.perf_counter()
            sequence_probabilities, sequence_classes, network = cross_fitted_sequence(
                sentences=sentences,
                tags=tags,
                table=template,
                core=extractor.core,
                folds=HINTS["folds"],
                **SEQUENCE_HINTS,
            )
            probabilities = mean_hints(probabilities, classes, sequence_probabilities, sequence_classes)
            network.save(sequence_path)
            figures["sequence_seconds"] = round(time.perf_counter() - sequence_started, 1)
            figures["sequence_bytes"] = sequence_path.stat().st_size
        elif sequence_path.is_file():
            sequence_path.unlink()
        weighted = block_features(
            probabilities,
            classes,
            [[extractor.core(token) for token in tokens] for tokens in sentences],
            document=HINTS.get("document") or 0,
            neighbours=bool(HINTS.get("neighbours")),
        )
        assert hint_network is not None  # final=True trains it
        hint_network.save(hints_path)
        figures["hints_seconds"] = round(time.perf_counter() - started, 1)
        figures["hints_bytes"] = hints_path.stat().st_size
    elif hints_path.is_file():
        hints_path.unlink()
    params = HINT_PARAMS if weighted is not None else DEFAULT_PARAMS
    seconds = train_crf(
        sentences=sentences,
        tags=tags,
        extractor=extractor,
        model_path=out_dir / MODEL_FILE,
        params=params,
        weighted=weighted,
    )
    if silver and template is not None and weighted is not None and hint_network is not None:
        started = time.perf_counter()
        extra_sentences, extra_tags, extra_weighted = _silver_sentences(
            silver,
            extractor=extractor,
            template=template,
            network=hint_network,
            model_path=out_dir / MODEL_FILE,
        )
        figures["silver_tag_seconds"] = round(time.perf_counter() - started, 1)
        figures["silver_sentences"] = len(extra_sentences)
        figures["silver_tokens"] = sum(len(tokens) for tokens in extra_sentences)
        figures["gold_crf_seconds"] = round(seconds, 1)
        seconds += train_crf(
            sentences=[*sentences, *extra_sentences],
            tags=[*tags, *extra_tags],
            extractor=extractor,
            model_path=out_dir / MODEL_FILE,
            params=params,
            weighted=[*weighted, *extra_weighted],
        )
    use_soft = bool(corpora) and selftrain
    if use_soft and corpora:
        import pycrfsuite

        started = time.perf_counter()
        tagger = pycrfsuite.Tagger()
        tagger.open(str(out_dir / MODEL_FILE))
        sample = corpus_sentences(corpora, max_tokens=SELFTRAIN_TOKENS)
        soft = soft_gazetteer(tag=tagger.tag, extractor=extractor, sentences=sample)
        tagger.close()
        write_soft_gazetteer(soft, out_dir / SOFT_FILE)
        figures["selftrain_seconds"] = round(time.perf_counter() - started, 1)
        figures["selftrain_words"] = len(soft)
        extractor = FeatureExtractor(
            table=table, lexicon=load_lexicon(), groups=ALL_GROUPS, soft=soft, pairs=pair_table
        )
        seconds += train_crf(
            sentences=sentences, tags=tags, extractor=extractor, model_path=out_dir / MODEL_FILE
        )
    second_path = out_dir / SECOND_FILE
    if second_pass:
        started = time.perf_counter()
        extra = cross_fitted_features(
            sentences=sentences,
            tags=tags,
            extractor=extractor,
            folds=SECOND_PASS["folds"],
            window=SECOND_PASS["window"],
            own=SECOND_PASS["own"],
        )
        train_crf(sentences=sentences, tags=tags, extractor=extractor, model_path=second_path, extra=extra)
        figures["second_pass_seconds"] = round(time.perf_counter() - started, 1)
        figures["second_model_bytes"] = second_path.stat().st_size
    elif second_path.is_file():
        second_path.unlink()
    meta = {
        "groups": sorted(ALL_GROUPS),
        "selftrain": use_soft,
        "second_pass": SECOND_PASS if second_pass else None,
        "hints": ({**HINTS, "sequence": SEQUENCE_HINTS} if sequence else HINTS)
        if template is not None
        else None,
        "o_threshold": O_THRESHOLD,
        "propagate": PROPAGATION,
        "silver": {**SILVER, "corpora": [p.name for p in silver], "sentences": figures["silver_sentences"]}
        if silver and "silver_sentences" in figures
        else None,
        "pairs": {**PAIRS, "pairs": len(pair_table)} if pair_table is not None else None,
        "params": params,
        "train_file": train_path.name,
        "train_sentences": len(sentences),
        "train_tokens": sum(len(s) for s in sentences),
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    figures["crf_seconds"] = round(seconds, 1)
    figures["model_bytes"] = (out_dir / MODEL_FILE).stat().st_size
    return figures


def sample_hints(
    sample: Sequence[Sequence[str]], *, extractor: FeatureExtractor, network: Any
) -> list[list[dict[str, float]]]:
    """Hint features for unlabelled sentences as training gives them: ``network``'s hints and the
    document hints over blocks of ``HINTS["document"]`` sentences read as articles."""
    from marsad.models.ner_hints import block_features

    probabilities = network.probabilities(network.sentence_rows(sample, extractor.core))
    return block_features(
        probabilities,
        network.classes,
        [[extractor.core(token) for token in tokens] for tokens in sample],
        document=HINTS.get("document") or 0,
        neighbours=bool(HINTS.get("neighbours")),
    )


def _silver_sentences(
    corpora: list[Path], *, extractor: FeatureExtractor, template: Any, network: Any, model_path: Path
) -> tuple[list[list[str]], list[list[str]], list[list[dict[str, float]]]]:
    """Tag ``SILVER``'s sample of ``corpora`` with the CRF at ``model_path`` (hints from ``network``,
    document hints over blocks of sentences as in training) and keep the sentences that hold an
    entity: their tokens, tags and hint features."""
    import pycrfsuite

    sample = corpus_sentences(corpora, max_tokens=SILVER["max_tokens"], stride=SILVER["stride"])
    weighted = sample_hints(sample, extractor=extractor, network=network)
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    kept: tuple[list[list[str]], list[list[str]], list[list[dict[str, float]]]] = ([], [], [])
    for tokens, hints in zip(sample, weighted, strict=True):
        tagger.set(pycrfsuite.ItemSequence(with_hints(extractor.sentence(tokens), hints)))
        labels = list(tagger.tag())
        if any(label != "O" for label in labels):
            kept[0].append(tokens)
            kept[1].append(labels)
            kept[2].append(hints)
    tagger.close()
    return kept


def iter_sentences(tokens: Iterable[str]) -> list[list[str]]:
    """Group a token stream into sentences at full stops (for benchmarks on raw text)."""
    sentences: list[list[str]] = [[]]
    for token in tokens:
        sentences[-1].append(token)
        if token in {".", "!", "?", "؟"}:
            sentences.append([])
    return [s for s in sentences if s]
