"""Near-duplicate detection: word shingles, MinHash signatures, LSH band keys and clusters.

Shingles are runs of ``SHINGLE_WORDS`` words of the search-normalised view (alef, ya, hamza and
ta marbuta folded, diacritics dropped), so two copies that differ only in spelling or vowel marks
get the same shingles. Each word gets a stable 64-bit hash (a keyed BLAKE2b, cached per process),
a shingle is a polynomial over its words' hashes, and the ``NUM_PERM`` MinHash values come from
multiply-add hashing in uint64 arithmetic, vectorised over a batch of articles with numpy.

Hashes are stable across processes and versions: signatures and band keys are stored in the
corpus and compared with those computed later.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from marsad.text.normalise import normalise_text

__all__ = [
    "BANDS",
    "NUM_PERM",
    "ROWS",
    "SHINGLE_WORDS",
    "Signatures",
    "UnionFind",
    "band_keys",
    "cluster_pairs",
    "estimated_jaccard",
    "jaccard",
    "lsh_candidates",
    "shingle_hashes",
    "signatures",
    "word_hashes",
    "word_spans",
    "words",
]

SHINGLE_WORDS = 5
NUM_PERM = 128
# 32 bands of 4 rows: a pair at Jaccard 0.5 becomes a candidate with probability 0.87, at 0.6
# with 0.99, at 0.8 with 1 - 1e-13; a pair at 0.2 only with 0.05, which keeps verification cheap.
BANDS = 32
ROWS = NUM_PERM // BANDS

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]

_SPACE = 0x20
_BLOCK = 8
_WORD_SEED = np.uint64(0x6D61727361642D31)  # "marsad-1"
_WORD_MULT = np.uint64(0xFF51AFD7ED558CCD)
_ALL_BITS = np.uint64(0xFFFFFFFFFFFFFFFF)
_CHUNK_RE = re.compile(r"\S+")

_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_BAND_MULT = np.uint64(0xC2B2AE3D27D4EB4F)
_DENSIFY_STEP = np.uint32(0x9E3779B1)
_EMPTY = np.uint32(0xFFFFFFFF)

# -- words ------------------------------------------------------------------------------------
# The search view is computed on bytes: cp1256 holds every Arabic letter, mark and punctuation
# sign of news text in one byte, and bytes.translate folds and deletes at about a nanosecond a
# byte, where str.translate costs a dictionary look-up a character (about 40 times slower).
# Characters outside cp1256 (Arabic-Indic digits, presentation forms, bidi controls) go through
# the text layer's own normaliser, in an encoding error handler, so the words are those of
# ``normalise_text(text, search=True)``.
_CODEC = "cp1256"
_UNKNOWN_LETTER = "\x1a"  # a letter cp1256 lacks (ڤ, å): kept as one placeholder byte
_ERRORS = "marsad-search-fold"


def _fold_unencodable(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    folded = normalise_text(err.object[err.start : err.end], search=True)
    out = []
    for char in folded:
        try:
            char.encode(_CODEC)
            out.append(char)
        except UnicodeEncodeError:
            out.append(_UNKNOWN_LETTER if char.isalnum() else " ")
    return "".join(out), err.end


codecs.register_error(_ERRORS, _fold_unencodable)


def _byte_table() -> tuple[bytes, bytes]:
    table = bytearray(range(256))
    deleted = bytearray()
    for byte in range(256):
        char = bytes([byte]).decode(_CODEC)
        if char == _UNKNOWN_LETTER:
            continue
        folded = normalise_text(char, search=True)
        if not folded:
            deleted.append(byte)
        elif len(folded) == 1 and folded.isalnum() and folded.encode(_CODEC, errors="ignore"):
            table[byte] = folded.encode(_CODEC)[0]
        elif len(folded) == 1 and char.isalnum():
            table[byte] = byte  # a letter whose fold leaves cp1256 (µ): keep it as it is
        else:
            table[byte] = 0x20  # punctuation, symbols and spaces separate words
    return bytes(table), bytes(deleted)


_TABLE, _DELETED = _byte_table()


def _fold_bytes(text: str) -> bytes:
    return text.encode(_CODEC, errors=_ERRORS).translate(_TABLE, _DELETED)


def words(text: str) -> list[bytes]:
    """The words of ``text``'s search view (alef, ya, hamza, ta marbuta folded, marks dropped).

    Words are cp1256 bytes: they are hashed and compared, never shown.
    """
    return _fold_bytes(text).split()


def word_spans(text: str) -> list[tuple[int, int, bytes]]:
    """The same words as :func:`words`, each with the ``(start, end)`` offsets of its source in ``text``.

    A word takes the offsets of the whitespace-delimited chunk it comes from, trimmed of the
    punctuation at either end; a chunk such as "أ.ف.ب" that gives several words gives each its offsets.
    """
    spans: list[tuple[int, int, bytes]] = []
    for match in _CHUNK_RE.finditer(text):
        chunk_words = _fold_bytes(match.group()).split()
        if not chunk_words:
            continue
        start, end = match.start(), match.end()
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum() and not _is_mark(text[end - 1]):
            end -= 1
        if start == end:
            start, end = match.start(), match.end()
        spans.extend((start, end, word) for word in chunk_words)
    return spans


def _is_mark(char: str) -> bool:
    return "\u064b" <= char <= "\u065f" or char in "\u0670\u0640"


def _word_bounds(data: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end byte offsets of the space-separated words of a folded byte string."""
    inside = np.concatenate(([False], data != _SPACE, [False]))
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    return edges[0::2], edges[1::2]


