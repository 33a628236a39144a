"""The corpus store: analysed articles with search and near-duplicate indexes.

``Store.open(path)`` creates or migrates a SQLite file (WAL mode, forward-only migrations);
``Store.open("postgresql://...")`` does the same in a PostgreSQL database, with the same schema
and behaviour (``db.py`` names what differs).
``upsert`` is idempotent by article id and content hash; ``upsert_many`` writes a batch in one
transaction, so a crash (even SIGKILL) leaves every batch either fully stored or absent, and a
rerun stores the rest without duplicating anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np

from marsad.corpus import dedup, fulltext, reuse
from marsad.corpus.db import Database, connect, is_url
from marsad.corpus.migrations import apply_migrations, current_version, latest_version
from marsad.corpus.terms import facet_terms, index_terms
from marsad.document import Article
from marsad.errors import Failure, MarsadError

__all__ = ["COPY_THRESHOLD", "IngestSummary", "Store", "UpsertResult", "ingest"]

UpsertResult = Literal["new", "updated", "unchanged"]

# Two articles whose shingle sets have an exact Jaccard similarity of at least this are copies.
COPY_THRESHOLD = 0.5
# Candidates whose MinHash estimate is far below the threshold are not worth an exact check.
_ESTIMATE_FLOOR = 0.3
# A fingerprint held by more articles than this is boilerplate (a footer, a stock phrase).
_BOILERPLATE_POSTINGS = 50


class Store:
    """An open corpus. Use ``Store.open(path_or_url)``; close it (or use ``with``) when done.

    ``connection.execute(sql, params)`` runs SQL with ``?`` placeholders on either backend.
    """

    def __init__(self, connection: Database | sqlite3.Connection, *, path: Path | str) -> None:
        self.connection = Database.wrap(connection)
        # A SQLite file's path, or the PostgreSQL URL.
        self.path = path
        # False only for a store held open at an older schema version (tests of migrations).
        version = current_version(self.connection)
        self._near_duplicates = version >= 2
        self._filters = version >= 3
        # Whether the SQLite full-text index has the facet column (schema 4; ``terms.facet_terms``).
        self.facets = version >= 4 and self.connection.dialect == "sqlite"

    @classmethod
    def open(cls, path: str | os.PathLike[str] = "marsad.db") -> Store:
        """Open (creating or migrating as needed) the corpus at ``path``, a file or a PostgreSQL URL.

        Raises E301 when the file is not a SQLite database, the server cannot be reached, or
        the corpus was written by a newer marsad.
        """
        location: Path | str = os.fspath(path) if is_url(path) else Path(path)
        connection = connect(location)
        try:
            version = current_version(connection)
        except sqlite3.DatabaseError as err:
            connection.close()
            raise MarsadError("E301", f"not a marsad corpus (SQLite said: {err})", input=str(path)) from err
        if version > latest_version():
            connection.close()
            raise MarsadError(
                "E301",
                f"the corpus has schema version {version}; this marsad knows up to {latest_version()}: upgrade marsad",
                input=str(location) if isinstance(location, Path) else "the PostgreSQL corpus",
            )
        apply_migrations(connection)
        return cls(connection, path=location)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return current_version(self.connection)

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # -- reading ----------------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        """The stored article with this id, or None."""
        row = self.connection.execute("SELECT json FROM articles WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else Article.from_json(json.loads(row[0]))

    def ids(self) -> Iterator[str]:
        """Every stored article id, in storage order."""
        for (article_id,) in self.connection.execute("SELECT id FROM articles ORDER BY rid"):
            yield article_id

    def rid_of(self, article_id: str) -> int | None:
        row = self.connection.execute("SELECT rid FROM articles WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else int(row[0])

    # -- writing ----------------------------------------------------------------------------

    def upsert(self, article: Article) -> UpsertResult:
        """Store ``article``: "new", "updated" (its content changed) or "unchanged"."""
        counts = self.upsert_many([article])
        result: UpsertResult = "new" if counts["new"] else "updated" if counts["updated"] else "unchanged"
        return result

    def upsert_many(self, articles: Iterable[Article]) -> Counter[str]:
        """Store a batch in one transaction; returns how many were new, updated and unchanged."""
        batch = list(articles)
        counts: Counter[str] = Counter()
        connection = self.connection
        connection.begin_write()
        try:
            changed: dict[int, str] = {}
            for article in batch:
                result, rid = self._upsert_row(article)
                counts[result] += 1
                if result != "unchanged":
                    # An article changed twice in one batch is indexed once, as it ends up.
                    changed.pop(rid, None)
                    changed[rid] = article.text
            if self._near_duplicates:
                _index_near_duplicates(connection, list(changed.items()))
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
        return counts

    def _upsert_row(self, article: Article) -> tuple[UpsertResult, int]:
        connection = self.connection
        document = article.to_json()
        payload = json.dumps(document, ensure_ascii=False, sort_keys=True)
        digest = hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()
        row = connection.execute(
            "SELECT rid, content_hash FROM articles WHERE id = ?", (article.id,)
        ).fetchone()
        meta = article.meta
        values = (
            meta.outlet,
            meta.url,
            meta.title,
            meta.published,
            meta.language,
            article.text,
            payload,
            digest,
            float(article.scores.get("propaganda", 0.0)),
            float(article.scores.get("vague_sourcing", 0.0)),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        if row is None:
            # ON CONFLICT: when another writer stored the same id first, compare with its row.
            inserted = connection.execute(
                "INSERT INTO articles (id, outlet, url, title, published, language, text, json, "
                "content_hash, propaganda, vague_sourcing, stored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (id) DO NOTHING RETURNING rid",
                (article.id, *values),
            ).fetchone()
            if inserted is not None:
                _index_article(
                    connection, int(inserted[0]), article, filters=self._filters, facets=self.facets
                )
                return "new", int(inserted[0])
            row = connection.execute(
                "SELECT rid, content_hash FROM articles WHERE id = ?", (article.id,)
            ).fetchone()
        rid = int(row[0])
        if row[1] == digest:
            return "unchanged", rid
        _forget(connection, rid, facets=self.facets)
        connection.execute(
            "UPDATE articles SET outlet=?, url=?, title=?, published=?, language=?, text=?, json=?, "
            "content_hash=?, propaganda=?, vague_sourcing=?, stored_at=? WHERE rid=?",
            (*values, rid),
        )
        _index_article(connection, rid, article, filters=self._filters, facets=self.facets)
        return "updated", rid


def _index_article(
    connection: Database, rid: int, article: Article, *, filters: bool = True, facets: bool = True
) -> None:
    """Write the search terms, filter columns and filterable spans of one article."""
    if filters:
        connection.execute(
            "INSERT INTO article_filters (rid, outlet, published, propaganda) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (rid) DO UPDATE SET outlet = excluded.outlet, published = excluded.published, "
            "propaganda = excluded.propaganda",
            (rid, article.meta.outlet, article.meta.published, float(article.scores.get("propaganda", 0.0))),
        )
    title_terms = " ".join(index_terms(article.meta.title or ""))
    body_terms = " ".join(index_terms(article.text))
    if connection.dialect == "postgresql":
        title_tokens = fulltext.unicode61_tokens(title_terms)
        body_tokens = fulltext.unicode61_tokens(body_terms)
        connection.execute(
            "INSERT INTO search_terms (rid, title, body, tokens, terms) VALUES (?, ?, ?, ?, ?::tsvector)",
            (
                rid,
                title_terms,
                body_terms,
                len(title_tokens) + len(body_tokens),
                fulltext.tsvector(title_tokens, body_tokens),
            ),
        )
    elif facets:
        facet_column = facet_terms(article.meta.outlet, article.meta.published)
        connection.execute(
            "INSERT INTO search_terms (rid, title, body, facets) VALUES (?, ?, ?, ?)",
            (rid, title_terms, body_terms, facet_column),
        )
        connection.execute(
            "INSERT INTO articles_fts (rowid, title, body, facets) VALUES (?, ?, ?, ?)",
            (rid, title_terms, body_terms, facet_column),
        )
    else:
        connection.execute(
            "INSERT INTO search_terms (rid, title, body) VALUES (?, ?, ?)", (rid, title_terms, body_terms)
        )
        connection.execute(
            "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", (rid, title_terms, body_terms)
        )
    actors: dict[str, tuple[int, float]] = {}
    for actor in article.actors:
        mentions, _tone = actors.get(actor.id, (0, 0.0))
        actors[actor.id] = (mentions + actor.mentions, actor.tone)
    for span in article.layer("entities"):
        actor_id = span.get("actor")
        if actor_id and actor_id not in actors:
            actors[actor_id] = (1, 0.0)
    connection.executemany(
        "INSERT INTO article_actors (actor, article, mentions, tone) VALUES (?, ?, ?, ?)",
        [(actor_id, rid, mentions, tone) for actor_id, (mentions, tone) in actors.items()],
    )
    techniques: dict[str, tuple[int, float]] = {}
    for span in article.layer("persuasion"):
        count, best = techniques.get(span.label, (0, 0.0))
        techniques[span.label] = (count + 1, max(best, span.score or 0.0))
    for paragraph in article.layer("paragraphs"):
        for item in paragraph.get("techniques", ()) or ():
            name = item.get("technique")
            if name:
                count, best = techniques.get(name, (0, 0.0))
                techniques[name] = (count, max(best, float(item.get("score") or 0.0)))
    connection.executemany(
        "INSERT INTO article_techniques (technique, article, spans, score) VALUES (?, ?, ?, ?)",
        [(name, rid, count, best) for name, (count, best) in techniques.items()],
    )


def _forget(connection: Database, rid: int, *, facets: bool = True) -> None:
    """Remove everything derived from an article's old content before it is replaced."""
    if connection.dialect == "sqlite":
        # External-content FTS5: deleting a row needs the exact terms it was indexed with.
        columns = "title, body, facets" if facets else "title, body"
        old = connection.execute(f"SELECT {columns} FROM search_terms WHERE rid = ?", (rid,)).fetchone()
        if old is not None:
            marks = ", ".join("?" * len(old))
            connection.execute(
                f"INSERT INTO articles_fts (articles_fts, rowid, {columns}) VALUES ('delete', ?, {marks})",
                (rid, *old),
            )
    connection.execute("DELETE FROM search_terms WHERE rid = ?", (rid,))
    connection.execute("DELETE FROM article_actors WHERE article = ?", (rid,))
    connection.execute("DELETE FROM article_techniques WHERE article = ?", (rid,))
    if current_version(connection) >= 2:
        _forget_near_duplicates(connection, rid)


