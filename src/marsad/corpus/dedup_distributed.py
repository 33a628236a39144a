"""Near-duplicate detection on a Dask cluster, with the same result as :mod:`marsad.corpus.dedup`.

The corpus is a ``dask.bag`` of ``(index, text)`` records (indexes are distinct integers). Four
shardable stages, each a bag operation:

1. per partition: shingles and MinHash signatures (``dedup.shingle_batch``, ``signatures_of_flat``)
   as one chunk of numpy arrays, and the LSH band keys of each text (``dedup.band_keys``);
2. a shuffle of the ``(band key, index)`` entries by key (``groupby`` on the key's group), so that
   every bucket meets whole; each group's buckets of 2 to ``max_bucket`` entries give their pairs
   (``dedup.lsh_candidates`` over the entries);
3. verification as a join: a shuffle by the pair's first index brings the pairs (made distinct
   there) together with that article's signature, a shuffle by the second index with the other's,
   and the estimated Jaccard is compared to the threshold as ``dedup.verified_pairs`` does;
4. the verified pairs come back to the driver and are joined into clusters by union-find
   (``dedup.cluster_pairs``): a few pairs per article, so this fits one machine long after the
   signatures do not.

Shuffled elements are numpy arrays cut per destination group, not one Python object per entry.
Only the 16-byte band entries travel in the big shuffle; a signature (512 bytes) travels once
per partition and once per candidate pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from marsad.corpus import dedup

__all__ = ["NearDuplicates", "near_duplicates", "near_duplicates_of_bag", "near_duplicates_single"]

# The same defaults as the single-machine functions (lsh_candidates' max_bucket).
DEFAULT_THRESHOLD = 0.5
DEFAULT_MAX_BUCKET = 200

Record = tuple[int, str]


@dataclass(frozen=True, slots=True)
class NearDuplicates:
    """Verified pairs ``(a, b, estimated Jaccard)`` with a < b, sorted, and their clusters."""

    pairs: list[tuple[int, int, float]]
    clusters: list[list[int]]


def near_duplicates_single(
    texts: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD, max_bucket: int = DEFAULT_MAX_BUCKET
) -> NearDuplicates:
    """The single-machine result: :mod:`marsad.corpus.dedup` on the whole set; indexes are positions."""
    flat, sizes = dedup.shingle_batch(list(texts))
    signatures = dedup.signatures_of_flat(flat, sizes)
    keys = dedup.band_keys(signatures.values)
    candidates = dedup.lsh_candidates(keys, sizes=sizes, max_bucket=max_bucket)
    pairs = sorted(dedup.verified_pairs(signatures.values, candidates, threshold=threshold))
    return NearDuplicates(pairs, dedup.cluster_pairs(len(texts), ((a, b) for a, b, _ in pairs)))


def near_duplicates(
    texts: Sequence[str],
    *,
    partitions: int,
    threshold: float = DEFAULT_THRESHOLD,
    max_bucket: int = DEFAULT_MAX_BUCKET,
    client: Any = None,
) -> NearDuplicates:
    """The distributed result for a list of texts (indexes are positions), in ``partitions`` parts."""
    import dask.bag as bag

    records = bag.from_sequence(list(enumerate(texts)), npartitions=max(1, partitions))
    return near_duplicates_of_bag(records, threshold=threshold, max_bucket=max_bucket, client=client)


def near_duplicates_of_bag(
    records: Any,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_bucket: int = DEFAULT_MAX_BUCKET,
    client: Any = None,
    shuffle_partitions: int | None = None,
) -> NearDuplicates:
    """Near-duplicates of a bag of ``(index, text)`` records, on ``client`` (or in threads here).

    ``shuffle_partitions`` is how many groups each shuffle makes (default: the bag's partitions).
    """
    import dask.bag as bag

    groups = shuffle_partitions or records.npartitions
    # Stage 1: one chunk of numpy arrays per partition (indexes, signatures, shingle counts).
    chunks = records.map_partitions(_sign_partition)
    # Stage 2: band entries travel to the group of their key, so every bucket meets whole.
    entries = chunks.map_partitions(_route_band_entries, groups=groups)
    pairs = entries.groupby(_first, npartitions=groups, shuffle="tasks").map_partitions(
        _bucket_pairs, groups=groups, max_bucket=max_bucket
    )
    # Stage 3: pairs meet the signature of their first member, then of their second.
    signatures_by_index = chunks.map_partitions(_route_signatures, groups=groups)
    with_left = (
        bag.concat([signatures_by_index, pairs])
        .groupby(_first, npartitions=groups, shuffle="tasks")
        .map_partitions(_attach_left, groups=groups)
    )
    verified = (
        bag.concat([signatures_by_index, with_left])
        .groupby(_first, npartitions=groups, shuffle="tasks")
        .map_partitions(_compare, threshold=threshold)
    )
    if client is not None:
        (found,) = client.compute([verified], sync=True)
    else:
        import dask

        # Without a cluster, threads: the bag default (processes) costs seconds to start.
        (found,) = dask.compute(verified, scheduler="threads")
    pairs_found = sorted((int(a), int(b), float(score)) for chunk in found for a, b, score in chunk)
    return NearDuplicates(pairs_found, _clusters(pairs_found))


def _clusters(pairs: Sequence[tuple[int, int, float]]) -> list[list[int]]:
    """Union-find over the verified pairs. Articles in no pair are in no cluster, so only
    the members of pairs are numbered, in increasing order, which keeps dedup's ordering."""
    members = sorted({a for a, _, _ in pairs} | {b for _, b, _ in pairs})
    position = {index: rank for rank, index in enumerate(members)}
    groups = dedup.cluster_pairs(len(members), ((position[a], position[b]) for a, b, _ in pairs))
    return [[members[rank] for rank in group] for group in groups]


# -- the partition functions (run on workers) ----------------------------------------------------
# Every bag element after stage 1 is a chunk of numpy arrays tagged with the group it goes to:
# the shuffles move a few arrays per pair of partitions, not one Python object per entry.

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def _group_of(values: I64, groups: int) -> I64:
    # Band keys are signed; their unsigned view spreads evenly over the groups.
    return (values.view(np.uint64) % np.uint64(groups)).astype(np.int64)


def _split(target: I64, groups: int, *arrays: Any) -> list[tuple[Any, ...]]:
    """Cut parallel arrays into one tagged piece per group that has rows."""
    order = np.argsort(target, kind="stable")
    bounds = np.searchsorted(target[order], np.arange(groups + 1))
    pieces = []
    for group in range(groups):
        rows = order[bounds[group] : bounds[group + 1]]
        if len(rows):
            pieces.append((group, *(array[rows] for array in arrays)))
    return pieces


def _sign_partition(records: Iterable[Record]) -> list[tuple[I64, U32, I64]]:
    rows = list(records)
    if not rows:
        return []
    flat, sizes = dedup.shingle_batch([text for _, text in rows])
    values = dedup.signatures_of_flat(flat, sizes).values
    indexes = np.fromiter((index for index, _ in rows), dtype=np.int64, count=len(rows))
    return [(indexes, values, sizes.astype(np.int64))]


def _route_band_entries(chunks: Iterable[tuple[I64, U32, I64]], *, groups: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for indexes, values, sizes in chunks:
        present = sizes > 0  # an empty text matches nothing, as in dedup.lsh_candidates
        if not present.any():
            continue
        keys = dedup.band_keys(values[present])
        owners = np.repeat(indexes[present], keys.shape[1])
        flat = keys.ravel()
        out.extend(_split(_group_of(flat, groups), groups, flat, owners))
    return out


def _bucket_pairs(
    grouped: Iterable[tuple[int, list[tuple[int, I64, I64]]]], *, groups: int, max_bucket: int
) -> list[tuple[Any, ...]]:
    """Candidate pairs (a < b) of each group's buckets, routed to the group of ``a``."""
    out: list[tuple[Any, ...]] = []
    for _group, pieces in grouped:
        keys = np.concatenate([piece[1] for piece in pieces])
        owners = np.concatenate([piece[2] for piece in pieces])
        # Each entry is one row of one band: dedup's own bucketing, over entries instead of articles.
        positions = dedup.lsh_candidates(keys.reshape(-1, 1), max_bucket=max_bucket)
        if len(positions) == 0:
            continue
        left, right = owners[positions[:, 0]], owners[positions[:, 1]]
        pairs = np.stack((np.minimum(left, right), np.maximum(left, right)), axis=1)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        out.extend(
            (group, "pairs", rows) for group, rows in _split(_group_of(pairs[:, 0], groups), groups, pairs)
        )
    return out


def _route_signatures(chunks: Iterable[tuple[I64, U32, I64]], *, groups: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for indexes, values, _sizes in chunks:
        out.extend(
            (group, "signatures", rows, signatures)
            for group, rows, signatures in _split(_group_of(indexes, groups), groups, indexes, values)
        )
    return out


def _signature_table(pieces: Sequence[tuple[Any, ...]]) -> tuple[I64, U32]:
    tables = [piece for piece in pieces if piece[1] == "signatures"]
    if not tables:
        return np.zeros(0, dtype=np.int64), np.zeros((0, dedup.NUM_PERM), dtype=np.uint32)
    indexes = np.concatenate([piece[2] for piece in tables])
    values = np.concatenate([piece[3] for piece in tables])
    order = np.argsort(indexes)
    return indexes[order], values[order]


def _attach_left(
    grouped: Iterable[tuple[int, list[tuple[Any, ...]]]], *, groups: int
) -> list[tuple[Any, ...]]:
    """Distinct pairs of this group, each with the signature of ``a``, routed to the group of ``b``."""
    out: list[tuple[Any, ...]] = []
    for _group, pieces in grouped:
        found = [piece[2] for piece in pieces if piece[1] == "pairs"]
        if not found:
            continue
        pairs = np.unique(np.concatenate(found), axis=0)
        indexes, values = _signature_table(pieces)
        left = values[np.searchsorted(indexes, pairs[:, 0])]
        out.extend(
            (group, "left", rows, signatures)
            for group, rows, signatures in _split(_group_of(pairs[:, 1], groups), groups, pairs, left)
        )
    return out


def _compare(
    grouped: Iterable[tuple[int, list[tuple[Any, ...]]]], *, threshold: float
) -> list[list[tuple[int, int, float]]]:
    out: list[list[tuple[int, int, float]]] = []
    for _group, pieces in grouped:
        halves = [piece for piece in pieces if piece[1] == "left"]
        if not halves:
            continue
        pairs = np.concatenate([piece[2] for piece in halves])
        left = np.concatenate([piece[3] for piece in halves])
        indexes, values = _signature_table(pieces)
        right = values[np.searchsorted(indexes, pairs[:, 1])]
        # The same arithmetic as dedup.verified_pairs, so equal inputs give equal floats.
        equal = (left == right).sum(axis=1) / dedup.NUM_PERM
        keep = np.flatnonzero(equal >= threshold)
        out.append([(int(pairs[k, 0]), int(pairs[k, 1]), float(equal[k])) for k in keep])
    return out