def _hash_words(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> U64:
    """Stable 64-bit hashes of the words ``data[start:end]``, vectorised over all words.

    Each word is read as little-endian blocks of 8 bytes (the bytes past its end masked off)
    through an unaligned sliding view of the buffer; the length goes in first, so masking
    cannot make two words equal.
    """
    lengths = ends - starts
    padded = np.concatenate((data, np.zeros(_BLOCK, dtype=np.uint8)))
    # sliding[p] is the 8 bytes starting at byte p: one gather reads a block of every word.
    sliding = np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    acc = lengths.astype(np.uint64) ^ _WORD_SEED
    block = 0
    with np.errstate(over="ignore"):
        while True:
            remaining = lengths - block * _BLOCK
            active = np.flatnonzero(remaining > 0) if block else np.arange(len(lengths))
            if len(active) == 0:
                break
            value = sliding[starts[active] + block * _BLOCK]
            keep = np.minimum(remaining[active], _BLOCK).astype(np.uint64) * np.uint64(8)
            # (1 << 64) overflows: a full block keeps everything, a partial one its low bytes.
            mask = np.where(keep == 64, _ALL_BITS, (np.uint64(1) << (keep & np.uint64(63))) - np.uint64(1))
            acc[active] = (acc[active] ^ (value & mask)) * _WORD_MULT
            block += 1
    return _mix(acc)


def word_hashes(tokens: Sequence[bytes]) -> U64:
    """Stable 64-bit hashes of folded words (as :func:`words` gives them), as a uint64 array."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    data = np.frombuffer(b" ".join(tokens), dtype=np.uint8)
    starts, ends = _word_bounds(data)
    return _hash_words(data, starts, ends)


def _mix(values: U64) -> U64:
    # A finaliser (splitmix64): the polynomial alone leaves its low bits poorly mixed.
    values = values ^ (values >> np.uint64(30))
    values = values * np.uint64(0xBF58476D1CE4E5B9)
    values = values ^ (values >> np.uint64(27))
    values = values * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _shingles_of_hashes(hashes: U64) -> U64:
    """Shingle hashes of one word-hash sequence; a text shorter than a shingle is one shingle."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    width = min(SHINGLE_WORDS, n)
    count = n - width + 1
    acc = hashes[:count].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, width):
            acc = acc * _SHINGLE_MULT + hashes[offset : offset + count]
        return _mix(acc)


def shingle_hashes(text: str) -> U64:
    """The hashes of the word shingles of ``text``, in text order (one per starting word)."""
    return _shingles_of_hashes(word_hashes(words(text)))


def shingles_of_words(tokens: Sequence[bytes]) -> U64:
    """The shingle hashes of an already split word list."""
    return _shingles_of_hashes(word_hashes(tokens))


