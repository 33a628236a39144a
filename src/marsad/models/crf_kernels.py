"""Viterbi and forward–backward for linear-chain CRFs, compiled with numba.

A news article is a few dozen sentences of up to a hundred tokens over nine labels: loops this
small cost more in numpy call overhead than in arithmetic, so they are compiled loops here. The
recurrences are CRFsuite's (``crf1d``): the first label wins a tie, and forward–backward scales
each position to sum to one. Sentences are given stacked, by ``starts`` and ``lengths`` into the
rows of ``scores`` (tokens × labels, the emission scores).

Compiled on first use and cached on disk (numba's ``cache=True``), so only the first process pays;
where no cache folder is writable, every process compiles them (about 2 seconds) instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

__all__ = ["add_pair_scores", "forward_backward", "viterbi"]

F = TypeVar("F", bound=Callable[..., Any])


def _compiled(function: F) -> F:
    try:
        return cast(F, njit(cache=True, nogil=True)(function))
    except RuntimeError:  # numba found no writable place for its cache
        return cast(F, njit(nogil=True)(function))


@_compiled
def viterbi(
    scores: np.ndarray, starts: np.ndarray, lengths: np.ndarray, transitions: np.ndarray, tie: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Best label of every token, and which sentences hang on a near-tie.

    A sentence is unsure when its two best final scores, or the two best ways into any label of
    its best path, differ by less than ``tie``.
    """
    total, size = scores.shape
    labels = np.zeros(total, dtype=np.intp)
    unsure = np.zeros(len(starts), dtype=np.bool_)
    longest = 0
    for k in range(len(lengths)):
        longest = max(longest, lengths[k])
    alpha = np.empty((max(longest, 1), size))
    for k in range(len(starts)):
        start = starts[k]
        length = lengths[k]
        if length == 0:
            continue
        for j in range(size):
            alpha[0, j] = scores[start, j]
        for t in range(1, length):
            for j in range(size):
                best = alpha[t - 1, 0] + transitions[0, j]
                for i in range(1, size):
                    value = alpha[t - 1, i] + transitions[i, j]
                    if value > best:
                        best = value
                alpha[t, j] = scores[start + t, j] + best
        last = length - 1
        chosen = 0
        for j in range(1, size):
            if alpha[last, j] > alpha[last, chosen]:
                chosen = j
        if _margin(alpha[last]) < tie:
            unsure[k] = True
        labels[start + last] = chosen
        ways = np.empty(size)
        for t in range(last, 0, -1):
            j = labels[start + t]
            previous = 0
            for i in range(size):
                ways[i] = alpha[t - 1, i] + transitions[i, j]
                if ways[i] > ways[previous]:
                    previous = i
            if _margin(ways) < tie:
                unsure[k] = True
            labels[start + t - 1] = previous
    return labels, unsure


@_compiled
def _margin(values: np.ndarray) -> float:  # pragma: no cover - compiled
    """Best minus second best (infinite for fewer than two values)."""
    if len(values) < 2:
        return np.inf
    first = -np.inf
    second = -np.inf
    for value in values:
        if value > first:
            second = first
            first = value
        elif value > second:
            second = value
    return first - second


@_compiled
def forward_backward(
    scores: np.ndarray, starts: np.ndarray, lengths: np.ndarray, moves: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Label marginals of every token; ``moves`` is ``exp(transitions)``."""
    total, size = scores.shape
    out = np.empty((total, size))
    longest = 0
    for k in range(len(lengths)):
        longest = max(longest, lengths[k])
    rows = max(longest, 1)
    emit = np.empty((rows, size))
    forward = np.empty((rows, size))
    backward = np.empty((rows, size))
    scale = np.empty(rows)
    for k in range(len(starts)):
        start = starts[k]
        length = lengths[k]
        for t in range(length):
            # exp of scores less the token's best: the shift cancels in the normalisation
            best = scores[start + t, 0]
            for j in range(1, size):
                best = max(best, scores[start + t, j])
            for j in range(size):
                emit[t, j] = np.exp(scores[start + t, j] - best)
        for t in range(length):
            total_t = 0.0
            for j in range(size):
                if t == 0:
                    value = emit[0, j]
                else:
                    value = 0.0
                    for i in range(size):
                        value += forward[t - 1, i] * moves[i, j]
                    value *= emit[t, j]
                forward[t, j] = value
                total_t += value
            scale[t] = total_t
            for j in range(size):
                forward[t, j] /= total_t
        for j in range(size):
            backward[length - 1, j] = 1.0
        for t in range(length - 2, -1, -1):
            for i in range(size):
                value = 0.0
                for j in range(size):
                    value += emit[t + 1, j] * backward[t + 1, j] * moves[i, j]
                backward[t, i] = value / scale[t + 1]
        for t in range(length):
            norm = 0.0
            for j in range(size):
                norm += forward[t, j] * backward[t, j]
            for j in range(size):
                out[start + t, j] = forward[t, j] * backward[t, j] / norm
    return out


@_compiled
def add_pair_scores(
    scores: np.ndarray,
    pair_ids: np.ndarray,
    position: np.ndarray,
    keys: np.ndarray,
    codes: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    none: int,
) -> None:  # pragma: no cover - compiled
    """Add the collocation weights of each token and the next (``ner_pairs``): ``pair_ids`` are the
    tokens' core ids (-1: none), ``keys`` the table's sorted pair keys and ``codes`` their codes,
    ``before[code]`` what the right-hand word gets, ``after[code]`` the left-hand one. Tokens that
    start a sentence (``position`` 0) make no pair with the token before them."""
    shift = np.int64(1) << np.int64(32)
    size = keys.shape[0]
    width = scores.shape[1]
    for i in range(1, scores.shape[0]):
        if position[i] == 0:
            continue
        code = none
        left, right = pair_ids[i - 1], pair_ids[i]
        if left >= 0 and right >= 0 and size > 0:
            key = np.int64(left) * shift + np.int64(right)
            low, high = 0, size
            while low < high:
                middle = (low + high) >> 1
                if keys[middle] < key:
                    low = middle + 1
                else:
                    high = middle
            if low < size and keys[low] == key:
                code = codes[low]
        for label in range(width):
            scores[i, label] += before[code, label]
            scores[i - 1, label] += after[code, label]
