"""Forward-only schema migrations of the SQLite corpus.

Version 0 is an empty file. Each migration moves the schema one version up inside the caller's
transaction and is never edited once released: a change is a new migration at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MIGRATIONS", "apply_migrations", "current_version", "latest_version"]

Migration = Callable[[sqlite3.Connection], None]


def _run_script(connection: sqlite3.Connection, script: str) -> None:
    # executescript() would commit the caller's transaction first: run statement by statement.
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(statement)


def _v1_articles_and_search(connection: sqlite3.Connection) -> None:
    _run_script(
        connection,
        """
        CREATE TABLE articles (
            rid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            outlet TEXT,
            url TEXT,
            title TEXT,
            published TEXT,
            language TEXT,
            text TEXT NOT NULL,
            json TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            propaganda REAL,
            vague_sourcing REAL,
            stored_at TEXT NOT NULL
        );
        CREATE INDEX articles_outlet ON articles (outlet, published);
        CREATE INDEX articles_published ON articles (published);

        -- Spans needed by filters and profiles, one row per article and value.
        CREATE TABLE article_actors (
            actor TEXT NOT NULL,
            article INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            tone REAL NOT NULL,
            PRIMARY KEY (actor, article)
        ) WITHOUT ROWID;
        CREATE INDEX article_actors_article ON article_actors (article);
        CREATE TABLE article_techniques (
            technique TEXT NOT NULL,
            article INTEGER NOT NULL,
            spans INTEGER NOT NULL,
            score REAL,
            PRIMARY KEY (technique, article)
        ) WITHOUT ROWID;
        CREATE INDEX article_techniques_article ON article_techniques (article);

        -- The analysed terms (normalised, light-stemmed) are the external content of the FTS5
        -- index: deleting a row needs its old terms, and a text-layer upgrade can rebuild both.
        CREATE TABLE search_terms (
            rid INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            body TEXT NOT NULL
        );
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, body, content='search_terms', content_rowid='rid',
            tokenize='unicode61 remove_diacritics 0'
        );
        """,
    )


def _v2_near_duplicates(connection: sqlite3.Connection) -> None:
    _run_script(
        connection,
        """
        CREATE TABLE signatures (
            article INTEGER PRIMARY KEY,
            shingles INTEGER NOT NULL,
            minhash BLOB NOT NULL
        );
        CREATE TABLE band_keys (
            key INTEGER NOT NULL,
            article INTEGER NOT NULL,
            PRIMARY KEY (key, article)
        ) WITHOUT ROWID;
        CREATE INDEX band_keys_article ON band_keys (article);
        -- Winnowed shingle fingerprints, to find passages reused inside longer texts.
        CREATE TABLE fingerprints (
            hash INTEGER NOT NULL,
            article INTEGER NOT NULL,
            PRIMARY KEY (hash, article)
        ) WITHOUT ROWID;
        CREATE INDEX fingerprints_article ON fingerprints (article);
        -- Verified pairs, a < b (article rids).
        CREATE TABLE copy_pairs (
            a INTEGER NOT NULL,
            b INTEGER NOT NULL,
            jaccard REAL NOT NULL,
            PRIMARY KEY (a, b)
        ) WITHOUT ROWID;
        CREATE INDEX copy_pairs_b ON copy_pairs (b);
        CREATE TABLE reuse_pairs (
            a INTEGER NOT NULL,
            b INTEGER NOT NULL,
            passages TEXT NOT NULL,
            share_a REAL NOT NULL,
            share_b REAL NOT NULL,
            PRIMARY KEY (a, b)
        ) WITHOUT ROWID;
        CREATE INDEX reuse_pairs_b ON reuse_pairs (b);
        -- Copy clusters of two or more articles; the cluster id is its smallest member rid.
        CREATE TABLE clusters (
            article INTEGER PRIMARY KEY,
            cluster INTEGER NOT NULL
        );
        CREATE INDEX clusters_cluster ON clusters (cluster);
        """,
    )
    # Articles stored at version 1 get their signatures now, as if ingested today.
    from marsad.corpus.store import index_existing_articles

    index_existing_articles(connection)


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "articles, spans and the full-text index", _v1_articles_and_search),
    (2, "near-duplicate signatures, fingerprints, pairs and clusters", _v2_near_duplicates),
]


def latest_version() -> int:
    return MIGRATIONS[-1][0]


def current_version(connection: sqlite3.Connection) -> int:
    """The schema version of a database; 0 for a file without marsad tables."""
    exists = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def apply_migrations(connection: sqlite3.Connection, *, target: int | None = None) -> list[int]:
    """Bring the schema up to ``target`` (the latest by default); returns the versions applied.

    Each migration runs in its own transaction with its version row, so a crash leaves the
    database at the last version fully applied. ``connection`` must be in autocommit mode
    (``isolation_level=None``): transactions here are explicit.
    """
    target = latest_version() if target is None else target
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied = []
    for version, name, migrate in MIGRATIONS:
        if version <= current_version(connection) or version > target:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            migrate(connection)
            connection.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        applied.append(version)
    return applied
