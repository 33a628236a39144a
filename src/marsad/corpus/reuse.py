"""Passage reuse: paragraphs of one article carried inside a longer text of another.

Whole-document similarity misses an article that quotes three paragraphs of a wire story inside
a text of its own. Here each article keeps its *winnowed* shingle fingerprints (the smallest hash
in every window of ``WINDOW`` consecutive shingles: any shared run of ``WINDOW + 4`` words or more
is guaranteed to share one), candidates share at least ``MIN_SHARED_FINGERPRINTS`` of them, and a
candidate pair is verified word by word: the shingles both texts hold mark covered words on each
side, covered runs closer than ``MAX_GAP`` words merge, and runs of ``MIN_WORDS`` or more are the
reused passages, with offsets into both texts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from marsad.corpus.dedup import SHINGLE_WORDS, shingles_of_words, word_spans

__all__ = [
    "MIN_WORDS",
    "Passage",
    "Reuse",
    "find_reuse",
    "fingerprints",
]

WINDOW = 8
MIN_SHARED_FINGERPRINTS = 2
MIN_WORDS = 20
# Word substitutions break the five shingles around them; a gap of up to this many uncovered
# words inside a reused passage keeps it one passage.
MAX_GAP = 6


def fingerprints(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """The winnowed fingerprints of a text's shingle hashes (unique, as signed 64-bit integers)."""
    if len(shingles) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(shingles) <= WINDOW:
        return np.unique(shingles.min(keepdims=True)).view(np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(shingles, WINDOW)
    return np.unique(windows.min(axis=1)).view(np.int64)


@dataclass(frozen=True, slots=True)
class Passage:
    """A reused passage: ``[a_start, a_end)`` in the first text, ``[b_start, b_end)`` in the second."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words: int

    def to_json(self) -> dict[str, int]:
        return {
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "words": self.words,
        }


@dataclass(frozen=True, slots=True)
class Reuse:
    """The passages two texts share, and the share of each text's words they cover."""

    passages: list[Passage]
    share_a: float
    share_b: float


def _runs(covered: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open word-index runs of covered words, merged across gaps of up to MAX_GAP words."""
    indexes = np.flatnonzero(covered)
    if len(indexes) == 0:
        return []
    breaks = np.flatnonzero(np.diff(indexes) > MAX_GAP + 1)
    starts = np.concatenate(([indexes[0]], indexes[breaks + 1]))
    ends = np.concatenate((indexes[breaks], [indexes[-1]])) + 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def find_reuse(text_a: str, text_b: str, *, min_words: int = MIN_WORDS) -> Reuse:
    """The passages of ``min_words`` words or more that ``text_a`` and ``text_b`` share."""
    spans_a, spans_b = word_spans(text_a), word_spans(text_b)
    if len(spans_a) < SHINGLE_WORDS or len(spans_b) < SHINGLE_WORDS:
        return Reuse([], 0.0, 0.0)
    shingles_a = shingles_of_words([w for _, _, w in spans_a])
    shingles_b = shingles_of_words([w for _, _, w in spans_b])
    shared = np.intersect1d(shingles_a, shingles_b)
    if len(shared) == 0:
        return Reuse([], 0.0, 0.0)
    covered_a = _cover(shingles_a, shared, len(spans_a))
    covered_b = _cover(shingles_b, shared, len(spans_b))
    runs_a = [run for run in _runs(covered_a) if run[1] - run[0] >= min_words]
    runs_b = [run for run in _runs(covered_b) if run[1] - run[0] >= min_words]
    if not runs_a or not runs_b:
        return Reuse([], 0.0, 0.0)
    # Where each shared shingle sits in b, to pair every run of a with the run of b it came from.
    positions_b: dict[int, list[int]] = defaultdict(list)
    in_shared_b = np.isin(shingles_b, shared)
    for index in np.flatnonzero(in_shared_b).tolist():
        positions_b[int(shingles_b[index])].append(index)
    run_of_b = np.full(len(spans_b), -1, dtype=np.int64)
    for number, (start, end) in enumerate(runs_b):
        run_of_b[start:end] = number
    passages = []
    used_b: set[int] = set()
    for start, end in runs_a:
        votes: dict[int, int] = defaultdict(int)
        for value in shingles_a[start : max(start, end - SHINGLE_WORDS + 1)].tolist():
            for position in positions_b.get(value, ()):
                number = int(run_of_b[position])
                if number >= 0:
                    votes[number] += 1
        if not votes:
            continue
        best = max(votes, key=lambda n: votes[n])
        used_b.add(best)
        b_start, b_end = runs_b[best]
        passages.append(
            Passage(
                a_start=spans_a[start][0],
                a_end=spans_a[end - 1][1],
                b_start=spans_b[b_start][0],
                b_end=spans_b[b_end - 1][1],
                words=end - start,
            )
        )
    if not passages:
        return Reuse([], 0.0, 0.0)
    words_a = sum(end - start for start, end in runs_a)
    words_b = sum(runs_b[n][1] - runs_b[n][0] for n in used_b)
    return Reuse(passages, words_a / len(spans_a), words_b / len(spans_b))


def _cover(
    shingles: npt.NDArray[np.uint64], shared: npt.NDArray[np.uint64], word_count: int
) -> npt.NDArray[np.bool_]:
    """Words covered by a shared shingle (a shingle starting at word i covers i .. i + 4)."""
    hits = np.flatnonzero(np.isin(shingles, shared))
    covered = np.zeros(word_count, dtype=np.bool_)
    width = min(SHINGLE_WORDS, word_count)
    for offset in range(width):
        covered[np.minimum(hits + offset, word_count - 1)] = True
    return covered
