"""Tag with a trained CRFsuite model without CRFsuite: cached label scores per word, compiled Viterbi.

In a linear-chain CRF a token's emission score for a label is the sum of the weights of its active
features. Almost every NER feature depends on one word at one offset (-2 … +2), so the sum for
each distinct word at each offset is computed once, as a vector over the labels. Tagging a
sentence is then a few array gathers, plus the few features that depend on two words (the
``-1|0`` core bigram) or on the sentence (BOS, EOS, gazetteer marks), the word-vector hints of a
model trained with them (``hint=LABEL``, weighted: one product with their weight rows), and Viterbi
(and forward–backward for the marginals ``decode`` uses) in compiled loops (:mod:`marsad.models.crf_kernels`).
No feature strings are built for cached words.

Everything comes from the model file (read here, weights exact) and the model's
``FeatureExtractor``, so a retrained model needs nothing extra. The results equal CRFsuite's: a
sentence whose best path is decided by a margin small enough for rounding to matter is tagged by
CRFsuite itself (``reference``), and :meth:`CompiledTagger.agrees` checks at load time that the
composed scores equal the sum of ``FeatureExtractor.sentence``'s features.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from marsad.errors import error
from marsad.models.crf_kernels import add_pair_scores, forward_backward, viterbi
from marsad.models.ner_hints import DOCUMENT_PREFIX, HINT_PREFIX, LEFT_PREFIX, MIN_HINT, RIGHT_PREFIX
from marsad.models.ner_pairs import NONE as PAIR_NONE

if TYPE_CHECKING:
    from marsad.models.ner import FeatureExtractor

__all__ = [
    "CompiledTagger",
    "CrfWeights",
    "probe_sentences",
    "read_crfsuite_model",
    "repair_from_marginals",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
# Per sentence, the word-vector hints (tokens × hint classes), or None for a model without them;
# the document hints (ner_hints.document_hints) come in the same shape.
Hints = Sequence[npt.NDArray[Any]] | None
# CRFsuite's tags for one sentence, given its hint and document-hint rows (None: none).
Reference = Callable[[list[str], Any, Any], list[str]]

# A decision whose two best scores differ by less than this is left to CRFsuite: summing the same
# weights in another order can move a score by about 1e-14 per feature, far below this.
TIE_MARGIN = 1e-7
# The most tokens tagged in one go: bounds memory (about 1 KB a token) for whole-corpus calls.
BATCH_TOKENS = 20_000
# Rows 0-2 of the word table are fixed: no word, the BOS marker as the -1 neighbour, EOS as +1.
_ZERO, _BOS, _EOS = 0, 1, 2


@dataclass(frozen=True, slots=True)
class CrfWeights:
    """The parameters of a CRFsuite linear-chain model (``crf1d``)."""

    labels: tuple[str, ...]
    attributes: dict[str, int]
    # state[attribute id, label id]: weight of (attribute, label); zero where the model has none
    state: FloatArray
    # transitions[from label id, to label id]
    transitions: FloatArray

    def vector(self, features: Sequence[str]) -> FloatArray:
        """The summed label scores of ``features`` (each occurrence counts, unknown ones are ignored)."""
        index = self.attributes
        ids = [index[name] for name in features if name in index]
        if not ids:
            return np.zeros(len(self.labels))
        return self.state[ids].sum(axis=0)


def _read_names(data: bytes, offset: int, *, path: Path) -> list[str]:
    """The strings of a CRFsuite CQDB chunk, by id (through its backward array)."""
    chunk, _, _, _, count, backward = struct.unpack_from("<4sIIIII", data, offset)
    if chunk != b"CQDB":
        raise error("E204", "NER model file is malformed (string table)", input=str(path))
    names = []
    for number in range(count):
        (record,) = struct.unpack_from("<I", data, offset + backward + 4 * number)
        ident, size = struct.unpack_from("<II", data, offset + record)
        start = offset + record + 8
        if ident != number:
            raise error("E204", "NER model file is malformed (string ids)", input=str(path))
        names.append(data[start : start + size - 1].decode("utf-8"))
    return names


def read_crfsuite_model(path: Path) -> CrfWeights:
    """Read the labels, attributes and exact weights of a CRFsuite ``crf1d`` model file.

    ``pycrfsuite.Tagger.info()`` rounds weights to six decimals, which is not enough to reproduce
    CRFsuite's tags exactly; the file itself stores them as doubles. Raises E204 for a missing
    or malformed file.
    """
    if not path.is_file():
        raise error("E204", "NER model file not found", input=str(path))
    data = path.read_bytes()
    try:
        header = struct.unpack_from("<4sI4s9I", data, 0)
        magic, _, kind, _, _, _, _, features_at, labels_at, attributes_at, _, _ = header
        if magic != b"lCRF" or kind != b"FOMC":
            raise error("E204", "not a CRFsuite linear-chain model file", input=str(path))
        labels = _read_names(data, labels_at, path=path)
        attributes = _read_names(data, attributes_at, path=path)
        chunk, _, count = struct.unpack_from("<4sII", data, features_at)
        if chunk != b"FEAT":
            raise error("E204", "NER model file is malformed (features)", input=str(path))
        state = np.zeros((len(attributes), len(labels)))
        transitions = np.zeros((len(labels), len(labels)))
        # Each feature is (type, source, destination, weight): type 0 is attribute -> label, 1 is
        # label -> label.
        for kind_id, source, target, weight in struct.iter_unpack(
            "<IIId", data[features_at + 12 : features_at + 12 + 20 * count]
        ):
            if kind_id == 0:
                state[source, target] += weight
            else:
                transitions[source, target] += weight
    except (struct.error, UnicodeDecodeError, IndexError) as err:
        raise error("E204", "NER model file is malformed", input=str(path)) from err
    return CrfWeights(
        labels=tuple(labels),
        attributes={name: number for number, name in enumerate(attributes)},
        state=state,
        transitions=transitions,
    )


# Sentences for the load-time agreement check: titles, names, places, numbers, punctuation, Latin
# script, a one-token sentence (written for this check).
_PROBES = (
    "استقبل وزير الخارجية السعودي في الرياض أمس نظيره الفرنسي جان إيف لودريان .",
    "وقال الرئيس الأمريكي باراك أوباما إن الولايات المتحدة ستواصل دعم الأمم المتحدة .",
    "ارتفعت أسهم شركة أرامكو بنسبة 3.5 % في بورصة نيويورك يوم 12 مارس 2015 .",
    "أعلنت منظمة الصحة العالمية ( WHO ) عن 120 إصابة جديدة في جدة والدمام .",
    "بيروت",
    "، . ! ؟ « » -",
)


def probe_sentences(extractor: FeatureExtractor, *, phrases: int = 40) -> list[list[str]]:
    """Token lists that exercise every kind of feature: the fixed probes and gazetteer phrases."""
    sentences = [probe.split() for probe in _PROBES]
    lexicon = extractor.lexicon
    if lexicon is not None:
        # Several gazetteer phrases in one sentence, each after a preposition and with a neighbour.
        chosen = sorted(lexicon.phrases, key=lambda phrase: (-len(phrase), phrase))[:phrases]
        for start in range(0, len(chosen), 8):
            tokens: list[str] = []
            for phrase in chosen[start : start + 8]:
                tokens.extend(("في", *phrase, "و"))
            sentences.append(tokens)
    return sentences


def repair_from_marginals(
    tags: list[str], *, labels: Sequence[str], marginal: Callable[[str, int], float], o_threshold: float
) -> list[str]:
    """Recall-leaning repair of Viterbi tags (see :func:`marsad.models.ner.decode`)."""
    entity_labels = [label for label in labels if label != "O"]
    changed = False
    for i, tag in enumerate(tags):
        if tag == "O" and marginal("O", i) < o_threshold:
            tags[i] = max(entity_labels, key=lambda label: marginal(label, i))
            changed = True
    if changed:
        for i, tag in enumerate(tags):
            if tag.startswith("I-") and (i == 0 or tags[i - 1][2:] != tag[2:]):
                tags[i] = "B-" + tag[2:]
    return tags


class CompiledTagger:
    """CRF tagging from per-word label scores, equal to CRFsuite's tags on the same model.

    ``reference`` tags one sentence through CRFsuite; it is called for the rare sentence whose
    best path hangs on a near-tie. ``cache_limit`` bounds the number of distinct words kept.
    """

    def __init__(
        self,
        *,
        weights: CrfWeights,
        extractor: FeatureExtractor,
        o_threshold: float | None,
        reference: Reference | None = None,
        cache_limit: int = 200_000,
        second: CrfWeights | None = None,
        second_reference: Callable[[list[str], list[list[str]]], list[str]] | None = None,
    ) -> None:
        self.weights = weights
        self.extractor = extractor
        self.o_threshold = o_threshold
        self.reference = reference
        self.cache_limit = cache_limit
        self.labels = weights.labels
        self.fallbacks = 0  # sentences handed to ``reference``, for tests and benchmarks
        self._transitions = weights.transitions
        self._label_o = self.labels.index("O") if "O" in self.labels else -1
        # With a second-pass model (tag_two_pass) both models' word scores are kept side by side:
        # columns [0, L) are the first model's, [L, 2L) the second's, so a word is scored once.
        self.second = second
        self.second_reference = second_reference
        if second is not None and list(second.labels) != list(weights.labels):
            raise ValueError("the second-pass model must have the first model's labels")
        combined = weights if second is None else _side_by_side(weights, second)
        self._combined = combined
        self._width = combined.state.shape[1]
        self._attribute_ids = combined.attributes
        # the state weights with a zero row after them, for attributes the model does not know
        self._zero_row = len(combined.attributes)
        self._state = np.vstack([combined.state, np.zeros((1, self._width))])
        self._bias_row = combined.attributes.get("bias", self._zero_row)
        # the attributes a word gives its neighbours, by name without the offset prefix, so a new
        # word's features are looked up without building the prefixed names
        self._offset_ids = {
            prefix: {
                name[3:]: number for name, number in combined.attributes.items() if name.startswith(prefix)
            }
            for prefix in ("-1:", "-2:", "+1:", "+2:")
        }
        self._bigrams = self._bigram_table(combined)
        # the second model's own weights, for the per-token features added between the passes
        self._extra_vectors: dict[str, FloatArray] = {}
        # rows: the weights of hint=LABEL for each hint class (set_hint_classes); None: no hints
        self._hint_weights: FloatArray | None = None
        # the same for the document hints, dhint=LABEL, and for the neighbours' (-1:dhint, +1:dhint;
        # None when the model has no such weights)
        self._document_weights: FloatArray | None = None
        self._document_sides: tuple[FloatArray, FloatArray] | None = None
        self._bigram_left = {left for left, _ in self._bigrams}
        self._bigram_right = {right for _, right in self._bigrams}
        lexicon = extractor.lexicon
        self._phrases = lexicon.phrases if lexicon is not None else {}
        self._max_phrase = lexicon.max_phrase if lexicon is not None else 0
        self._phrase_first = {phrase[0] for phrase in self._phrases}
        kinds = set(self._phrases.values())
        self._marks = {
            (kind, begins): combined.vector([f"gz={kind}-{'B' if begins else 'I'}"])
            for kind in kinds
            for begins in (True, False)
        }
        self._continues = combined.vector(["gz_continues"])
        # collocations (round thirteen): per pair code, the weights the right-hand word gets (bp-=…)
        # and the left-hand word gets (bp+=…); None: the model has no such features
        self._pairs = extractor.pairs
        self._pair_before: FloatArray | None = None
        self._pair_after: FloatArray | None = None
        if self._pairs is not None:
            from marsad.models.ner_pairs import PAIR_CODES, pair_features

            self._pair_before = np.array(
                [combined.vector(pair_features(code, "-")) for code in range(PAIR_CODES + 1)]
            )
            self._pair_after = np.array(
                [combined.vector(pair_features(code, "+")) for code in range(PAIR_CODES + 1)]
            )
        self._reset()

    # -- the word table -------------------------------------------------------------------------

    @staticmethod
    def _bigram_table(weights: CrfWeights) -> dict[tuple[str, str], FloatArray]:
        """``-1|0:left|right`` features by (left core, right core); every split of a '|' is kept."""
        table: dict[tuple[str, str], FloatArray] = {}
        for name, number in weights.attributes.items():
            if not name.startswith("-1|0:"):
                continue
            pair = name[5:]
            for cut, char in enumerate(pair):
                if char == "|":
                    # A core holding '|' makes the split ambiguous; any split that rebuilds the same
                    # attribute name is the same feature, so all of them can be keys.
                    table[(pair[:cut], pair[cut + 1 :])] = weights.state[number]
        return table

    def _reset(self) -> None:
        capacity = 4096
        # One table per offset, stacked: the word itself (bias included), then the word as the -1,
        # -2, +1 and +2 neighbour of the token being scored.
        self._table = np.zeros((5, capacity, self._width))
        self._table[1, _BOS] = self._combined.vector(["BOS"])
        self._table[3, _EOS] = self._combined.vector(["EOS"])
        self._rows: dict[str, int] = {}
        self._cores: list[str] = ["", "", ""]
        # per row: the core can start a bigram feature, end one, start a gazetteer phrase
        self._flags = np.zeros((3, capacity), dtype=bool)
        # per row: the core's id in the collocation table (-1: none)
        self._pair_ids = np.full(capacity, -1, dtype=np.int64)

    def _add(self, tokens: list[str]) -> None:
        """Give each of ``tokens`` (not yet in the table) the next free row, in order."""
        first = len(self._cores)
        stop = first + len(tokens)
        while stop > self._flags.shape[1]:
            self._table = np.concatenate([self._table, np.zeros_like(self._table)], axis=1)
            self._flags = np.concatenate([self._flags, np.zeros_like(self._flags)], axis=1)
            self._pair_ids = np.concatenate([self._pair_ids, np.full_like(self._pair_ids, -1)])
        get, zero, bias = self._attribute_ids.get, self._zero_row, self._bias_row
        by_offset = self._offset_ids
        # the word as the -1, -2, +1 and +2 neighbour of the token scored
        near_left, far_left = by_offset["-1:"].get, by_offset["-2:"].get
        near_right, far_right = by_offset["+1:"].get, by_offset["+2:"].get
        parts = self.extractor._parts
        # All sums in one reduction: each group starts with the bias or the zero row, so none is empty.
        ids: list[int] = []
        offsets: list[int] = []
        cores: list[str] = []
        for token in tokens:
            own, near, far, core = parts(token)
            offsets.append(len(ids))
            ids.append(bias)
            ids.extend(map(get, own, repeat(zero)))
            for lookup, group in ((near_left, near), (far_left, far), (near_right, near), (far_right, far)):
                offsets.append(len(ids))
                ids.append(zero)
                ids.extend(map(lookup, group, repeat(zero)))
            cores.append(core)
        sums = np.add.reduceat(self._state[ids], offsets, axis=0)
        self._table[:, first:stop] = sums.reshape(len(tokens), 5, -1).transpose(1, 0, 2)
        self._flags[:, first:stop] = [
            [core in self._bigram_left for core in cores],
            [core in self._bigram_right for core in cores],
            [core in self._phrase_first for core in cores],
        ]
        if self._pairs is not None:
            self._pair_ids[first:stop] = [self._pairs.id(core) for core in cores]
        self._cores.extend(cores)
        self._rows.update(zip(tokens, range(first, stop), strict=True))

    # -- scores ---------------------------------------------------------------------------------

    def _emissions(self, sentences: Sequence[Sequence[str]]) -> tuple[FloatArray, IntArray, IntArray]:
        """Emission scores of every token of ``sentences`` (stacked), the row ids, and the lengths."""
        total = sum(len(tokens) for tokens in sentences)
        if len(self._rows) + total > self.cache_limit:
            self._reset()
        rows_get = self._rows.get
        missing: dict[str, int] = {}
        free = len(self._cores)
        ids_list = []
        for tokens in sentences:
            for token in tokens:
                row = rows_get(token)
                if row is None:
                    # a new word: reserve the next row now, fill all new rows at once below
                    row = missing.setdefault(token, free + len(missing))
                ids_list.append(row)
        if missing:
            self._add(list(missing))
        ids = np.array(ids_list, dtype=np.intp)
        lengths = np.array([len(tokens) for tokens in sentences], dtype=np.intp)
        starts = np.cumsum(lengths) - lengths
        position = np.arange(total) - np.repeat(starts, lengths)
        after = np.repeat(lengths, lengths) - position - 1
        previous = np.where(position >= 1, _shift(ids, 1), _BOS)
        before_previous = np.where(position >= 2, _shift(ids, 2), _ZERO)
        following = np.where(after >= 1, _shift(ids, -1), _EOS)
        after_following = np.where(after >= 2, _shift(ids, -2), _ZERO)
        own, near_left, far_left, near_right, far_right = self._table
        scores = own[ids]
        scores += near_left[previous]
        scores += far_left[before_previous]
        scores += near_right[following]
        scores += far_right[after_following]
        if self._bigrams:
            candidates = np.flatnonzero((position >= 1) & self._flags[0][previous] & self._flags[1][ids])
            cores = self._cores
            for i in candidates.tolist():
                vector = self._bigrams.get((cores[ids_list[i - 1]], cores[ids_list[i]]))
                if vector is not None:
                    scores[i] += vector
        if self._phrases:
            self._add_gazetteer(
                scores, ids_list, np.flatnonzero(self._flags[2][ids]).tolist(), starts, lengths
            )
        if self._pairs is not None and self._pair_before is not None and self._pair_after is not None:
            # the code of each token and the next one, read by both words; none across sentences
            add_pair_scores(
                scores,
                self._pair_ids[ids],
                position,
                self._pairs.keys,
                self._pairs.codes,
                self._pair_before,
                self._pair_after,
                PAIR_NONE,
            )
        return scores, ids, lengths

    def _add_gazetteer(
        self,
        scores: FloatArray,
        ids: list[int],
        candidates: list[int],
        starts: IntArray,
        lengths: IntArray,
    ) -> None:
        """Longest-match gazetteer marks within each sentence, as ``FeatureExtractor.sentence`` sets them."""
        if not candidates:
            return
        ends = (starts + lengths).tolist()
        cores = self._cores
        phrases = self._phrases
        sentence = 0
        free_from = 0  # a match covers its tokens: the next one may start only after it
        for i in candidates:
            if i < free_from:
                continue
            while ends[sentence] <= i:
                sentence += 1
            end = ends[sentence]
            for length in range(min(self._max_phrase, end - i), 0, -1):
                kind = phrases.get(tuple(cores[ids[j]] for j in range(i, i + length)))
                if kind is None:
                    continue
                scores[i] += self._marks[(kind, True)]
                for j in range(i + 1, i + length):
                    scores[j] += self._marks[(kind, False)]
                for j in range(i, i + length - 1):
                    scores[j] += self._continues
                free_from = i + length
                break

    def emissions(self, tokens: Sequence[str]) -> FloatArray:
        """Emission scores (tokens × labels; × both models' labels with a second pass) of one sentence."""
        if not tokens:
            return np.zeros((0, self._width))
        return self._emissions([tokens])[0]

    def reference_emissions(self, tokens: Sequence[str]) -> FloatArray:
        """Emission scores summed from ``FeatureExtractor.sentence``'s feature strings."""
        features = self.extractor.sentence(list(tokens))
        return np.array([self._combined.vector(item) for item in features]).reshape(len(tokens), -1)

    def agrees(self, sentences: Sequence[Sequence[str]], *, tolerance: float = 1e-9) -> bool:
        """Whether the composed scores equal the feature strings' scores on ``sentences``.

        A check at load time that this module composes the features as the extractor does.
        """
        for tokens in sentences:
            if tokens and not np.allclose(
                self.emissions(tokens), self.reference_emissions(tokens), rtol=0.0, atol=tolerance
            ):
                return False
        return True

    # -- decoding -------------------------------------------------------------------------------

    def tag(
        self, sentences: Sequence[Sequence[str]], hints: Hints = None, document: Hints = None
    ) -> list[list[str]]:
        """BIO tags for each sentence of surface tokens, as CRFsuite with ``decode`` would give.

        ``hints`` are the word-vector hints of each sentence (``WordHints.probabilities``, tokens ×
        ``hint_classes``) for a model trained with them; they add ``hint=LABEL`` weighted features.
        ``document`` are the document hints (``ner_hints.document_hints``, same shape), which add
        ``dhint=LABEL``; they are only read together with ``hints``.
        """
        return self._tag(sentences, marginals=False, hints=hints, document=document)[0]

    def tag_with_marginals(
        self, sentences: Sequence[Sequence[str]], hints: Hints = None, document: Hints = None
    ) -> tuple[list[list[str]], list[FloatArray]]:
        """Tags as :meth:`tag`, and each sentence's label marginals (tokens × ``labels``)."""
        return self._tag(sentences, marginals=True, hints=hints, document=document)

    def set_hint_classes(self, classes: Sequence[str]) -> None:
        """The label order of the hints; their weights are the model's ``hint=LABEL`` attributes."""
        rows = [
            np.zeros(self._width) if label == "O" else self._combined.vector([HINT_PREFIX + label])
            for label in classes
        ]
        self._hint_weights = np.vstack(rows) if rows else None
        rows = [
            np.zeros(self._width) if label == "O" else self._combined.vector([DOCUMENT_PREFIX + label])
            for label in classes
        ]
        self._document_weights = np.vstack(rows) if rows else None
        sides = []
        for prefix in (LEFT_PREFIX, RIGHT_PREFIX):
            rows = [
                np.zeros(self._width)
                if label == "O"
                else self._combined.vector([prefix + DOCUMENT_PREFIX + label])
                for label in classes
            ]
            sides.append(np.vstack(rows) if rows else np.zeros((0, self._width)))
        self._document_sides = (sides[0], sides[1]) if any(side.any() for side in sides) else None

    def tag_two_pass(
        self,
        sentences: Sequence[Sequence[str]],
        extra_of: Callable[
            [list[list[str]], list[FloatArray], list[list[str]]], Sequence[Sequence[Sequence[str]]]
        ],
        *,
        marginals: bool,
    ) -> tuple[list[list[str]], list[FloatArray], list[list[str]]]:
        """First pass, then the second-pass model with the per-token features ``extra_of`` derives.

        ``extra_of`` gets the first pass's tags, marginals and the tokens' cores (the extractor's
        clitic-stripped forms) for all of ``sentences`` (one article) and returns each token's
        added features (lists of strings, as the second model was trained with). Returns the
        second pass's tags, its marginals when ``marginals`` (else empty arrays), and the cores.
        """
        if self.second is None:
            raise ValueError("tag_two_pass needs a second-pass model")
        kept: list[tuple[list[int], FloatArray, IntArray, list[str]]] = []
        first_tags, first_tables = self._tag(sentences, marginals=True, keep=kept)
        keys = self._kept_cores(sentences, kept)
        extra = extra_of(first_tags, first_tables, keys)
        labels = len(self.labels)
        tagged: list[list[str]] = [[] for _ in sentences]
        tables: list[FloatArray] = [np.zeros((0, labels)) for _ in sentences]
        second_reference = self.second_reference
        for start, (present, scores, lengths, _) in zip(self._batch_starts(sentences), kept, strict=True):
            rows: list[int] = []
            vectors: list[FloatArray] = []
            row = 0
            for number in present:
                for features in extra[start + number]:
                    for name in features:
                        vector = self._extra_vector(name)
                        if vector is not None:
                            rows.append(row)
                            vectors.append(vector)
                    row += 1
            if rows:
                np.add.at(scores, rows, np.array(vectors))

            def reference(k: int, start: int = start, present: list[int] = present) -> list[str]:
                assert second_reference is not None
                tokens = list(sentences[start + present[k]])
                return second_reference(tokens, [list(f) for f in extra[start + present[k]]])

            batch_tags, batch_tables = self._decode(
                scores,
                lengths,
                len(present),
                marginals=marginals,
                transitions=self.second.transitions,
                reference=reference if second_reference is not None else None,
            )
            for k, number in enumerate(present):
                tagged[start + number] = batch_tags[k]
                tables[start + number] = batch_tables[k]
        return tagged, tables, keys

    def tag_with_cores(
        self,
        sentences: Sequence[Sequence[str]],
        *,
        marginals: bool,
        hints: Hints = None,
        document: Hints = None,
    ) -> tuple[list[list[str]], list[FloatArray], list[list[str]]]:
        """Tags (of the first model), marginals when ``marginals``, and each token's core.

        The cores are the extractor's clitic-stripped forms (``FeatureExtractor.core``), read from
        the word table at no cost: the document-level step matches mentions by them.
        """
        kept: list[tuple[list[int], FloatArray, IntArray, list[str]]] = []
        tags, tables = self._tag(sentences, marginals=marginals, keep=kept, hints=hints, document=document)
        return tags, tables, self._kept_cores(sentences, kept)

    def cores(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Each token's core (``FeatureExtractor.core``), read from the word table; words met for
        the first time get their rows now, so the tagging that follows finds them there."""
        total = sum(len(tokens) for tokens in sentences)
        if len(self._rows) + total > self.cache_limit:
            self._reset()
        rows = self._rows
        missing = [
            token for token in dict.fromkeys(t for tokens in sentences for t in tokens) if token not in rows
        ]
        if missing:
            self._add(missing)
        cores = self._cores
        return [[cores[rows[token]] for token in tokens] for tokens in sentences]

    def _kept_cores(
        self,
        sentences: Sequence[Sequence[str]],
        kept: list[tuple[list[int], FloatArray, IntArray, list[str]]],
    ) -> list[list[str]]:
        keys: list[list[str]] = [[] for _ in sentences]
        for start, (present, _, lengths, cores) in zip(self._batch_starts(sentences), kept, strict=True):
            offset = 0
            for number, size in zip(present, lengths.tolist(), strict=True):
                keys[start + number] = cores[offset : offset + size]
                offset += size
        return keys

    def _extra_vector(self, name: str) -> FloatArray | None:
        vector = self._extra_vectors.get(name)
        if vector is None and self.second is not None:
            number = self.second.attributes.get(name)
            if number is None:
                return None
            vector = self.second.state[number]
            self._extra_vectors[name] = vector
        return vector

    @staticmethod
    def _batch_bounds(sentences: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
        """Batches bound the working arrays (tokens × labels × labels for the back-links)."""
        bounds = []
        start = 0
        while start < len(sentences):
            stop, tokens = start, 0
            while stop < len(sentences) and (stop == start or tokens + len(sentences[stop]) <= BATCH_TOKENS):
                tokens += len(sentences[stop])
                stop += 1
            bounds.append((start, stop))
            start = stop
        return bounds

    def _batch_starts(self, sentences: Sequence[Sequence[str]]) -> list[int]:
        return [start for start, _ in self._batch_bounds(sentences)]

    def _tag(
        self,
        sentences: Sequence[Sequence[str]],
        *,
        marginals: bool,
        keep: list[tuple[list[int], FloatArray, IntArray, list[str]]] | None = None,
        hints: Hints = None,
        document: Hints = None,
    ) -> tuple[list[list[str]], list[FloatArray]]:
        tagged: list[list[str]] = []
        tables: list[FloatArray] = []
        for start, stop in self._batch_bounds(sentences):
            batch_tags, batch_tables = self._tag_batch(
                sentences[start:stop],
                marginals=marginals,
                keep=keep,
                hints=hints[start:stop] if hints is not None else None,
                document=document[start:stop] if document is not None and hints is not None else None,
            )
            tagged.extend(batch_tags)
            tables.extend(batch_tables)
        return tagged, tables

    def _tag_batch(
        self,
        sentences: Sequence[Sequence[str]],
        *,
        marginals: bool,
        keep: list[tuple[list[int], FloatArray, IntArray, list[str]]] | None = None,
        hints: Hints = None,
        document: Hints = None,
    ) -> tuple[list[list[str]], list[FloatArray]]:
        labels = len(self.labels)
        tagged: list[list[str]] = [[] for _ in sentences]
        tables = [np.zeros((0, labels)) for _ in sentences]
        present = [number for number, tokens in enumerate(sentences) if tokens]
        if not present:
            if keep is not None:
                keep.append(([], np.zeros((0, labels)), np.zeros(0, dtype=np.intp), []))
            return tagged, tables
        chunk = [sentences[number] for number in present]
        scores, ids, lengths = self._emissions(chunk)
        if keep is not None:
            # the second model's columns (none without one) and the tokens' cores
            cores = self._cores
            keep.append((present, scores[:, labels:], lengths, [cores[row] for row in ids.tolist()]))
        if self.second is not None:
            scores = scores[:, :labels]
        if hints is not None:
            if self._hint_weights is None:
                raise ValueError("hints given to a tagger with no hint classes (set_hint_classes)")
            chosen = np.concatenate([hints[number] for number in present]).astype(np.float64)
            # the features CRFsuite saw: hints under MIN_HINT were left out of the items
            chosen[chosen < MIN_HINT] = 0.0
            scores[:, :labels] += chosen @ self._hint_weights[:, :labels]
            if document is not None and self._document_weights is not None:
                # already zero under MIN_HINT and for O (document_hints), as in the CRFsuite items
                values = np.concatenate([document[number] for number in present]).astype(np.float64)
                scores[:, :labels] += values @ self._document_weights[:, :labels]
                if self._document_sides is not None:
                    # each token reads its neighbours' values, nothing past its sentence's edges
                    left_weights, right_weights = self._document_sides
                    ends = np.cumsum(lengths)
                    left = np.roll(values, 1, axis=0)
                    left[ends - lengths] = 0.0
                    right = np.roll(values, -1, axis=0)
                    right[ends - 1] = 0.0
                    scores[:, :labels] += left @ left_weights[:, :labels] + right @ right_weights[:, :labels]
        reference = self.reference

        def first_reference(k: int) -> list[str]:
            assert reference is not None
            number = present[k]
            return reference(
                list(chunk[k]),
                hints[number] if hints is not None else None,
                document[number] if document is not None else None,
            )

        batch_tags, batch_tables = self._decode(
            scores,
            lengths,
            len(present),
            marginals=marginals,
            transitions=self._transitions,
            reference=first_reference if reference is not None else None,
        )
        for k, number in enumerate(present):
            tagged[number] = batch_tags[k]
            tables[number] = batch_tables[k]
        return tagged, tables

    def _decode(
        self,
        scores: FloatArray,
        lengths: IntArray,
        count: int,
        *,
        marginals: bool,
        transitions: FloatArray,
        reference: Callable[[int], list[str]] | None,
    ) -> tuple[list[list[str]], list[FloatArray]]:
        """Tags (and marginals) of ``count`` sentences from their stacked emission scores."""
        labels = len(self.labels)
        scores = np.ascontiguousarray(scores, dtype=np.float64)
        starts = np.cumsum(lengths) - lengths
        best, unsure = viterbi(scores, starts, lengths, transitions, TIE_MARGIN)
        sizes = lengths.tolist()
        paths = _split(best.tolist(), sizes)
        probabilities: FloatArray | None = None
        if marginals or self.o_threshold is not None:
            probabilities = forward_backward(scores, starts, lengths, np.exp(transitions))
        if self.o_threshold is not None and probabilities is not None:
            unsure |= self._repair(probabilities, paths, o_threshold=self.o_threshold)
        names = self.labels
        tagged: list[list[str]] = []
        tables: list[FloatArray] = []
        offset = 0
        for k in range(count):
            if unsure[k] and reference is not None:
                self.fallbacks += 1
                tagged.append(reference(k))
            else:
                tagged.append([names[label] for label in paths[k]])
            if probabilities is not None and marginals:
                tables.append(probabilities[offset : offset + sizes[k]])
            else:
                tables.append(np.zeros((0, labels)))
            offset += sizes[k]
        return tagged, tables

    def _repair(
        self, probabilities: FloatArray, paths: list[list[int]], *, o_threshold: float
    ) -> npt.NDArray[np.bool_]:
        """Apply ``repair_from_marginals`` to ``paths`` in place; returns sentences near a threshold."""
        unsure = np.zeros(len(paths), dtype=bool)
        names = self.labels
        index = {name: number for number, name in enumerate(names)}
        label_o = self._label_o
        offset = 0
        for k, path in enumerate(paths):
            table = probabilities[offset : offset + len(path)]
            offset += len(path)
            tags = [names[label] for label in path]
            for i, tag in enumerate(tags):
                if tag != "O":
                    continue
                near = abs(table[i, label_o] - o_threshold) < TIE_MARGIN
                # a token that takes its best entity label, with two labels nearly tied for it
                split = table[i, label_o] < o_threshold and _margin(np.delete(table[i], label_o)) < TIE_MARGIN
                if near or split:
                    unsure[k] = True

            def marginal(label: str, i: int, table: FloatArray = table) -> float:
                return float(table[i, index[label]])

            fixed = repair_from_marginals(tags, labels=names, marginal=marginal, o_threshold=o_threshold)
            path[:] = [index[tag] for tag in fixed]
        return unsure


def _side_by_side(first: CrfWeights, second: CrfWeights) -> CrfWeights:
    """One table of both models' state weights: the union of attributes, first's labels then second's."""
    attributes = dict(first.attributes)
    for name in second.attributes:
        attributes.setdefault(name, len(attributes))
    labels = len(first.labels)
    state = np.zeros((len(attributes), 2 * labels))
    state[: len(first.attributes), :labels] = first.state
    rows = np.empty(len(second.attributes), dtype=np.intp)
    for name, number in second.attributes.items():
        rows[number] = attributes[name]
    state[rows, labels:] = second.state
    return CrfWeights(
        labels=first.labels + second.labels, attributes=attributes, state=state, transitions=first.transitions
    )


def _shift(ids: IntArray, by: int) -> IntArray:
    """``ids`` moved ``by`` places to the right (left when negative), zeros where nothing moved in."""
    out = np.zeros_like(ids)
    if by > 0:
        out[by:] = ids[:-by]
    else:
        out[:by] = ids[-by:]
    return out


def _split(flat: list[int], sizes: list[int]) -> list[list[int]]:
    parts = []
    offset = 0
    for size in sizes:
        parts.append(flat[offset : offset + size])
        offset += size
    return parts


def _margin(scores: FloatArray) -> FloatArray:
    """Best minus second best along the last axis."""
    if scores.shape[-1] < 2:
        return np.full(scores.shape[:-1], np.inf)
    top = np.partition(scores, -2, axis=-1)
    return top[..., -1] - top[..., -2]
