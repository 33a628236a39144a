"""Word-vector hints for the NER CRF: a small network over the word vectors of a ±2 window.

The CRF sees words through discrete features (the word, its affixes, its cluster ids). A name it
has never seen gets little from them beyond its cluster. A dense view generalises further: a
one-hidden-layer network over the word2vec vectors of the token and its two neighbours on each
side (vectors trained here on the unlabelled corpora, as the clusters are) gives each token a
distribution over the BIO labels, and the CRF takes those probabilities as weighted features
``hint=LABEL`` (value = the probability). The CRF is trained on *cross-fitted* hints (each block
of training sentences gets its hints from a network trained on the other blocks), so it learns how
far to trust hints on text the network has not seen.

The shipped file ``ner_hints.npz`` holds the vector table (the most frequent corpus words, unit
vectors stored as 8-bit codes with one scale per word) and the network's weights. Both the
reference (CRFsuite) path and the compiled tagger compute the hints with :meth:`WordHints.probabilities`,
so they see the same numbers.
"""

from __future__ import annotations

import io
import itertools
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.models.ner_clusters import normalise_word

__all__ = [
    "DOCUMENT_PREFIX",
    "HINT_PREFIX",
    "WordHints",
    "align_columns",
    "block_features",
    "cross_fitted_probabilities",
    "cross_fitted_with_network",
    "document_hints",
    "fit_hints",
    "hint_features",
    "mean_hints",
]

FloatArray = npt.NDArray[np.float32]

# Attribute names of the hint features in the CRF: ``hint=B-PER`` and so on (never ``hint=O``).
HINT_PREFIX = "hint="
# Attribute names of the document hints (round five): ``dhint=B-PER`` …, the mean hint of the
# token's other mentions in the article (:func:`document_hints`).
DOCUMENT_PREFIX = "dhint="
# The neighbours' document hints (``-1:dhint=B-PER``, ``+1:dhint=B-PER``), for a model that reads them.
LEFT_PREFIX, RIGHT_PREFIX = "-1:", "+1:"
# Hints below this probability are left out of the CRF's items (they carry almost no weight and
# would only lengthen every item).
MIN_HINT = 0.01
# Distinct surface tokens whose table rows are cached (the cache starts again past this).
_CACHE_LIMIT = 200_000


