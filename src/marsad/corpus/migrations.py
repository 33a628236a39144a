"""Forward-only schema migrations of the corpus, on SQLite and on PostgreSQL.

Version 0 is an empty database. Each migration moves the schema one version up inside the
caller's transaction and is never edited once released: a change is a new migration at the end.
A migration writes the same tables on both backends; where their DDL differs (types, the
full-text index) it branches on the dialect.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from marsad.corpus.db import Database
from marsad.corpus.terms import facet_terms

__all__ = ["MIGRATIONS", "apply_migrations", "current_version", "latest_version"]

Migration = Callable[[Database], None]


def _run_script(connection: Database, script: str) -> None:
    # executescript() would commit the caller's transaction first: run statement by statement.
    for statement in script.split(";\n"):
        if statement.strip():
            connection.execute(statement)


def _v1_articles_and_search(connection: Database) -> None:
    if connection.dialect == "postgresql":
        _run_script(connection, _V1_POSTGRESQL)
        return
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


def _v2_near_duplicates(connection: Database) -> None:
    _run_script(
        connection,
        _V2_POSTGRESQL
        if connection.dialect == "postgresql"
        else """
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


# PostgreSQL: the same tables. Text compared with < and > is collated "C" (byte order, as in
# SQLite); the full-text index is a tsvector column of search_terms (see search.py).
_V1_POSTGRESQL = """
CREATE TABLE articles (
    rid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    outlet TEXT COLLATE "C",
    url TEXT,
    title TEXT,
    published TEXT COLLATE "C",
    language TEXT,
    text TEXT NOT NULL,
    json TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    propaganda DOUBLE PRECISION,
    vague_sourcing DOUBLE PRECISION,
    stored_at TEXT NOT NULL
);
CREATE INDEX articles_outlet ON articles (outlet, published);
CREATE INDEX articles_published ON articles (published);
CREATE TABLE article_actors (
    actor TEXT COLLATE "C" NOT NULL,
    article BIGINT NOT NULL,
    mentions INTEGER NOT NULL,
    tone DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (actor, article)
);
CREATE INDEX article_actors_article ON article_actors (article);
CREATE TABLE article_techniques (
    technique TEXT COLLATE "C" NOT NULL,
    article BIGINT NOT NULL,
    spans INTEGER NOT NULL,
    score DOUBLE PRECISION,
    PRIMARY KEY (technique, article)
);
CREATE INDEX article_techniques_article ON article_techniques (article);
-- tokens: how many index tokens title and body hold together (the document length of BM25).
CREATE TABLE search_terms (
    rid BIGINT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    terms TSVECTOR NOT NULL
);
CREATE INDEX search_terms_terms ON search_terms USING gin (terms)
"""

_V2_POSTGRESQL = """
CREATE TABLE signatures (
    article BIGINT PRIMARY KEY,
    shingles INTEGER NOT NULL,
    minhash BYTEA NOT NULL
);
CREATE TABLE band_keys (
    key BIGINT NOT NULL,
    article BIGINT NOT NULL,
    PRIMARY KEY (key, article)
);
CREATE INDEX band_keys_article ON band_keys (article);
CREATE TABLE fingerprints (
    hash BIGINT NOT NULL,
    article BIGINT NOT NULL,
    PRIMARY KEY (hash, article)
);
CREATE INDEX fingerprints_article ON fingerprints (article);
CREATE TABLE copy_pairs (
    a BIGINT NOT NULL,
    b BIGINT NOT NULL,
    jaccard DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX copy_pairs_b ON copy_pairs (b);
CREATE TABLE reuse_pairs (
    a BIGINT NOT NULL,
    b BIGINT NOT NULL,
    passages TEXT NOT NULL,
    share_a DOUBLE PRECISION NOT NULL,
    share_b DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX reuse_pairs_b ON reuse_pairs (b);
CREATE TABLE clusters (
    article BIGINT PRIMARY KEY,
    cluster BIGINT NOT NULL
);
CREATE INDEX clusters_cluster ON clusters (cluster)
"""


def _v3_article_filters(connection: Database) -> None:
    """A narrow copy of the columns search filters on, keyed by rid.

    Filtering the matches of a common word looks up one row per match: in ``articles`` that row
    shares its pages with the full text and JSON, here a million rows fit in about 50 MB.
    """
    postgresql = connection.dialect == "postgresql"
    text = 'TEXT COLLATE "C"' if postgresql else "TEXT"
    _run_script(
        connection,
        f"""
        CREATE TABLE article_filters (
            rid {"BIGINT" if postgresql else "INTEGER"} PRIMARY KEY,
            outlet {text},
            published {text},
            propaganda {"DOUBLE PRECISION" if postgresql else "REAL"}
        );
        INSERT INTO article_filters (rid, outlet, published, propaganda)
            SELECT rid, outlet, published, propaganda FROM articles;
        CREATE INDEX article_filters_published ON article_filters (published);
        CREATE INDEX article_filters_outlet ON article_filters (outlet, published)
        """,
    )


def _v4_facets(connection: Database) -> None:
    """A facet column (outlet, day, month, year tokens) in the SQLite full-text index.

    FTS5 cannot add a column, so the index is dropped and rebuilt from ``search_terms``: minutes
    for a million articles, once. PostgreSQL filters with its own indexes and needs nothing.
    """
    if connection.dialect == "postgresql":
        return
    connection.raw.create_function("marsad_facets", 2, facet_terms, deterministic=True)
    _run_script(
        connection,
        """
        ALTER TABLE search_terms ADD COLUMN facets TEXT NOT NULL DEFAULT '';
        UPDATE search_terms SET facets = (
            SELECT marsad_facets(a.outlet, a.published) FROM article_filters a WHERE a.rid = search_terms.rid
        );
        DROP TABLE articles_fts;
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, body, facets, content='search_terms', content_rowid='rid',
            tokenize='unicode61 remove_diacritics 0'
        );
        INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')
        """,
    )


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "articles, spans and the full-text index", _v1_articles_and_search),
    (2, "near-duplicate signatures, fingerprints, pairs and clusters", _v2_near_duplicates),
    (3, "a narrow table of the columns search filters on", _v3_article_filters),
    (4, "outlet and date facets in the full-text index", _v4_facets),
]


def latest_version() -> int:
    return MIGRATIONS[-1][0]


def current_version(connection: Database | sqlite3.Connection) -> int:
    """The schema version of a database; 0 for a database without marsad tables."""
    connection = Database.wrap(connection)
    if not connection.table_exists("schema_version"):
        return 0
    row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def apply_migrations(connection: Database | sqlite3.Connection, *, target: int | None = None) -> list[int]:
    """Bring the schema up to ``target`` (the latest by default); returns the versions applied.

    Each migration runs in its own transaction with its version row, so a crash leaves the
    database at the last version fully applied. ``connection`` must be in autocommit mode
    (``isolation_level=None``): transactions here are explicit.
    """
    connection = Database.wrap(connection)
    target = latest_version() if target is None else target
    if not connection.table_exists("schema_version"):
        # Under the writer lock: two PostgreSQL processes creating it at once would collide.
        connection.begin_write()
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        connection.commit()
    applied = []
    for version, name, migrate in MIGRATIONS:
        if version <= current_version(connection) or version > target:
            continue
        connection.begin_write()
        try:
            # Another process may have migrated while this one waited for the writer lock.
            if version <= current_version(connection):
                connection.rollback()
                continue
            migrate(connection)
            connection.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
        applied.append(version)
    return applied