def _forget_near_duplicates(connection: Database, rid: int) -> None:
    for table in ("signatures", "band_keys", "fingerprints"):
        connection.execute(f"DELETE FROM {table} WHERE article = ?", (rid,))
    connection.execute("DELETE FROM copy_pairs WHERE a = ? OR b = ?", (rid, rid))
    connection.execute("DELETE FROM reuse_pairs WHERE a = ? OR b = ?", (rid, rid))
    row = connection.execute("SELECT cluster FROM clusters WHERE article = ?", (rid,)).fetchone()
    if row is None:
        return
    # The article may have held its cluster together: recompute the components of the rest.
    members = [r for (r,) in connection.execute("SELECT article FROM clusters WHERE cluster = ?", (row[0],))]
    connection.execute("DELETE FROM clusters WHERE cluster = ?", (row[0],))
    rest = [m for m in members if m != rid]
    position = {member: index for index, member in enumerate(rest)}
    placeholders = ",".join("?" * len(rest))
    pairs = connection.execute(
        f"SELECT a, b FROM copy_pairs WHERE a IN ({placeholders}) AND b IN ({placeholders})",
        (*rest, *rest),
    ).fetchall()
    for group in dedup.cluster_pairs(len(rest), [(position[a], position[b]) for a, b in pairs]):
        cluster = min(rest[index] for index in group)
        connection.executemany(
            "INSERT INTO clusters (article, cluster) VALUES (?, ?)",
            [(rest[index], cluster) for index in group],
        )