def shingle_batch(texts: Sequence[str]) -> tuple[U64, npt.NDArray[np.int64]]:
    """Shingle hashes of many texts at once: the concatenated hashes and each text's count.

    Same values as :func:`shingle_hashes` text by text, with one numpy pass for the batch.
    """
    folded = [_fold_bytes(text) for text in texts]
    data = np.frombuffer(b" ".join(folded), dtype=np.uint8)
    starts, ends = _word_bounds(data)
    hashes = _hash_words(data, starts, ends)
    # Each text begins one separator byte after the previous one ends.
    text_starts = np.zeros(len(folded), dtype=np.int64)
    if len(folded) > 1:
        np.cumsum(np.fromiter((len(f) + 1 for f in folded[:-1]), dtype=np.int64), out=text_starts[1:])
    first_word = np.searchsorted(starts, text_starts)
    counts = np.diff(np.concatenate((first_word, [len(starts)])))
    shingle_counts = np.where(counts >= SHINGLE_WORDS, counts - SHINGLE_WORDS + 1, np.minimum(counts, 1))
    total = len(hashes)
    if total < SHINGLE_WORDS:
        return _per_text(hashes, counts), shingle_counts
    width = SHINGLE_WORDS
    windows = total - width + 1
    acc = hashes[:windows].copy()
    with np.errstate(over="ignore"):
        for offset in range(1, width):
            acc = acc * _SHINGLE_MULT + hashes[offset : offset + windows]
        acc = _mix(acc)
    word_starts = first_word
    long_enough = counts >= width
    # Window starts inside each long-enough text: its first word .. its last word - width + 1.
    per_text = np.where(long_enough, shingle_counts, 0)
    base = np.repeat(word_starts, per_text)
    rank = np.arange(len(base)) - np.repeat(np.cumsum(per_text) - per_text, per_text)
    selected = acc[base + rank]
    if long_enough.all():
        return selected, shingle_counts
    # Rare texts shorter than one shingle: compute them alone and splice them in place.
    pieces: list[U64] = []
    cursor = 0
    for index, count in enumerate(counts.tolist()):
        if count >= width:
            pieces.append(selected[cursor : cursor + count - width + 1])
            cursor += count - width + 1
        else:
            start = int(word_starts[index])
            pieces.append(_shingles_of_hashes(hashes[start : start + count]))
    return (np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)), shingle_counts


def _per_text(hashes: U64, counts: npt.NDArray[np.int64]) -> U64:
    pieces, start = [], 0
    for count in counts.tolist():
        pieces.append(_shingles_of_hashes(hashes[start : start + count]))
        start += count
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.uint64)


# -- signatures -------------------------------------------------------------------------------
# One-permutation MinHash with densification (Shrivastava and Li, 2014; rotation variant): one
# hash per shingle, its top 7 bits choose one of 128 bins and the next 32 bits are the value;
# each bin keeps its minimum. An empty bin borrows the value of the next non-empty bin to its
# right (circularly), shifted by a constant per step, so that equal bins still estimate Jaccard.
# It costs one hash per shingle instead of 128, which is what makes 10,000 articles/s possible.


@dataclass(frozen=True, slots=True)
class Signatures:
    """MinHash signatures of a batch: ``values[i]`` is article i's (``NUM_PERM`` uint32 values)."""

    values: U32
    # shingle counts; 0 marks an empty text, whose signature matches nothing
    sizes: npt.NDArray[np.int64]


def signatures(shingle_sets: Sequence[U64]) -> Signatures:
    """MinHash signatures of many shingle-hash arrays, one vectorised pass for the whole batch."""
    sizes = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
    flat = np.concatenate(shingle_sets) if len(shingle_sets) else np.zeros(0, dtype=np.uint64)
    return signatures_of_flat(flat, sizes)


def signatures_of_flat(flat: U64, sizes: npt.NDArray[np.int64]) -> Signatures:
    """Signatures from concatenated shingle hashes and per-text counts (see :func:`shingle_batch`)."""
    count = len(sizes)
    owner = np.repeat(np.arange(count, dtype=np.int64), sizes)
    bins = (flat >> np.uint64(57)).astype(np.int64)
    values = ((flat >> np.uint64(25)) & np.uint64(0xFFFFFFFE)).astype(np.uint32)
    flat_table = np.full(count * NUM_PERM, _EMPTY, dtype=np.uint32)
    np.minimum.at(flat_table, owner * NUM_PERM + bins, values)
    table: U32 = flat_table.reshape(count, NUM_PERM)
    _densify(table, sizes)
    return Signatures(table, sizes)


def _densify(table: U32, sizes: npt.NDArray[np.int64]) -> None:
    rows = np.flatnonzero((table == _EMPTY).any(axis=1) & (sizes > 0))
    if len(rows) == 0:
        return
    sub = table[rows]
    filled = sub != _EMPTY
    positions = np.arange(NUM_PERM)
    # Index of the next filled bin at or after each bin, looking around the end once.
    doubled = np.where(np.concatenate((filled, filled), axis=1), np.arange(2 * NUM_PERM), 2 * NUM_PERM)
    nearest = np.minimum.accumulate(doubled[:, ::-1], axis=1)[:, ::-1][:, :NUM_PERM]
    distance = (nearest - positions).astype(np.uint32)
    source = np.take_along_axis(sub, nearest % NUM_PERM, axis=1)
    with np.errstate(over="ignore"):
        shifted = (source + distance * _DENSIFY_STEP) & np.uint32(0xFFFFFFFE)
    table[rows] = np.where(filled, sub, shifted)


