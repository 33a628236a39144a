"""Word clusters for the NER model, learnt from unlabelled Arabic news.

Names that never occur in the labelled data still occur in news at large, in the same contexts as
the names that do. Word2vec vectors trained on the unlabelled corpora and grouped with k-means at
three granularities give every such word a cluster id the tagger can use. The same pass records
how often each word is seen with the article ال, a cue that separates names (rarely definite) from
common nouns.

The table shipped with the package is ``models/data/ner_clusters.tsv.gz``:
``word<TAB>count<TAB>definite<TAB>after_title<TAB>name_link<TAB>after_place<TAB>after_org<TAB>c32<TAB>c128<TAB>c512``
on normalised words; the five shares say how often the word is seen with ال, right after a title,
next to a name connector (بن، أبو …), after a place preposition or cue, after an organisation head.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "ClusterTable",
    "ContextCues",
    "build_cluster_table",
    "iter_corpus_texts",
    "normalise_word",
    "tokenise_for_clusters",
]

# Feature-side normalisation: alef forms, alef maqsura, ta marbuta and hamza carriers folded,
# diacritics and tatweel dropped, Arabic-Indic digits mapped to ASCII. Kept local and tiny because
# it runs once per distinct word and must not depend on the text layer's offset machinery.
_FOLD: dict[int, str | None] = {
    ord(k): v
    for k, v in {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}.items()
}
_FOLD.update({c: None for c in range(0x064B, 0x0660)})
_FOLD.update({0x0670: None, 0x0640: None, 0x200C: None, 0x200D: None, 0x200E: None, 0x200F: None})
_FOLD.update({0x0660 + d: str(d) for d in range(10)})
_FOLD.update({0x06F0 + d: str(d) for d in range(10)})

_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_DIGITS_RE = re.compile(r"\d")

# ANT stores the body in "text", SaudiNewsNet in "content"; other JSONL files may use either.
_TEXT_FIELDS = ("text", "content")


def normalise_word(word: str) -> str:
    """Fold a word for lexical features and lookups (digits become 0 so numbers share entries)."""
    folded = word.translate(_FOLD)
    return _DIGITS_RE.sub("0", folded) if any(ch.isdigit() for ch in folded) else folded


def tokenise_for_clusters(text: str) -> list[str]:
    """Split text into normalised word and punctuation tokens, as ANERcorp separates them."""
    return [normalise_word(tok) for tok in _TOKEN_RE.findall(text.translate(_FOLD))]


def iter_corpus_texts(paths: Iterable[Path]) -> Iterator[str]:
    """Stream article texts from gzip (or plain) JSONL corpora."""
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                for field in _TEXT_FIELDS:
                    value = record.get(field)
                    if isinstance(value, str) and value:
                        yield value
                        break


@dataclass(frozen=True, slots=True)
class ClusterEntry:
    count: int
    definite_share: float
    # after a title, next to a name connector, after a place cue, after an organisation head
    contexts: tuple[float, float, float, float]
    # c32, c128, c512, then any finer levels the table has (build_cluster_table's ``finer``)
    clusters: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ContextCues:
    """Normalised cue words whose neighbours the table counts."""

    titles: frozenset[str]
    connectors: frozenset[str]
    places: frozenset[str]
    org_heads: frozenset[str]


class ClusterTable:
    """Lookup from a normalised word to its corpus count, ال share and cluster ids."""

    def __init__(self, entries: dict[str, ClusterEntry]) -> None:
        self.entries = entries

    def get(self, word: str) -> ClusterEntry | None:
        return self.entries.get(word)

    def count(self, word: str) -> int:
        entry = self.entries.get(word)
        return entry.count if entry else 0

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def read(cls, path: Path) -> ClusterTable:
        """Read a table written by :func:`build_cluster_table`."""
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return cls.from_lines(handle)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> ClusterTable:
        entries: dict[str, ClusterEntry] = {}
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 10 or line.startswith("#"):
                continue
            word, count, share, t, n, p, o, *levels = parts
            entries[word] = ClusterEntry(
                int(count),
                float(share),
                (float(t), float(n), float(p), float(o)),
                tuple(int(c) for c in levels),
            )
        return cls(entries)


class CorpusCounts(NamedTuple):
    """What :func:`write_cluster_corpus` counted while writing the corpus file."""

    words: Counter[str]
    # per word, how often it follows a title, a name connector, a place cue, an organisation head
    contexts: dict[str, list[int]]
    tokens: int
    # the sentences word2vec reads from the file (a line of more than MAX_SENTENCE tokens is several)
    sentences: int
    # the size of the file's last part, the extra texts (the corpora's text is the bytes before it)
    extra_bytes: int = 0


# word2vec's longest sentence; LineSentence cuts longer lines into pieces this long
MAX_SENTENCE = 10_000


def _stable_hash(text: str) -> int:
    # gensim seeds nothing from this in 4.x, but pass a process-independent hash so runs never
    # depend on PYTHONHASHSEED.
    return zlib.crc32(text.encode("utf-8"))


def build_cluster_table(
    *,
    corpora: list[Path],
    out_path: Path,
    cues: ContextCues,
    extra_texts: Iterable[str] = (),
    vector_size: int = 64,
    epochs: int = 3,
    window: int = 4,
    skipgram: bool = False,
    min_count: int = 5,
    max_words: int = 80_000,
    seed: int = 1,
    finer: tuple[int, ...] = (),
    vectors_out: Path | None = None,
    sample: float = 1e-3,
    shards: int = 1,
    rounds: int = 8,
    workers: int = 1,
    after: Callable[[Path, int], None] | None = None,
) -> dict[str, float]:
    """Train word2vec on the corpora, cluster the vocabulary and write the table.

    ``finer`` adds columns of finer k-means partitions of the same vectors (e.g. 2048 classes),
    after c512; ``vectors_out`` keeps the word vectors (gensim ``KeyedVectors``); ``sample`` is word2vec's
    down-sampling threshold for frequent words; ``shards`` and ``rounds`` shape word2vec's sharded
    training (:func:`train_sharded`; one shard is gensim's own loop). Deterministic: every word2vec
    shard and k-means on one thread, fixed seeds; ``workers`` processes read the corpora
    (:func:`write_cluster_corpus`) and train the shards side by side, and the files do not depend on
    them. ``after`` is called with the corpus file and the size of its corpora's part (the extra
    texts follow) once the table is written, while the file still exists. Returns a few figures for
    the training log.
    """
    import time

    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = Path(tmp) / "corpus.txt"
        started = time.perf_counter()
        counted = write_cluster_corpus(
            corpora=corpora, out_path=corpus_file, cues=cues, extra_texts=extra_texts, workers=workers
        )
        corpus_seconds = time.perf_counter() - started
        vocabulary = cluster_vectors_to_table(
            corpus_file=corpus_file,
            counts=counted.words,
            contexts=counted.contexts,
            sentences=counted.sentences,
            out_path=out_path,
            vector_size=vector_size,
            epochs=epochs,
            window=window,
            skipgram=skipgram,
            min_count=min_count,
            max_words=max_words,
            seed=seed,
            finer=finer,
            vectors_out=vectors_out,
            sample=sample,
            shards=shards,
            rounds=rounds,
            workers=workers,
        )
        vectors_seconds = time.perf_counter() - started - corpus_seconds
        if after is not None:
            after(corpus_file, corpus_file.stat().st_size - counted.extra_bytes)
    return {
        "tokens": float(counted.tokens),
        "vocabulary": float(vocabulary),
        "corpus_seconds": round(corpus_seconds, 1),
        "vectors_seconds": round(vectors_seconds, 1),
    }


def write_cluster_corpus(
    *,
    corpora: list[Path],
    out_path: Path,
    cues: ContextCues,
    extra_texts: Iterable[str] = (),
    workers: int = 1,
) -> CorpusCounts:
    """Write the normalised training text, one paragraph a line; return what was counted meanwhile
    (words, cue contexts, tokens and word2vec's sentences).

    With ``workers`` > 1 the corpora are read in that many processes, one file each, and their parts
    joined in the corpora's order: the file and the counts are the same as with one.
    """
    import shutil

    extra_path = out_path.with_name(f"{out_path.name}.extra")
    if workers > 1 and len(corpora) > 1:
        from concurrent.futures import ProcessPoolExecutor

        parts = [out_path.with_name(f"{out_path.name}.part{number}") for number in range(len(corpora))]
        # the platform's start method (see ner_hints.cross_fitted_with_network)
        with ProcessPoolExecutor(max_workers=min(workers, len(corpora))) as pool:
            futures = [
                pool.submit(_write_part, corpus, part, cues)
                for corpus, part in zip(corpora, parts, strict=True)
            ]
            # the labelled text (small) is written here meanwhile
            extra = _write_part_texts(extra_texts, extra_path, cues)
            results = [future.result() for future in futures]
    else:
        parts = [out_path.with_name(f"{out_path.name}.part0")]
        results = [_write_part_texts(iter_corpus_texts(corpora), parts[0], cues)]
        extra = _write_part_texts(extra_texts, extra_path, cues)
    counts: Counter[str] = Counter()
    contexts: dict[str, list[int]] = {}
    n_tokens = n_sentences = 0
    extra_bytes = extra_path.stat().st_size
    with open(out_path, "wb") as out:
        # words first met in an earlier part come first in the Counter, as in one reading of all
        for path, part in zip([*parts, extra_path], [*results, extra], strict=True):
            counts.update(part.words)
            n_sentences += part.sentences
            for word, seen in part.contexts.items():
                total = contexts.setdefault(word, [0, 0, 0, 0])
                for k, n in enumerate(seen):
                    total[k] += n
            n_tokens += part.tokens
            with open(path, "rb") as handle:
                shutil.copyfileobj(handle, out)
            path.unlink()
    return CorpusCounts(counts, contexts, n_tokens, n_sentences, extra_bytes)


def _write_part(corpus: Path, out_path: Path, cues: ContextCues) -> CorpusCounts:
    return _write_part_texts(iter_corpus_texts([corpus]), out_path, cues)


def _write_part_texts(texts: Iterable[str], out_path: Path, cues: ContextCues) -> CorpusCounts:
    counts: Counter[str] = Counter()
    contexts: dict[str, list[int]] = {}
    n_tokens = n_sentences = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for text in texts:
            for paragraph in text.split("\n"):
                tokens = tokenise_for_clusters(paragraph)
                if len(tokens) < 3:
                    continue
                counts.update(tokens)
                _count_contexts(tokens, cues, contexts)
                n_tokens += len(tokens)
                n_sentences += -(-len(tokens) // MAX_SENTENCE)
                out.write(" ".join(tokens))
                out.write("\n")
    return CorpusCounts(counts, contexts, n_tokens, n_sentences)


class _Piece:
    """The word2vec sentences of the bytes ``start``–``end`` of a corpus file, read as
    ``LineSentence`` reads them (a line split on white space, cut every ``MAX_SENTENCE`` tokens)."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self.path, self.start, self.end = path, start, end

    def __iter__(self) -> Iterator[list[str]]:
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            position = self.start
            while position < self.end:
                line = handle.readline()
                if not line:
                    return
                position += len(line)
                words = line.decode("utf-8").split()
                for start in range(0, len(words), MAX_SENTENCE):
                    yield words[start : start + MAX_SENTENCE]


def _cut_pieces(path: Path, count: int) -> list[tuple[int, int, int, int]]:
    """Cut ``path`` at line ends into ``count`` pieces of about equal size: (start, end, words,
    sentences) each."""
    import os

    size = os.path.getsize(path)
    bounds = [0]
    with open(path, "rb") as handle:
        for number in range(1, count):
            handle.seek(size * number // count)
            handle.readline()
            bounds.append(max(handle.tell(), bounds[-1]))
    bounds.append(size)
    pieces = []
    for start, end in itertools.pairwise(bounds):
        words = sentences = 0
        for sentence in _Piece(path, start, end):
            words += len(sentence)
            sentences += 1
        pieces.append((start, end, words, sentences))
    return pieces


def _train_piece(
    model: Any, path: Path, piece: tuple[int, int, int, int], alphas: tuple[float, float]
) -> None:
    start, end, words, sentences = piece
    if not sentences:
        return
    model.train(
        _Piece(path, start, end),
        total_examples=sentences,
        total_words=words,
        epochs=1,
        start_alpha=alphas[0],
        end_alpha=alphas[1],
    )


def _shard_worker(
    shard: int, connection: Any, model: Any, arrays: Any, current: Any, path: Path, pieces: list[Any]
) -> None:
    """One shard's process: on each step, copy the current weights, train them on a piece, report."""
    import numpy as np

    shape = model.wv.vectors.shape
    model.wv.vectors, model.syn1neg = (np.frombuffer(a, dtype=np.float32).reshape(shape) for a in arrays)
    now_vectors, now_context = (np.frombuffer(a, dtype=np.float32).reshape(shape) for a in current)
    model.random = np.random.RandomState(model.seed + 1 + shard)
    while (step := connection.recv()) is not None:
        piece, alphas = step
        model.wv.vectors[:] = now_vectors
        model.syn1neg[:] = now_context
        _train_piece(model, path, pieces[piece], alphas)
        # the change, worked out here so that the shards do it side by side
        model.wv.vectors -= now_vectors
        model.syn1neg -= now_context
        connection.send(piece)


def _merge_shards(now: Any, deltas: list[Any]) -> None:
    """Move ``now`` (a weight matrix) row by row by the mean of the shards' changes ``deltas`` among
    the shards that changed that row: a word one shard saw moves as that shard moved it, a word both
    saw by their mean. ``deltas`` are overwritten."""
    import numpy as np

    changed = np.zeros(len(now), dtype=np.float32)
    for delta in deltas:
        changed += delta.any(axis=1)
    np.maximum(changed, 1, out=changed)
    total = deltas[0]
    for delta in deltas[1:]:
        total += delta
    total /= changed[:, None]
    now += total


def train_sharded(model: Any, *, corpus_file: Path, shards: int, rounds: int, workers: int = 1) -> None:
    """Train gensim word2vec ``model`` (vocabulary built, one worker thread) on ``corpus_file``,
    ``shards`` pieces at a time: deterministic, and with ``workers`` ≥ ``shards`` about that many times
    as fast as one thread.

    The file is cut into ``shards × rounds`` pieces of about equal size. Each epoch has ``rounds``
    steps; in a step every shard trains a copy of the current weights on its own piece (the step's
    slice of the learning-rate schedule), and each row of the current weights moves by the mean
    change of the shards that changed it (:func:`_merge_shards`; model averaging as Spark's word2vec
    does it, against a fixed meeting point instead of word2vec's own racing threads). Each shard
    keeps its own random state, so the weights do not depend on ``workers``: with fewer workers than
    shards the shards run one after the other, in the same arithmetic.
    """
    import numpy as np

    pieces = _cut_pieces(corpus_file, shards * rounds)
    steps = model.epochs * rounds
    alphas = [model.alpha - (model.alpha - model.min_alpha) * step / steps for step in range(steps + 1)]
    # step k trains pieces (k % rounds) * shards … + shards - 1 from alphas[k] down to alphas[k + 1]
    if workers < shards:
        now_vectors = model.wv.vectors.copy()
        now_context = model.syn1neg.copy()
        states = [np.random.RandomState(model.seed + 1 + shard) for shard in range(shards)]
        for step in range(steps):
            deltas = []
            for shard in range(shards):
                model.wv.vectors[:] = now_vectors
                model.syn1neg[:] = now_context
                model.random = states[shard]
                piece = pieces[(step % rounds) * shards + shard]
                _train_piece(model, corpus_file, piece, (alphas[step], alphas[step + 1]))
                deltas.append((model.wv.vectors - now_vectors, model.syn1neg - now_context))
            _merge_shards(now_vectors, [matrix for matrix, _ in deltas])
            _merge_shards(now_context, [matrix for _, matrix in deltas])
    else:
        now_vectors, now_context = _train_in_processes(
            model, corpus_file=corpus_file, pieces=pieces, alphas=alphas, shards=shards, rounds=rounds
        )
    model.wv.vectors[:] = now_vectors
    model.syn1neg[:] = now_context
    model.wv.norms = None


def _train_in_processes(
    model: Any, *, corpus_file: Path, pieces: list[Any], alphas: list[float], shards: int, rounds: int
) -> tuple[Any, Any]:
    """:func:`train_sharded`'s steps with each shard in a process of its own; returns the final
    vectors and context weights."""
    import multiprocessing

    import numpy as np

    shape = model.wv.vectors.shape
    context = multiprocessing.get_context()  # the platform's start method, as elsewhere in training
    size = shape[0] * shape[1]
    current = [context.RawArray("f", size), context.RawArray("f", size)]
    now_vectors, now_context = (np.frombuffer(a, dtype=np.float32).reshape(shape) for a in current)
    now_vectors[:] = model.wv.vectors
    now_context[:] = model.syn1neg
    arrays = [[context.RawArray("f", size), context.RawArray("f", size)] for _ in range(shards)]
    views = [[np.frombuffer(a, dtype=np.float32).reshape(shape) for a in pair] for pair in arrays]
    connections, processes = [], []
    try:
        for shard in range(shards):
            here, there = context.Pipe()
            process = context.Process(
                target=_shard_worker,
                args=(shard, there, model, arrays[shard], current, corpus_file, pieces),
                daemon=True,
            )
            process.start()
            connections.append(here)
            processes.append(process)
        for step in range(len(alphas) - 1):
            for shard, connection in enumerate(connections):
                connection.send(((step % rounds) * shards + shard, (alphas[step], alphas[step + 1])))
            for connection in connections:
                connection.recv()
            # the shards left their changes in ``views``: the same arithmetic, in the same order, as
            # train_sharded's one-process loop
            _merge_shards(now_vectors, [matrix for matrix, _ in views])
            _merge_shards(now_context, [matrix for _, matrix in views])
        for connection in connections:
            connection.send(None)
        for process in processes:
            process.join()
    except EOFError as exc:
        raise RuntimeError("a word2vec shard process ended early") from exc
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
    return now_vectors, now_context


def cluster_vectors_to_table(
    *,
    corpus_file: Path,
    counts: Counter[str],
    contexts: dict[str, list[int]],
    out_path: Path,
    vector_size: int,
    epochs: int,
    window: int,
    skipgram: bool,
    min_count: int,
    max_words: int,
    seed: int,
    finer: tuple[int, ...] = (),
    vectors_out: Path | None = None,
    sample: float = 1e-3,
    sentences: int | None = None,
    shards: int = 1,
    rounds: int = 8,
    workers: int = 1,
) -> int:
    """Train word2vec on ``corpus_file``, cluster the ``max_words`` most frequent words and write
    the table; returns the number of words written. ``vectors_out`` keeps the word2vec vectors
    (gensim ``KeyedVectors``) for experiments.

    With ``sentences`` (the number of word2vec sentences in the file) the vocabulary is taken from
    ``counts``, which must be the file's token counts, instead of a reading of the file: the same
    vocabulary, order and vectors, one pass fewer. With ``shards`` > 1 word2vec trains that many
    pieces at a time (:func:`train_sharded`, ``rounds`` steps an epoch), in ``workers`` processes
    when there are as many; the vectors depend on ``shards`` and ``rounds``, not on ``workers``."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    options: dict[str, Any] = dict(
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=1 if skipgram else 0,
        negative=5,
        sample=sample,
        epochs=epochs,
        workers=1,
        seed=seed,
        hashfxn=_stable_hash,
        sorted_vocab=True,
    )
    corpus = LineSentence(str(corpus_file), max_sentence_length=MAX_SENTENCE)
    if shards > 1:
        model = Word2Vec(**options)
        if sentences is None:
            model.build_vocab(corpus)
        else:
            model.build_vocab_from_freq(counts, corpus_count=sentences)
        train_sharded(model, corpus_file=corpus_file, shards=shards, rounds=rounds, workers=workers)
    elif sentences is None:
        model = Word2Vec(corpus, **options)
    else:
        model = Word2Vec(**options)
        # a Counter's order is first appearance, as gensim's own reading of the file finds the words
        model.build_vocab_from_freq(counts, corpus_count=sentences)
        model.train(
            corpus,
            total_examples=model.corpus_count,
            total_words=sum(counts.values()),
            epochs=model.epochs,
            start_alpha=model.alpha,
            end_alpha=model.min_alpha,
        )
    if vectors_out is not None:
        model.wv.save(str(vectors_out))
    words = table_words(model.wv.index_to_key, max_words)
    write_cluster_table(
        words=words,
        vectors=[model.wv[w] for w in words],
        counts=counts,
        contexts=contexts,
        out_path=out_path,
        seed=seed,
        finer=finer,
    )
    return len(words)


def table_words(vocabulary: Iterable[str], max_words: int) -> list[str]:
    """The words a table keeps: the most frequent ones holding a letter, in frequency order."""
    return [w for w in vocabulary if any(ch.isalpha() for ch in w)][:max_words]


def write_cluster_table(
    *,
    words: list[str],
    vectors: Iterable[Any],
    counts: Counter[str],
    contexts: dict[str, list[int]],
    out_path: Path,
    seed: int,
    finer: tuple[int, ...] = (),
) -> None:
    """Cluster ``words``' vectors with k-means at three nested granularities and write the table."""
    import numpy as np
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    matrix = np.asarray(list(vectors), dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    # One thread: k-means sums in another order on more threads and can end in other clusters.
    with threadpool_limits(limits=1):
        fine = KMeans(n_clusters=512, n_init=1, random_state=seed, max_iter=60).fit(matrix)
        # Coarser levels cluster the fine centroids, so the three levels nest like a hierarchy.
        centroids = fine.cluster_centers_
        mid = KMeans(n_clusters=128, n_init=4, random_state=seed).fit(centroids).labels_
        coarse = KMeans(n_clusters=32, n_init=4, random_state=seed).fit(centroids).labels_
        finer_labels = [
            KMeans(n_clusters=size, n_init=1, random_state=seed, max_iter=60).fit(matrix).labels_
            for size in finer
        ]

    out_path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes identical between runs.
    with open(out_path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(
            b"# word\tcount\tdefinite\tafter_title\tname_link\tafter_place\tafter_org\tc32\tc128\tc512"
            + "".join(f"\tc{size}" for size in finer).encode("ascii")
            + b"\n"
        )
        for number, (word, label) in enumerate(zip(words, fine.labels_, strict=True)):
            bare = word[2:] if word.startswith("ال") and len(word) > 3 else word
            definite = counts["ال" + bare]
            share = definite / (definite + counts[bare]) if definite + counts[bare] else 0.0
            seen = contexts.get(word, [0, 0, 0, 0])
            shares = "\t".join(f"{n / counts[word]:.2f}" if counts[word] else "0.00" for n in seen)
            levels = "".join(f"\t{labels[number]}" for labels in finer_labels)
            row = f"{word}\t{counts[word]}\t{share:.2f}\t{shares}\t{coarse[label]}\t{mid[label]}\t{label}{levels}\n"
            gz.write(row.encode("utf-8"))


def _count_contexts(tokens: list[str], cues: ContextCues, contexts: dict[str, list[int]]) -> None:
    """Count, per word, the cue contexts it occurs in.

    A title counts one or two words back (الرئيس الفرنسي ماكرون); the other cues one word back. A cue
    may carry the conjunction و (وقال الوزير، ووزارة).
    """

    def bare(word: str) -> str:
        return word[1:] if word.startswith("و") and len(word) > 3 else word

    before2 = before = ""
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        forms = (before, bare(before))
        hits = (
            any(f in cues.titles for f in (*forms, before2, bare(before2))),
            any(f in cues.connectors for f in forms) or following in cues.connectors,
            any(f in cues.places for f in forms),
            any(f in cues.org_heads for f in forms),
        )
        if any(hits):
            seen = contexts.setdefault(token, [0, 0, 0, 0])
            for k, hit in enumerate(hits):
                if hit:
                    seen[k] += 1
        before2, before = before, token
