"""Collocations for the NER model: how strongly two neighbouring words hold together in news at large.

The words of a name hold together: ديفيد كاميرون is a pair the unlabelled corpora have far more often
than the counts of ديفيد and كاميرون alone predict, while a name and the verb after it, or a title and
the name after it, are looser. The CRF reads that as two features per side of each token, the pair's
pointwise mutual information and its count, both bucketed (``bp-=``/``bc-=`` for the pair with the word
before, ``bp+=``/``bc+=`` for the pair with the word after; ``bp±=none`` for a pair seen fewer than
``min_count`` times). Round thirteen of docs/models/ner.md measured it by cross-validation.

The table shipped with the package is ``models/data/ner_pairs.npz``: the distinct cores (the
extractor's clitic-stripped forms) of the counted pairs, and for each pair its key (left id × 2³² +
right id, sorted) and its code, ``(pmi bucket + 1) × 5 + count bucket``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from marsad.errors import error

__all__ = ["PAIR_CODES", "PairTable", "count_pairs", "pair_features"]

# PMI buckets (natural log, steps of 2, clipped to -1..6) × count buckets (log10, clipped to 0..4)
_PMI_LOW, _PMI_HIGH = -1, 6
_COUNT_HIGH = 4
PAIR_CODES = (_PMI_HIGH - _PMI_LOW + 1) * (_COUNT_HIGH + 1)
NONE = PAIR_CODES  # the code of a pair the table does not hold
_SHIFT = np.int64(1 << 32)


def pair_code(count: int, left: int, right: int, total: int) -> int:
    """The code of a pair seen ``count`` times, of words seen ``left`` and ``right`` times in
    ``total`` tokens."""
    pmi = math.log(count * total / (left * right))
    bucket = max(_PMI_LOW, min(int(pmi // 2), _PMI_HIGH))
    return (bucket - _PMI_LOW) * (_COUNT_HIGH + 1) + min(int(math.log10(count)), _COUNT_HIGH)


def pair_features(code: int, side: str) -> list[str]:
    """The feature strings of a pair's code, on ``side`` ``-`` (the pair with the word before) or
    ``+`` (with the word after)."""
    if code == NONE:
        return [f"bp{side}=none"]
    bucket, count = divmod(code, _COUNT_HIGH + 1)
    return [f"bp{side}={bucket + _PMI_LOW}", f"bc{side}={count}"]


def count_pairs(
    corpus_file: Path, *, core: Callable[[str], str], stop: int | None = None, min_count: int = 3
) -> PairTable:
    """Count the cores and neighbouring core pairs of a corpus file (normalised words, one paragraph
    a line, as ``ner_clusters.write_cluster_corpus`` writes it) up to byte ``stop``, and keep the
    pairs seen at least ``min_count`` times. ``core`` maps a word to its core."""
    cores: dict[str, str] = {}
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    with open(corpus_file, "rb") as handle:
        position = 0
        for raw in handle:
            position += len(raw)
            if stop is not None and position > stop:
                break
            line = []
            for word in raw.decode("utf-8").split():
                key = cores.get(word)
                if key is None:
                    key = cores[word] = core(word)
                line.append(key)
            words.update(line)
            pairs.update(itertools.pairwise(line))
    total = sum(words.values())
    kept = sorted((pair, count) for pair, count in pairs.items() if count >= min_count)
    return PairTable.from_counts(
        [(left, right, pair_code(count, words[left], words[right], total)) for (left, right), count in kept]
    )


class PairTable:
    """Core pairs and their codes; :meth:`code` looks one pair up, :meth:`codes` many by core id."""

    def __init__(self, cores: list[str], keys: np.ndarray, codes: np.ndarray) -> None:
        self.cores = cores
        self.ids = {word: number for number, word in enumerate(cores)}
        self.keys = keys
        self.codes = codes

    @classmethod
    def from_counts(cls, rows: Sequence[tuple[str, str, int]]) -> PairTable:
        names = sorted({word for left, right, _ in rows for word in (left, right)})
        ids = {word: number for number, word in enumerate(names)}
        keys = np.array([ids[left] * (1 << 32) + ids[right] for left, right, _ in rows], dtype=np.int64)
        codes = np.array([code for _, _, code in rows], dtype=np.uint8)
        order = np.argsort(keys, kind="stable")
        return cls(names, keys[order], codes[order])

    def __len__(self) -> int:
        return len(self.keys)

    def id(self, word: str) -> int:
        """The core's id in the table, -1 for a core no counted pair holds."""
        return self.ids.get(word, -1)

    def code(self, left: str, right: str) -> int:
        """The code of the pair (``NONE`` when the table does not hold it)."""
        return int(self.codes_of(np.array([self.id(left)]), np.array([self.id(right)]))[0])

    def codes_of(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Codes of the pairs of core ids ``left[i]``, ``right[i]`` (-1: unknown core)."""
        if not len(self.keys):
            return np.full(len(left), NONE, dtype=np.intp)
        keys = left.astype(np.int64) * _SHIFT + right.astype(np.int64)
        found = np.searchsorted(self.keys, keys)
        found[found >= len(self.keys)] = 0
        hit = (left >= 0) & (right >= 0) & (self.keys[found] == keys)
        return np.where(hit, self.codes[found], NONE).astype(np.intp)

    def save(self, path: Path) -> None:
        """Write the table (deterministic bytes for the same pairs)."""
        import io
        import zipfile

        path.parent.mkdir(parents=True, exist_ok=True)
        cores = np.frombuffer("\n".join(self.cores).encode("utf-8"), dtype=np.uint8)
        # keys as differences from the one before: small numbers, which compress well
        deltas = np.diff(self.keys, prepend=np.int64(0))
        # np.savez_compressed stamps the time into the zip; write the members with a fixed one
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, array in (("cores", cores), ("deltas", deltas), ("codes", self.codes)):
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue(), compresslevel=9)

    @classmethod
    def load(cls, path: Path) -> PairTable:
        """Read a table written by :meth:`save`; E204 for a file that is not one."""
        try:
            with np.load(path, allow_pickle=False) as data:
                text = data["cores"].tobytes().decode("utf-8")
                keys = np.cumsum(data["deltas"]).astype(np.int64)
                codes = data["codes"].astype(np.uint8)
        except (OSError, ValueError, KeyError) as exc:
            raise error("E204", f"not a collocation table: {exc}", input=str(path)) from exc
        return cls(text.split("\n") if text else [], keys, codes)


def describe(table: PairTable) -> dict[str, Any]:
    """Figures for the training log."""
    return {"pairs": len(table), "cores": len(table.cores)}
