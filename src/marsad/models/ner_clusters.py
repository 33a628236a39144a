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
import json
import re
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
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
    workers: int = 1,
) -> dict[str, float]:
    """Train word2vec on the corpora, cluster the vocabulary and write the table.

    ``finer`` adds columns of finer k-means partitions of the same vectors (e.g. 2048 classes),
    after c512; ``vectors_out`` keeps the word vectors (gensim ``KeyedVectors``); ``sample`` is word2vec's
    down-sampling threshold for frequent words. Deterministic: word2vec and k-means on one thread, fixed
    seeds; ``workers`` processes only read the corpora (:func:`write_cluster_corpus`). Returns a few
    figures for the training log.
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
        )
    return {
        "tokens": float(counted.tokens),
        "vocabulary": float(vocabulary),
        "corpus_seconds": round(corpus_seconds, 1),
        "vectors_seconds": round(time.perf_counter() - started - corpus_seconds, 1),
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
    if workers > 1 and len(corpora) > 1:
        import shutil
        from concurrent.futures import ProcessPoolExecutor

        parts = [out_path.with_name(f"{out_path.name}.part{number}") for number in range(len(corpora))]
        # the platform's start method (see ner_hints.cross_fitted_with_network)
        with ProcessPoolExecutor(max_workers=min(workers, len(corpora))) as pool:
            futures = [
                pool.submit(_write_part, corpus, part, cues)
                for corpus, part in zip(corpora, parts, strict=True)
            ]
            # the labelled text (small) is written here meanwhile
            extra_path = out_path.with_name(f"{out_path.name}.extra")
            extra = _write_part_texts(extra_texts, extra_path, cues)
            results = [future.result() for future in futures]
        counts: Counter[str] = Counter()
        contexts: dict[str, list[int]] = {}
        n_tokens = n_sentences = 0
        with open(out_path, "wb") as out:
            # words first met in an earlier part come first in the Counter, as with one process
            for path, (part_counts, part_contexts, part_tokens, part_sentences) in zip(
                [*parts, extra_path], [*results, extra], strict=True
            ):
                counts.update(part_counts)
                n_sentences += part_sentences
                for word, seen in part_contexts.items():
                    total = contexts.setdefault(word, [0, 0, 0, 0])
                    for k, n in enumerate(seen):
                        total[k] += n
                n_tokens += part_tokens
                with open(path, "rb") as handle:
                    shutil.copyfileobj(handle, out)
                path.unlink()
        return CorpusCounts(counts, contexts, n_tokens, n_sentences)
    return _write_part_texts(_chain_texts(iter_corpus_texts(corpora), extra_texts), out_path, cues)


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
) -> int:
    """Train word2vec on ``corpus_file``, cluster the ``max_words`` most frequent words and write
    the table; returns the number of words written. ``vectors_out`` keeps the word2vec vectors
    (gensim ``KeyedVectors``) for experiments.

    With ``sentences`` (the number of word2vec sentences in the file) the vocabulary is taken from
    ``counts``, which must be the file's token counts, instead of a reading of the file: the same
    vocabulary, order and vectors, one pass fewer."""
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
    if sentences is None:
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


def _chain_texts(first: Iterable[str], second: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from second