class WordHints:
    """The vector table and the network; :meth:`probabilities` gives each token's label distribution."""

    def __init__(
        self,
        *,
        words: Sequence[str],
        codes: npt.NDArray[np.int8],
        scales: FloatArray,
        weights: Sequence[FloatArray],
        classes: Sequence[str],
        width: int,
    ) -> None:
        self.words = list(words)
        self.codes = codes
        self.scales = scales
        self.classes = list(classes)
        self.width = width
        self._rows = {word: row for row, word in enumerate(self.words)}
        self._token_rows: dict[str, int] = {}
        self._projection: FloatArray | None = None
        self._projected_rows = np.zeros(0, dtype=bool)
        dim = codes.shape[1]
        # float32 unit vectors, one extra column flagging a word with no vector; the last row is
        # that unknown word, and a zero row after it pads the window past a sentence's edges.
        table = np.zeros((len(self.words) + 2, dim + 1), dtype=np.float32)
        table[: len(self.words), :dim] = codes.astype(np.float32) * scales[:, None]
        table[len(self.words), dim] = 1.0
        self._table = table
        self._unknown = len(self.words)
        self._pad = len(self.words) + 1
        hidden_in, hidden_bias, out, out_bias = (np.asarray(w, dtype=np.float32) for w in weights)
        span = 2 * width + 1
        if hidden_in.shape[0] != span * (dim + 1):
            raise ValueError("hint network input does not match the vector table and window")
        # (offset, dim + 1, hidden): the first layer split by window offset
        self._first = hidden_in.reshape(span, dim + 1, -1)
        # the same, as one matrix (dim + 1, offsets * hidden): one product projects a word for all offsets
        self._first_flat = np.ascontiguousarray(self._first.transpose(1, 0, 2).reshape(dim + 1, -1))
        self._first_bias = hidden_bias
        self._out = out
        self._out_bias = out_bias
        self.weights = [hidden_in, hidden_bias, out, out_bias]

    @classmethod
    def template(cls, *, words: Sequence[str], vectors: Any, width: int) -> WordHints:
        """A table with no trained network yet (zero weights), to train one on with :func:`fit_hints`."""
        codes, scales = quantise(vectors)
        span = (2 * width + 1) * (codes.shape[1] + 1)
        zeros = [np.zeros((span, 1), np.float32), np.zeros(1, np.float32)]
        zeros += [np.zeros((1, 1), np.float32), np.zeros(1, np.float32)]
        return cls(words=words, codes=codes, scales=scales, weights=zeros, classes=["O"], width=width)

    def with_network(self, weights: Sequence[FloatArray], classes: Sequence[str]) -> WordHints:
        """The same vector table with a trained network's weights and classes."""
        return WordHints(
            words=self.words,
            codes=self.codes,
            scales=self.scales,
            weights=weights,
            classes=classes,
            width=self.width,
        )

    # -- lookup ---------------------------------------------------------------------------------

    def row(self, token: str, core: Callable[[str], str]) -> int:
        """The table row of a surface token: its normalised form, else its clitic-stripped core."""
        rows = self._rows
        found = rows.get(normalise_word(token))
        if found is None:
            found = rows.get(core(token))
        return self._unknown if found is None else found

    def probabilities(self, rows: Sequence[Sequence[int]]) -> list[FloatArray]:
        """Label distributions (tokens × :attr:`classes`) for sentences given as table rows."""
        lengths = [len(r) for r in rows]
        if not sum(lengths):
            return [np.zeros((0, len(self.classes)), dtype=np.float32) for _ in rows]
        width, pad = self.width, self._pad
        # Sentences laid end to end with ``width`` pad rows around each, so every token's window
        # is a contiguous run and the pads (zero vectors) stand for "past the sentence's edge".
        laid: list[int] = [pad] * width
        centres: list[int] = []
        for sentence in rows:
            centres.extend(range(len(laid), len(laid) + len(sentence)))
            laid.extend(sentence)
            laid.extend([pad] * width)
        projected = self._projected(np.asarray(laid, dtype=np.intp))
        count = len(laid) - 2 * width
        # hidden[i]: the token at laid position i + width, summed over its window's offsets
        hidden = projected[0:count, 0].copy()
        for offset in range(1, 2 * width + 1):
            hidden += projected[offset : count + offset, offset]
        hidden = hidden[np.asarray(centres, dtype=np.intp) - width]
        hidden += self._first_bias
        np.maximum(hidden, 0.0, out=hidden)
        logits = hidden @ self._out + self._out_bias
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        out: list[FloatArray] = []
        start = 0
        for size in lengths:
            out.append(logits[start : start + size])
            start += size
        return out

    def _projected(self, laid: npt.NDArray[np.intp]) -> FloatArray:
        """The first layer's projection of each row's vector for every window offset, (rows,
        offsets, hidden); computed once per table row and kept (the array is allocated lazily, so
        only the rows met take memory)."""
        if self._projection is None:
            span, _, hidden_size = self._first.shape
            self._projection = np.zeros((len(self._table), span * hidden_size), dtype=np.float32)
            self._projected_rows = np.zeros(len(self._table), dtype=bool)
        unique = np.unique(laid)
        missing = unique[~self._projected_rows[unique]]
        if len(missing):
            self._projection[missing] = self._table[missing] @ self._first_flat
            self._projected_rows[missing] = True
        return self._projection[laid].reshape(len(laid), self._first.shape[0], -1)

    def sentence_rows(
        self, sentences: Sequence[Sequence[str]], core: Callable[[str], str]
    ) -> list[list[int]]:
        """Table rows of each sentence's tokens (looked up once per distinct token, then cached)."""
        cache = self._token_rows
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        out: list[list[int]] = []
        for tokens in sentences:
            rows = list(map(cache.get, tokens))
            if None in rows:
                for i, token in enumerate(tokens):
                    if rows[i] is None:
                        rows[i] = cache[token] = self.row(token, core)
            out.append(rows)  # type: ignore[arg-type]
        return out

    # -- storage --------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the table and weights as one ``.npz`` (byte-stable for the same contents)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            # the words themselves are the cluster table's (same words, same order): only a check here
            word_count=np.asarray(len(self.words)),
            word_digest=np.asarray(_digest(self.words)),
            codes=self.codes,
            scales=self.scales.astype(np.float32),
            w0=self.weights[0],
            b0=self.weights[1],
            w1=self.weights[2],
            b1=self.weights[3],
            classes=np.asarray(self.classes),
            width=np.asarray(self.width),
        )
        path.write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path, *, words: Sequence[str]) -> WordHints:
        """Read a file written by :meth:`save`; ``words`` are its table's words (the cluster table's,
        in order). Raises ValueError when they are not the words the file was written with."""
        words = list(words)
        with np.load(path, allow_pickle=False) as data:
            if int(data["word_count"]) != len(words) or int(data["word_digest"]) != _digest(words):
                raise ValueError("the hint file was written for another word list than the cluster table's")
            return cls(
                words=words,
                codes=data["codes"],
                scales=data["scales"],
                weights=[data["w0"], data["b0"], data["w1"], data["b1"]],
                classes=[str(c) for c in data["classes"]],
                width=int(data["width"]),
            )