def _index_near_duplicates(connection: Database, rows: Sequence[tuple[int, str]]) -> None:
    """Signatures, band keys and fingerprints of (rid, text) rows; then their copies and reuses.

    Rows are indexed one after the other, so a batch's articles find each other too.
    """
    if not rows:
        return
    flat, sizes = dedup.shingle_batch([text for _, text in rows])
    signatures = dedup.signatures_of_flat(flat, sizes)
    keys = dedup.band_keys(signatures.values)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    for index, (rid, text) in enumerate(rows):
        shingles = flat[offsets[index] : offsets[index + 1]]
        size = int(sizes[index])
        connection.execute(
            "INSERT INTO signatures (article, shingles, minhash) VALUES (?, ?, ?)",
            (rid, size, signatures.values[index].tobytes()),
        )
        if size == 0:
            continue
        band_keys = keys[index].tolist()
        copies = _copy_candidates(connection, rid, band_keys, signatures.values[index], shingles)
        connection.executemany(
            "INSERT INTO band_keys (key, article) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(key, rid) for key in band_keys],
        )
        for other, similarity in copies:
            _add_copy_pair(connection, rid, other, similarity)
        prints = reuse.fingerprints(shingles).tolist()
        _find_reuses(connection, rid, text, prints, exclude={other for other, _ in copies})
        connection.executemany(
            "INSERT INTO fingerprints (hash, article) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(h, rid) for h in prints],
        )


