"""The store: idempotent upserts, updates, migrations, and ingestion that survives SIGKILL."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from corpus_texts import ECONOMY, FOOTBALL, WATER, make_article

from marsad.corpus.migrations import apply_migrations, current_version, latest_version
from marsad.corpus.search import search
from marsad.corpus.store import Store, ingest
from marsad.document import Actor
from marsad.errors import MarsadError


def _counts(store: Store) -> tuple[int, int, int]:
    connection = store.connection
    articles = connection.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    distinct = connection.execute("SELECT COUNT(DISTINCT id) FROM articles").fetchone()[0]
    indexed = connection.execute("SELECT COUNT(*) FROM search_terms").fetchone()[0]
    return articles, distinct, indexed


def test_the_same_article_twice_is_stored_once(store: Store) -> None:
    article = make_article(WATER, url="https://spa.gov.sa/1")
    assert store.upsert(article) == "new"
    assert store.upsert(article) == "unchanged"
    assert store.upsert_many([article, article]) == {"unchanged": 2}
    assert _counts(store) == (1, 1, 1)
    stored = store.get(article.id)
    assert stored is not None and stored.to_json() == article.to_json()


def test_a_changed_article_is_updated_with_its_index_and_spans(store: Store) -> None:
    first = make_article(
        FOOTBALL, url="https://okaz.com.sa/9", actors=[Actor("RUS", "روسيا", "Russia", "state", 1)]
    )
    store.upsert(first)
    changed = make_article(
        ECONOMY, url="https://okaz.com.sa/9", actors=[Actor("USA", "أمريكا", "USA", "state", 2)]
    )
    assert changed.id == first.id
    assert store.upsert(changed) == "updated"
    assert _counts(store) == (1, 1, 1)
    match = "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?"
    assert store.connection.execute(match, ("النصر",)).fetchone()[0] == 0
    assert store.connection.execute(match, ("مصارف",)).fetchone()[0] == 1
    actors = store.connection.execute("SELECT actor FROM article_actors").fetchall()
    assert actors == [("USA",)]


def test_a_new_file_is_migrated_from_version_0(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    sqlite3.connect(path).close()
    with Store.open(path) as store:
        assert store.schema_version == latest_version()
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migration_2_indexes_articles_stored_at_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connection = sqlite3.connect(path, isolation_level=None)
    assert apply_migrations(connection, target=1) == [1]
    store = Store(connection, path=path)
    original = make_article(WATER, url="https://a/1")
    copy = make_article(WATER[:4], url="https://b/1", outlet="okaz")
    store.upsert_many([original, copy])
    assert current_version(connection) == 1
    connection.close()
    with Store.open(path) as migrated:
        assert migrated.schema_version == 2
        assert len(migrated) == 2
        assert migrated.connection.execute("SELECT COUNT(*) FROM copy_pairs").fetchone()[0] == 1


def test_a_newer_or_foreign_file_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(MarsadError) as caught:
        Store.open(junk)
    assert caught.value.code == "E301"
    newer = tmp_path / "newer.db"
    with Store.open(newer) as store:
        store.connection.execute("INSERT INTO schema_version VALUES (99, 'future', 'now')")
    with pytest.raises(MarsadError, match="upgrade marsad"):
        Store.open(newer)


def _write_corpus(path: Path, count: int) -> None:
    # Shuffled words: every article distinct, none a copy of another (copies are tested elsewhere).
    vocabulary = " ".join(WATER + FOOTBALL + ECONOMY).split()
    shuffler = random.Random(7)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            body = f"خبر رقم {number} من المرصد. " + " ".join(shuffler.sample(vocabulary, 60))
            record = {"url": f"https://example.org/{number}", "text": body, "source": f"outlet{number % 5}"}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.write("{not json\n")


_CHILD = textwrap.dedent(
    """
    import sys, time
    from marsad.corpus import store as corpus_store
    original = corpus_store.Store.upsert_many
    def slow(self, articles):
        counts = original(self, articles)
        time.sleep(0.05)  # leave the parent time to kill us between (and inside) batches
        return counts
    corpus_store.Store.upsert_many = slow
    corpus_store.ingest([sys.argv[1]], db=sys.argv[2], batch_size=10)
    """
)


def test_ingestion_killed_mid_way_resumes_without_duplicates(tmp_path: Path) -> None:
    source, db = tmp_path / "corpus.jsonl", tmp_path / "corpus.db"
    _write_corpus(source, 300)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(source), str(db)])
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 40:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=5) as probe:
                        stored = probe.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
                except sqlite3.OperationalError:
                    stored = 0  # the schema is not there yet
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Store.open(db) as store:
        stored_before = len(store)
    assert 40 <= stored_before < 300, "the kill must land mid-way for this test to mean anything"

    summary = ingest([str(source)], db=db)
    assert summary.new == 300 - stored_before
    assert summary.unchanged == stored_before
    assert summary.failed == 1 and summary.failures[0].code == "E106"
    with Store.open(db) as store:
        assert _counts(store) == (300, 300, 300)
        assert search(store, "المرصد", limit=1).total == 300