def _digest(words: Sequence[str]) -> int:
    return zlib.crc32("\n".join(words).encode("utf-8"))


def quantise(vectors: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int8], FloatArray]:
    """Unit-normalise rows and store each as 8-bit codes with one scale."""
    matrix = np.asarray(vectors, dtype=np.float64)
    matrix = matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9)
    scales = np.abs(matrix).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    codes = np.round(matrix / scales[:, None]).astype(np.int8)
    return codes, scales.astype(np.float32)


def hint_features(
    probabilities: FloatArray,
    classes: Sequence[str],
    document: npt.NDArray[Any] | None = None,
    *,
    neighbours: bool = False,
) -> list[dict[str, float]]:
    """Weighted CRF attributes per token of one sentence: ``hint=LABEL`` with its probability (``O``
    left out); with ``document`` (rows of :func:`document_hints`) ``dhint=LABEL`` with its value, and
    with ``neighbours`` also the previous and next tokens' ones as ``-1:dhint=LABEL`` and ``+1:dhint=LABEL``."""
    names = [HINT_PREFIX + label for label in classes]
    keep = [number for number, label in enumerate(classes) if label != "O"]
    out: list[dict[str, float]] = []
    for row in probabilities.tolist():
        out.append({names[k]: row[k] for k in keep if row[k] >= MIN_HINT})
    if document is not None:
        document_names = [DOCUMENT_PREFIX + label for label in classes]
        rows = document.tolist()
        for features, row in zip(out, rows, strict=True):
            features.update({document_names[k]: row[k] for k in keep if row[k] >= MIN_HINT})
        if neighbours:
            left = [LEFT_PREFIX + name for name in document_names]
            right = [RIGHT_PREFIX + name for name in document_names]
            for i, features in enumerate(out):
                if i >= 1:
                    row = rows[i - 1]
                    features.update({left[k]: row[k] for k in keep if row[k] >= MIN_HINT})
                if i + 1 < len(rows):
                    row = rows[i + 1]
                    features.update({right[k]: row[k] for k in keep if row[k] >= MIN_HINT})
    return out


def block_features(
    probabilities: Sequence[FloatArray],
    classes: Sequence[str],
    keys: Sequence[Sequence[str]],
    *,
    document: int,
    neighbours: bool,
) -> list[list[dict[str, float]]]:
    """The CRF's hint features for consecutive sentences without article boundaries (a training file,
    a CV fold): hints, and with ``document`` > 0 the document hints over blocks of that many sentences
    read as articles (:func:`windowed_document_hints`), with ``neighbours`` theirs at ±1 too."""
    rows = windowed_document_hints(keys, probabilities, classes, window=document) if document else None
    return [
        hint_features(table, classes, rows[number] if rows is not None else None, neighbours=neighbours)
        for number, table in enumerate(probabilities)
    ]