def _copy_candidates(
    connection: Database,
    rid: int,
    band_keys: list[int],
    signature: np.ndarray[Any, np.dtype[np.uint32]],
    shingles: np.ndarray[Any, np.dtype[np.uint64]],
) -> list[tuple[int, float]]:
    placeholders = ",".join("?" * len(band_keys))
    candidates = connection.execute(
        f"SELECT DISTINCT b.article, s.minhash, a.text FROM band_keys b "
        f"JOIN signatures s ON s.article = b.article JOIN articles a ON a.rid = b.article "
        f"WHERE b.key IN ({placeholders}) AND b.article != ?",
        (*band_keys, rid),
    ).fetchall()
    found = []
    for other, minhash, text in candidates:
        estimate = dedup.estimated_jaccard(signature, np.frombuffer(minhash, dtype=np.uint32))
        if estimate < _ESTIMATE_FLOOR:
            continue
        similarity = dedup.jaccard(shingles, dedup.shingle_hashes(text))
        if similarity >= COPY_THRESHOLD:
            found.append((int(other), similarity))
    return found


def _add_copy_pair(connection: Database, rid: int, other: int, similarity: float) -> None:
    a, b = min(rid, other), max(rid, other)
    connection.execute(
        "INSERT INTO copy_pairs (a, b, jaccard) VALUES (?, ?, ?) "
        "ON CONFLICT (a, b) DO UPDATE SET jaccard = excluded.jaccard",
        (a, b, round(float(similarity), 4)),
    )
    clusters = dict(
        connection.execute("SELECT article, cluster FROM clusters WHERE article IN (?, ?)", (a, b)).fetchall()
    )
    ids = {clusters.get(a, a), clusters.get(b, b)}
    target = min(ids)
    for cluster in ids - {target}:
        connection.execute("UPDATE clusters SET cluster = ? WHERE cluster = ?", (target, cluster))
    connection.executemany(
        "INSERT INTO clusters (article, cluster) VALUES (?, ?) "
        "ON CONFLICT (article) DO UPDATE SET cluster = excluded.cluster",
        [(a, target), (b, target)],
    )


