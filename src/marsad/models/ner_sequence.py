"""Sentence hints for the NER CRF: a small BiLSTM over word vectors and character features.

The word-vector hints (:mod:`marsad.models.ner_hints`) see a ±2 window of table vectors; a name whose
words have no vector, or whose cue sits further away, gets little from them. This network reads the
whole sentence: each token is its table vector (the same 8-bit table) beside a character CNN's
features of its normalised form (so a word outside the table still has a shape), and a one-layer
bidirectional LSTM gives each token a distribution over the BIO labels. The CRF reads the *mean* of
the two networks' distributions as its ``hint=`` features (docs/models/ner.md, round seven).

Training uses PyTorch (the ``train`` extra); tagging does not: the weights are exported to
``ner_sequence.npz`` and run here in numpy, with the recurrence a compiled loop (numba). The
cross-fitted hints the CRF is trained on are computed by this same code, so the CRF sees the numbers
the shipped tagger will give it.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.models.crf_kernels import _compiled
from marsad.models.ner_clusters import normalise_word
from marsad.models.ner_hints import WordHints, _digest, align_columns

__all__ = ["SequenceHints", "char_ids", "cross_fitted_sequence", "fit_sequence_hints"]

FloatArray = npt.NDArray[np.float32]

# Characters of a token the character CNN reads (its normalised form, cut at this length).
MAX_CHARS = 16
# Widths of the character CNN: embedding, filters (window of three characters).
CHAR_DIM, CHAR_FILTERS = 24, 50
# Distinct surface tokens whose input projections are cached (the cache starts again past this).
_CACHE_LIMIT = 200_000


def char_ids(tokens: Sequence[str], known: dict[str, int]) -> npt.NDArray[np.int64]:
    """Each token's first ``MAX_CHARS`` normalised characters as ids (tokens × ``MAX_CHARS``): 0 pads,
    1 stands for a character not in ``known``. Training and tagging read tokens through this."""
    ids = np.zeros((len(tokens), MAX_CHARS), dtype=np.int64)
    for number, token in enumerate(tokens):
        word = normalise_word(token)[:MAX_CHARS]
        ids[number, : len(word)] = [known.get(char, 1) for char in word]
    return ids


def _lstm(
    forward_in: FloatArray,
    backward_in: FloatArray,
    forward_hh: FloatArray,
    backward_hh: FloatArray,
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
) -> FloatArray:
    """Both directions of a one-layer LSTM over sentences stacked in rows.

    ``*_in`` are the input projections with both biases added (tokens × 4H, PyTorch's gate order
    i, f, g, o); ``*_hh`` the recurrent weights transposed (H × 4H). Returns tokens × 2H: the
    forward state, then the backward one.
    """
    size = forward_hh.shape[0]
    out = np.zeros((forward_in.shape[0], 2 * size), np.float32)
    gates = np.zeros(4 * size, np.float32)
    state = np.zeros(size, np.float32)
    cell = np.zeros(size, np.float32)
    one = np.float32(1.0)
    two = np.float32(2.0)
    limit = np.float32(30.0)
    for sentence in range(starts.shape[0]):
        length = lengths[sentence]
        for direction in range(2):
            projected = forward_in if direction == 0 else backward_in
            recurrent = forward_hh if direction == 0 else backward_hh
            state[:] = 0.0
            cell[:] = 0.0
            for step in range(length):
                row = starts[sentence] + (step if direction == 0 else length - 1 - step)
                for k in range(4 * size):
                    gates[k] = projected[row, k]
                for j in range(size):
                    value = state[j]
                    for k in range(4 * size):
                        gates[k] += recurrent[j, k] * value
                for k in range(4 * size):
                    gates[k] = np.exp(-min(max(gates[k], -limit), limit))
                for j in range(size):
                    input_gate = one / (one + gates[j])
                    forget_gate = one / (one + gates[size + j])
                    squared = gates[2 * size + j] * gates[2 * size + j]
                    candidate = two / (one + squared) - one
                    output_gate = one / (one + gates[3 * size + j])
                    cell[j] = forget_gate * cell[j] + input_gate * candidate
                    bounded = min(max(cell[j], -limit), limit)
                    state[j] = output_gate * (two / (one + np.exp(-two * bounded)) - one)
                    out[row, direction * size + j] = state[j]
    return out


_lstm_compiled = _compiled(_lstm)


class SequenceHints:
    """The BiLSTM's weights over a :class:`WordHints` table; :meth:`sentence_probabilities` tags."""

    def __init__(
        self,
        *,
        table: WordHints,
        chars: Sequence[str],
        weights: dict[str, FloatArray],
        classes: Sequence[str],
    ) -> None:
        self.table = table
        self.chars = list(chars)
        self.classes = list(classes)
        self.weights = {
            name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()
        }
        # character ids: 0 pads, 1 stands for a character not in the list
        self._known = {char: number + 2 for number, char in enumerate(self.chars)}
        w = self.weights
        self.size = w["hh_forward"].shape[1]
        # (3 * CHAR_DIM, filters): the convolution over a window of three embedded characters
        self._conv = np.ascontiguousarray(w["conv"].transpose(2, 1, 0).reshape(-1, w["conv"].shape[0]))
        self._in = np.ascontiguousarray(np.concatenate([w["ih_forward"], w["ih_backward"]]).T)
        self._in_bias = np.concatenate([w["bias_forward"], w["bias_backward"]])
        self._hh_forward = np.ascontiguousarray(w["hh_forward"].T)
        self._hh_backward = np.ascontiguousarray(w["hh_backward"].T)
        self._projections: dict[str, FloatArray] = {}

    # -- tagging --------------------------------------------------------------------------------

    def char_features(self, tokens: Sequence[str]) -> FloatArray:
        """The character CNN's features (tokens × filters): max over positions of the ReLU'd
        convolution, as the training network computes them (padded to ``MAX_CHARS`` positions)."""
        # one padding position on each side, as the convolution's zero padding
        ids = np.pad(char_ids(tokens, self._known), ((0, 0), (1, 1)))
        embedded = self.weights["char_embedding"][ids]  # tokens × (MAX_CHARS + 2) × CHAR_DIM
        windows = np.concatenate(
            [embedded[:, 0:MAX_CHARS], embedded[:, 1 : MAX_CHARS + 1], embedded[:, 2 : MAX_CHARS + 2]], axis=2
        )
        convolved = windows @ self._conv + self.weights["conv_bias"]
        return np.maximum(convolved, 0.0).max(axis=1).astype(np.float32)

    def _projected(self, tokens: list[str], core: Callable[[str], str]) -> FloatArray:
        """Each token's input projections for both directions (tokens × 8H), cached by surface form."""
        cache = self._projections
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        missing = list(dict.fromkeys(token for token in tokens if token not in cache))
        if missing:
            rows = self.table.sentence_rows([missing], core)[0]
            inputs = np.concatenate([self.table._table[rows], self.char_features(missing)], axis=1)
            projected = inputs @ self._in + self._in_bias
            for token, values in zip(missing, projected, strict=True):
                cache[token] = values
        return np.asarray([cache[token] for token in tokens], dtype=np.float32).reshape(len(tokens), -1)

    def sentence_probabilities(
        self, sentences: Sequence[Sequence[str]], core: Callable[[str], str]
    ) -> list[FloatArray]:
        """Label distributions (tokens × :attr:`classes`) for each sentence of tokens."""
        lengths = np.asarray([len(s) for s in sentences], dtype=np.int64)
        width = len(self.classes)
        if not lengths.sum():
            return [np.zeros((0, width), dtype=np.float32) for _ in sentences]
        tokens = [token for sentence in sentences for token in sentence]
        projected = self._projected(tokens, core)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        forward = np.ascontiguousarray(projected[:, : 4 * self.size])
        backward = np.ascontiguousarray(projected[:, 4 * self.size :])
        states = _lstm_compiled(forward, backward, self._hh_forward, self._hh_backward, starts, lengths)
        logits = states @ self.weights["out"].T + self.weights["out_bias"]
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return [logits[start : start + size] for start, size in zip(starts, lengths, strict=True)]

    # -- storage --------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the weights and character list as one ``.npz`` (byte-stable for the same contents)."""
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {
            "word_digest": np.asarray(_digest(self.table.words)),
            "chars": np.asarray(self.chars),
            "classes": np.asarray(self.classes),
            **self.weights,
        }
        np.savez_compressed(buffer, **arrays)
        path.write_bytes(buffer.getvalue())

    @classmethod
    def load(cls, path: Path, *, table: WordHints) -> SequenceHints:
        """Read a file written by :meth:`save` for ``table`` (ValueError when it was written for another)."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["word_digest"]) != _digest(table.words):
                raise ValueError("the sequence hint file was written for another word table")
            weights = {
                name: data[name] for name in data.files if name not in {"word_digest", "chars", "classes"}
            }
            return cls(
                table=table,
                chars=[str(c) for c in data["chars"]],
                weights=weights,
                classes=[str(c) for c in data["classes"]],
            )


def fit_sequence_hints(
    *,
    sentences: Sequence[Sequence[str]],
    rows: Sequence[Sequence[int]],
    tags: Sequence[Sequence[str]],
    vectors: FloatArray,
    pad: int,
    hidden: int,
    epochs: int,
    seed: int = 1,
    learning_rate: float = 5e-3,
    dropout: float = 0.3,
    batch: int = 32,
) -> tuple[list[str], dict[str, FloatArray], list[str]]:
    """Train the BiLSTM with PyTorch (one thread, fixed seed: the same weights on every run).

    ``rows`` are the tokens' rows in ``vectors`` (a :class:`WordHints` table's ``_table``, whose
    ``pad`` row is zeros). Returns the character list, the exported weights and the classes, the
    arguments of :class:`SequenceHints` besides its table.
    """
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        generator = np.random.default_rng(seed)
        classes = sorted({tag for sentence in tags for tag in sentence})
        counts: dict[str, int] = {}
        for sentence in sentences:
            for token in sentence:
                for char in normalise_word(token):
                    counts[char] = counts.get(char, 0) + 1
        chars = sorted(char for char, count in counts.items() if count >= 2)
        known = {char: number + 2 for number, char in enumerate(chars)}
        table = torch.tensor(np.asarray(vectors, dtype=np.float32))
        items = []
        for tokens, sentence_rows, labels in zip(sentences, rows, tags, strict=True):
            items.append(
                (
                    torch.tensor(sentence_rows, dtype=torch.long),
                    torch.tensor(char_ids(tokens, known)),
                    torch.tensor([classes.index(label) for label in labels], dtype=torch.long),
                )
            )

        class Network(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.char_embedding = nn.Embedding(len(chars) + 2, CHAR_DIM, padding_idx=0)
                self.conv = nn.Conv1d(CHAR_DIM, CHAR_FILTERS, 3, padding=1)
                self.drop = nn.Dropout(dropout)
                self.lstm = nn.LSTM(
                    table.shape[1] + CHAR_FILTERS, hidden, batch_first=True, bidirectional=True
                )
                self.out = nn.Linear(2 * hidden, len(classes))

            def forward(self, rows: Any, ids: Any, lengths: Any) -> Any:
                size, steps, width = ids.shape
                embedded = self.char_embedding(ids.view(size * steps, width)).transpose(1, 2)
                char_features = torch.relu(self.conv(embedded)).max(dim=2).values.view(size, steps, -1)
                inputs = self.drop(torch.cat([table[rows], char_features], dim=2))
                packed = nn.utils.rnn.pack_padded_sequence(
                    inputs, lengths, batch_first=True, enforce_sorted=False
                )
                states, _ = self.lstm(packed)
                states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=steps)
                return self.out(self.drop(states))

        def padded(chosen: Sequence[int]) -> tuple[Any, Any, Any, Any]:
            steps = max(len(items[i][0]) for i in chosen)
            row_batch = torch.full((len(chosen), steps), pad, dtype=torch.long)
            id_batch = torch.zeros((len(chosen), steps, MAX_CHARS), dtype=torch.long)
            tag_batch = torch.full((len(chosen), steps), -100, dtype=torch.long)
            for k, i in enumerate(chosen):
                size = len(items[i][0])
                row_batch[k, :size], id_batch[k, :size], tag_batch[k, :size] = items[i]
            lengths = torch.tensor([len(items[i][0]) for i in chosen])
            return row_batch, id_batch, tag_batch, lengths

        network = Network()
        optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda epoch: 1 - epoch / epochs)
        loss = nn.CrossEntropyLoss(ignore_index=-100)
        # batches of sentences of similar length (little padding), visited in a new order each epoch
        order = np.argsort([len(s) for s in sentences], kind="stable")
        batches = [order[i : i + batch] for i in range(0, len(order), batch)]
        for _ in range(epochs):
            network.train()
            for number in generator.permutation(len(batches)):
                row_batch, id_batch, tag_batch, lengths = padded(batches[number])
                optimiser.zero_grad()
                logits = network(row_batch, id_batch, lengths)
                loss(logits.reshape(-1, len(classes)), tag_batch.reshape(-1)).backward()
                nn.utils.clip_grad_norm_(network.parameters(), 5.0)
                optimiser.step()
            schedule.step()
        state = {
            name: value.detach().numpy().astype(np.float32) for name, value in network.state_dict().items()
        }
    finally:
        torch.set_num_threads(threads)
    weights = {
        "char_embedding": state["char_embedding.weight"],
        "conv": state["conv.weight"],
        "conv_bias": state["conv.bias"],
        "ih_forward": state["lstm.weight_ih_l0"],
        "hh_forward": state["lstm.weight_hh_l0"],
        "bias_forward": state["lstm.bias_ih_l0"] + state["lstm.bias_hh_l0"],
        "ih_backward": state["lstm.weight_ih_l0_reverse"],
        "hh_backward": state["lstm.weight_hh_l0_reverse"],
        "bias_backward": state["lstm.bias_ih_l0_reverse"] + state["lstm.bias_hh_l0_reverse"],
        "out": state["out.weight"],
        "out_bias": state["out.bias"],
    }
    return chars, weights, classes


def _fit(arguments: dict[str, Any]) -> tuple[list[str], dict[str, FloatArray], list[str]]:
    return fit_sequence_hints(**arguments)


def cross_fitted_sequence(
    *,
    sentences: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    table: WordHints,
    core: Callable[[str], str],
    folds: int,
    hidden: int,
    epochs: int,
    seed: int = 1,
    workers: int = 2,
) -> tuple[list[FloatArray], list[str], SequenceHints]:
    """The sentence network's distributions for the training sentences, each contiguous block's from
    a network trained on the other blocks (as :func:`marsad.models.ner_hints.cross_fitted_probabilities`
    does for the window network), their classes, and the network trained on all sentences.

    The ``folds + 1`` trainings run in ``workers`` processes (each on one thread, so the weights do
    not depend on how many run at once).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    rows = table.sentence_rows(sentences, core)
    bounds = [round(i * len(sentences) / folds) for i in range(folds + 1)]
    common = {"vectors": table._table, "pad": table._pad, "hidden": hidden, "epochs": epochs, "seed": seed}
    jobs = [
        {
            "sentences": [*sentences[:low], *sentences[high:]],
            "rows": [*rows[:low], *rows[high:]],
            "tags": [*tags[:low], *tags[high:]],
            **common,
        }
        for low, high in itertools.pairwise(bounds)
    ]
    jobs.append({"sentences": list(sentences), "rows": rows, "tags": list(tags), **common})
    if workers > 1:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            fitted = list(pool.map(_fit, jobs))
    else:
        fitted = [_fit(job) for job in jobs]
    classes = sorted({tag for sentence in tags for tag in sentence})
    out: list[FloatArray] = []
    for (chars, weights, network_classes), low, high in zip(fitted, bounds, bounds[1:], strict=False):
        network = SequenceHints(table=table, chars=chars, weights=weights, classes=network_classes)
        out.extend(
            align_columns(network.sentence_probabilities(sentences[low:high], core), network_classes, classes)
        )
    chars, weights, network_classes = fitted[-1]
    return out, classes, SequenceHints(table=table, chars=chars, weights=weights, classes=network_classes)