def document_hints(
    keys: Sequence[Sequence[str]], probabilities: Sequence[FloatArray], classes: Sequence[str]
) -> list[npt.NDArray[np.float64]]:
    """Each token's document hints: the mean hint of the *other* mentions of its key in the article.

    ``keys`` are the tokens' match keys (the extractor's clitic-stripped cores) and ``probabilities``
    their hints (:meth:`WordHints.probabilities`), for all sentences of one article. The hints are
    taken as the CRF sees them (``O`` and values under ``MIN_HINT`` left out); a token whose key has
    no letter, or occurs once, gets zeros, and values under ``MIN_HINT`` are zeroed. A name the
    network is unsure of in one sentence thus hears what it said of the same word elsewhere in the
    article, before the CRF decodes (the propagation after decoding works on tags instead).
    """
    width = len(classes)
    lengths = [len(sentence_keys) for sentence_keys in keys]
    if not sum(lengths):
        return [np.zeros((size, width)) for size in lengths]
    values = np.concatenate(
        [np.asarray(table, dtype=np.float64).reshape(-1, width) for table in probabilities]
    )
    values[:, [label == "O" for label in classes]] = 0.0
    values[values < MIN_HINT] = 0.0
    # one id per distinct key; the sums run in token order (np.add.at), as a loop over tokens would
    ids: dict[str, int] = {}
    number = ids.setdefault
    index = np.asarray(
        [number(key, len(ids)) for sentence_keys in keys for key in sentence_keys], dtype=np.intp
    )
    lettered = np.asarray([any(map(str.isalpha, key)) for key in ids], dtype=bool)
    counts = np.bincount(index, minlength=len(ids))
    sums = np.zeros((len(ids), width))
    np.add.at(sums, index, values)
    others = counts[index] - 1
    chosen = (others > 0) & lettered[index]
    document = np.zeros_like(values)
    document[chosen] = (sums[index[chosen]] - values[chosen]) / others[chosen, None]
    document[document < MIN_HINT] = 0.0
    out: list[npt.NDArray[np.float64]] = []
    start = 0
    for size in lengths:
        out.append(document[start : start + size])
        start += size
    return out


def align_columns(
    tables: Sequence[FloatArray], source: Sequence[str], target: Sequence[str]
) -> list[FloatArray]:
    """Each table's columns (labels ``source``) put in ``target``'s order, as float32; a label
    ``source`` lacks (a network trained without a block may never have seen one) gets zeros."""
    if list(source) == list(target):
        return [np.asarray(table, dtype=np.float32) for table in tables]
    columns = [list(source).index(label) if label in source else len(source) for label in target]
    out: list[FloatArray] = []
    for table in tables:
        padded = np.zeros((len(table), len(source) + 1), dtype=np.float32)
        padded[:, : len(source)] = table
        out.append(np.ascontiguousarray(padded[:, columns]))
    return out


def mean_hints(
    first: Sequence[FloatArray],
    classes: Sequence[str],
    second: Sequence[FloatArray],
    second_classes: Sequence[str],
) -> list[FloatArray]:
    """The mean of two networks' distributions per token, in ``classes``' order (a label the second
    network lacks counts as 0 there)."""
    aligned = align_columns(second, second_classes, classes)
    return [((a + b) / 2).astype(np.float32) for a, b in zip(first, aligned, strict=True)]


def windowed_document_hints(
    keys: Sequence[Sequence[str]],
    probabilities: Sequence[FloatArray],
    classes: Sequence[str],
    *,
    window: int,
) -> list[npt.NDArray[np.float64]]:
    """:func:`document_hints` over consecutive blocks of ``window`` sentences read as articles (the
    training file has no article boundaries)."""
    out: list[npt.NDArray[np.float64]] = []
    for start in range(0, len(keys), window):
        part = slice(start, start + window)
        out.extend(document_hints(keys[part], probabilities[part], classes))
    return out


def _design(hints_table: WordHints, rows: Sequence[Sequence[int]]) -> FloatArray:
    """The network's input rows (the window's vectors side by side), for training."""
    table = hints_table._table
    width = hints_table.width
    pad = hints_table._pad
    out: list[FloatArray] = []
    for sentence in rows:
        padded = [pad] * width + list(sentence) + [pad] * width
        windows = np.asarray(
            [padded[i : i + 2 * width + 1] for i in range(len(sentence))], dtype=np.intp
        ).reshape(len(sentence), 2 * width + 1)
        out.append(table[windows].reshape(len(sentence), -1))
    return np.concatenate(out) if out else np.zeros((0, table.shape[1] * (2 * width + 1)), np.float32)