def _find_reuses(connection: Database, rid: int, text: str, prints: list[int], *, exclude: set[int]) -> None:
    if not prints:
        return
    shared: Counter[int] = Counter()
    for start in range(0, len(prints), 500):
        chunk = prints[start : start + 500]
        placeholders = ",".join("?" * len(chunk))
        postings: dict[int, list[int]] = {}
        for value, article in connection.execute(
            f"SELECT hash, article FROM fingerprints WHERE hash IN ({placeholders})",
            chunk,
        ):
            postings.setdefault(value, []).append(article)
        for articles in postings.values():
            if len(articles) <= _BOILERPLATE_POSTINGS:
                shared.update(articles)
    for other, count in shared.items():
        if count < reuse.MIN_SHARED_FINGERPRINTS or other == rid or other in exclude:
            continue
        (other_text,) = connection.execute("SELECT text FROM articles WHERE rid = ?", (other,)).fetchone()
        a, b = min(rid, other), max(rid, other)
        text_a, text_b = (text, other_text) if a == rid else (other_text, text)
        found = reuse.find_reuse(text_a, text_b)
        if not found.passages:
            continue
        connection.execute(
            "INSERT INTO reuse_pairs (a, b, passages, share_a, share_b) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (a, b) DO UPDATE SET passages = excluded.passages, "
            "share_a = excluded.share_a, share_b = excluded.share_b",
            (
                a,
                b,
                json.dumps([p.to_json() for p in found.passages]),
                round(found.share_a, 4),
                round(found.share_b, 4),
            ),
        )


def index_existing_articles(connection: Database, *, batch_size: int = 500) -> None:
    """Build the near-duplicate indexes for articles already stored (used by migration 2)."""
    last = 0
    while True:
        rows = connection.execute(
            "SELECT rid, text FROM articles WHERE rid > ? ORDER BY rid LIMIT ?", (last, batch_size)
        ).fetchall()
        if not rows:
            return
        _index_near_duplicates(connection, [(int(rid), text) for rid, text in rows])
        last = int(rows[-1][0])


# -- ingestion ------------------------------------------------------------------------------


@dataclass(slots=True)
class IngestSummary:
    """What an ingestion did: articles new, updated, unchanged, and the inputs that failed."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[MarsadError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "failures": [failure.to_json() for failure in self.failures],
        }


def ingest(
    paths: Sequence[str | os.PathLike[str]],
    *,
    db: str | os.PathLike[str],
    jobs: int = 1,
    progress: bool = False,
    batch_size: int = 64,
    max_failures_kept: int = 1000,
) -> IngestSummary:
    """Read ``paths``, analyse each article with the default pipeline and store it in ``db``.

    Resumable: every batch is one transaction and upserts are idempotent, so rerunning after a
    crash stores what was missing and counts the rest as unchanged.
    """
    from marsad.executor.local import LocalExecutor
    from marsad.ingest import read_inputs
    from marsad.pipeline.runner import default_pipeline

    summary = IngestSummary()
    items = read_inputs([os.fspath(path) for path in paths])
    results = LocalExecutor(jobs=jobs).run(default_pipeline(), items)
    with Store.open(db) as store, _progress(progress) as advance:
        batch: list[Article] = []

        def flush() -> None:
            counts = store.upsert_many(batch)
            summary.new += counts["new"]
            summary.updated += counts["updated"]
            summary.unchanged += counts["unchanged"]
            advance(len(batch))
            batch.clear()

        for item in results:
            if isinstance(item, Failure):
                summary.failed += 1
                if len(summary.failures) < max_failures_kept:
                    summary.failures.append(item.error)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
    return summary


class _progress:
    """A rich progress counter when asked for, else a no-op; used as a context manager."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda count: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            SpinnerColumn(), TextColumn("stored {task.completed} articles"), TimeElapsedColumn()
        )
        self._bar.start()
        self._task = self._bar.add_task("ingest", total=None)
        return lambda count: self._bar.advance(self._task, count)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