def signature_of(text: str) -> U32:
    """The MinHash signature of one text."""
    return signatures([shingle_hashes(text)]).values[0]


def band_keys(values: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """LSH band keys, shape (n, ``BANDS``): a signed 64-bit hash of each band's rows and its index."""
    rows = values.reshape(len(values), BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = np.broadcast_to(np.arange(1, BANDS + 1, dtype=np.uint64), (len(values), BANDS)).copy()
        for row in range(ROWS):
            acc = acc * _BAND_MULT + rows[:, :, row]
        return _mix(acc).view(np.int64)


def estimated_jaccard(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> float:
    """The share of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def jaccard(a: U64, b: U64) -> float:
    """Exact Jaccard similarity of two shingle-hash collections (as sets)."""
    set_a, set_b = np.unique(a), np.unique(b)
    if len(set_a) == 0 or len(set_b) == 0:
        return 0.0
    shared = len(np.intersect1d(set_a, set_b, assume_unique=True))
    return shared / (len(set_a) + len(set_b) - shared)


def lsh_candidates(
    keys: npt.NDArray[np.int64], *, sizes: npt.NDArray[np.int64] | None = None, max_bucket: int = 200
) -> npt.NDArray[np.int64]:
    """Candidate pairs ``(i, j)``, i < j, sharing at least one band key, each pair once.

    Texts whose shingle count in ``sizes`` is 0 (empty texts) match nothing. Buckets larger than
    ``max_bucket`` (boilerplate shared by hundreds of texts) are skipped.
    """
    n = len(keys)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    owners = np.repeat(np.arange(n, dtype=np.int64), keys.shape[1])
    flat = keys.ravel()
    if sizes is not None:
        present = np.repeat(sizes > 0, keys.shape[1])
        flat, owners = flat[present], owners[present]
        if len(flat) == 0:
            return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(flat)
    flat, owners = flat[order], owners[order]
    # Keep only entries of buckets with two to max_bucket members.
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    sizes = np.diff(np.concatenate((starts, [len(flat)])))
    bucket_size = np.repeat(sizes, sizes)
    keep = (bucket_size > 1) & (bucket_size <= max_bucket)
    flat, owners = flat[keep], owners[keep]
    pairs: list[npt.NDArray[np.int64]] = []
    # Pair each entry with the one k places later while they share the bucket: one vectorised
    # step per k, and k never exceeds the largest bucket kept.
    for step in range(1, max_bucket):
        if step >= len(flat):
            break
        same = flat[step:] == flat[:-step]
        if not same.any():
            break
        left, right = owners[:-step][same], owners[step:][same]
        pairs.append(np.stack((np.minimum(left, right), np.maximum(left, right)), axis=1))
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    found = np.concatenate(pairs)
    found = found[found[:, 0] != found[:, 1]]
    codes = np.unique(found[:, 0] * n + found[:, 1])
    return np.stack((codes // n, codes % n), axis=1)


class UnionFind:
    """Disjoint sets over integers 0..n-1, with path halving and union by size."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> int:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        if self.size[root_a] < self.size[root_b]:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]
        return root_a


def cluster_pairs(size: int, pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components (of two or more members) of ``pairs`` over 0..size-1, each sorted."""
    forest = UnionFind(size)
    for a, b in pairs:
        forest.union(a, b)
    groups: dict[int, list[int]] = {}
    for item in range(size):
        groups.setdefault(forest.find(item), []).append(item)
    return sorted((members for members in groups.values() if len(members) > 1), key=lambda m: m[0])


def verified_pairs(
    values: npt.NDArray[np.uint32], candidates: npt.NDArray[np.int64], *, threshold: float
) -> list[tuple[int, int, float]]:
    """Candidate pairs whose estimated Jaccard is at least ``threshold``, with the estimate."""
    if len(candidates) == 0:
        return []
    equal = (values[candidates[:, 0]] == values[candidates[:, 1]]).sum(axis=1) / NUM_PERM
    keep = np.flatnonzero(equal >= threshold)
    return [(int(candidates[k, 0]), int(candidates[k, 1]), float(equal[k])) for k in keep]