def fit_hints(
    *,
    rows: Sequence[Sequence[int]],
    tags: Sequence[Sequence[str]],
    template: WordHints,
    hidden: int,
    epochs: int,
    seed: int = 1,
) -> WordHints:
    """Train the network on sentences given as table rows of ``template`` (whose weights are ignored)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    x = _design(template, rows)
    y = np.asarray([tag for sentence in tags for tag in sentence])
    network = MLPClassifier(
        hidden_layer_sizes=(hidden,), max_iter=epochs, random_state=seed, batch_size=256, alpha=1e-4
    )
    # one BLAS thread, so the sums (and the network) are the same on any machine setting
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(x, y)
    weights = [
        network.coefs_[0].astype(np.float32),
        network.intercepts_[0].astype(np.float32),
        network.coefs_[1].astype(np.float32),
        network.intercepts_[1].astype(np.float32),
    ]
    return template.with_network(weights, [str(c) for c in network.classes_])


def cross_fitted_probabilities(
    *,
    rows: Sequence[Sequence[int]],
    tags: Sequence[Sequence[str]],
    template: WordHints,
    hidden: int,
    epochs: int,
    folds: int,
    seed: int = 1,
) -> tuple[list[FloatArray], list[str]]:
    """Hints (tokens × classes) for training sentences, each block's from a network trained on the
    others, and the classes' order.

    Blocks are contiguous (neighbouring sentences share stories, as in the CV of the model card).
    """
    out, classes, _ = cross_fitted_with_network(
        rows=rows,
        tags=tags,
        template=template,
        hidden=hidden,
        epochs=epochs,
        folds=folds,
        seed=seed,
        workers=1,
        final=False,
    )
    return out, classes


def _fit_weights(job: tuple[Any, ...]) -> tuple[list[FloatArray], list[str]]:
    rows, tags, template, hidden, epochs, seed = job
    network = fit_hints(rows=rows, tags=tags, template=template, hidden=hidden, epochs=epochs, seed=seed)
    return network.weights, network.classes


def cross_fitted_with_network(
    *,
    rows: Sequence[Sequence[int]],
    tags: Sequence[Sequence[str]],
    template: WordHints,
    hidden: int,
    epochs: int,
    folds: int,
    seed: int = 1,
    workers: int = 2,
    final: bool = True,
) -> tuple[list[FloatArray], list[str], WordHints | None]:
    """:func:`cross_fitted_probabilities` and, with ``final``, the network trained on all sentences
    (:func:`fit_hints`; None without), the trainings in ``workers`` processes.

    Each training runs on one thread, so the networks are the same whether they run one at a time or
    side by side.
    """
    bounds = [round(i * len(rows) / folds) for i in range(folds + 1)]
    jobs: list[tuple[Any, ...]] = [
        ([*rows[:low], *rows[high:]], [*tags[:low], *tags[high:]], template, hidden, epochs, seed)
        for low, high in itertools.pairwise(bounds)
    ]
    if final:
        jobs.append((list(rows), list(tags), template, hidden, epochs, seed))
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        # the platform's own start method, as the local executor uses (fork on Linux: a caller's
        # script is not imported again, so it needs no ``if __name__ == "__main__"`` guard there)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            fitted = list(pool.map(_fit_weights, jobs))
    else:
        fitted = [_fit_weights(job) for job in jobs]

    # every label of the file (a network trained without a block may lack one: its column is 0)
    classes = sorted({tag for sentence in tags for tag in sentence})
    out: list[FloatArray] = []
    for (weights, network_classes), (low, high) in zip(fitted, itertools.pairwise(bounds), strict=False):
        probabilities = template.with_network(weights, network_classes).probabilities(rows[low:high])
        out.extend(
            probabilities
            if network_classes == classes
            else align_columns(probabilities, network_classes, classes)
        )
    return out, classes, template.with_network(*fitted[-1]) if final else None
