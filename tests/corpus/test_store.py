"""The store: idempotent upserts, updates, migrations, and ingestion that survives SIGKILL."""

from __future__ import annotations

import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from corpus_texts import ECONOMY, FOOTBALL, WATER, make_article

from marsad.corpus.db import connect
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
    assert search(store, "النصر").total == 0
    assert search(store, "مصارف").total == 1
    actors = store.connection.execute("SELECT actor FROM article_actors").fetchall()
    assert actors == [("USA",)]


def test_a_new_file_is_migrated_from_version_0(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    sqlite3.connect(path).close()
    with Store.open(path) as store:
        assert store.schema_version == latest_version()
        assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migration_2_indexes_articles_stored_at_version_1(corpus_location: str) -> None:
    connection = connect(corpus_location)
    assert apply_migrations(connection, target=1) == [1]
    store = Store(connection, path=corpus_location)
    original = make_article(WATER, url="https://a/1")
    copy = make_article(WATER[:4], url="https://b/1", outlet="okaz")
    store.upsert_many([original, copy])
    assert current_version(connection) == 1
    connection.close()
    with Store.open(corpus_location) as migrated:
        assert migrated.schema_version == latest_version()
        assert len(migrated) == 2
        assert migrated.connection.execute("SELECT COUNT(*) FROM copy_pairs").fetchone()[0] == 1


def test_migration_3_copies_the_filter_columns_of_stored_articles(corpus_location: str) -> None:
    connection = connect(corpus_location)
    assert apply_migrations(connection, target=2) == [1, 2]
    old = Store(connection, path=corpus_location)
    old.upsert_many(
        [
            make_article(WATER, url="https://a/1", outlet="spa", published="2015-07-01"),
            make_article(ECONOMY, url="https://b/1", outlet="okaz", published="2015-08-01"),
        ]
    )
    connection.close()
    with Store.open(corpus_location) as migrated:
        assert migrated.schema_version == latest_version()
        rows = migrated.connection.execute(
            "SELECT outlet, published FROM article_filters ORDER BY rid"
        ).fetchall()
        assert [tuple(row) for row in rows] == [("spa", "2015-07-01"), ("okaz", "2015-08-01")]
        assert [hit.outlet for hit in search(migrated, "", outlet="okaz").hits] == ["okaz"]
        # Later writes keep the table current.
        migrated.upsert(make_article(FOOTBALL, url="https://b/1", outlet="okaz", published="2015-09-01"))
        assert [hit.published for hit in search(migrated, "", since="2015-08-15").hits] == ["2015-09-01"]


def test_migration_4_adds_facets_to_the_index_of_stored_articles(tmp_path: Path) -> None:
    location = str(tmp_path / "v3.db")
    connection = connect(location)
    assert apply_migrations(connection, target=3) == [1, 2, 3]
    old = Store(connection, path=location)
    old.upsert_many(
        [
            make_article(WATER, url="https://a/1", outlet="spa", published="2015-07-01"),
            make_article(ECONOMY, url="https://b/1", outlet="okaz", published="2015-08-01"),
        ]
    )
    before = search(old, "المياه").to_json()
    connection.close()
    with Store.open(location) as migrated:
        assert migrated.schema_version == latest_version() and migrated.facets
        facets = migrated.connection.execute("SELECT facets FROM search_terms ORDER BY rid").fetchall()
        assert [row[0].split()[1:] for row in facets] == [
            ["d20150701", "m201507", "y2015"],
            ["d20150801", "m201508", "y2015"],
        ]
        # The same hits; only the row lengths BM25 sees grew by the facet tokens.
        after = search(migrated, "المياه").to_json()
        assert [hit["id"] for hit in after["hits"]] == [hit["id"] for hit in before["hits"]]
        assert search(migrated, "المياه", outlet="spa", since="2015-07-01", until="2015-07-01").total == 1
        assert search(migrated, "المياه", outlet="okaz").total == 0
        # An update re-indexes the article under its new facets.
        migrated.upsert(make_article(WATER, url="https://a/1", outlet="okaz", published="2015-09-01"))
        assert search(migrated, "المياه", outlet="okaz", since="2015-09-01", until="2015-09-01").total == 1
        assert search(migrated, "المياه", outlet="spa").total == 0
        check = migrated.connection.execute(
            "INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')"
        )
        assert check is not None


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(MarsadError) as caught:
        Store.open(junk)
    assert caught.value.code == "E301"


def test_a_corpus_of_a_newer_marsad_is_refused(corpus_location: str) -> None:
    with Store.open(corpus_location) as store:
        store.connection.execute("INSERT INTO schema_version VALUES (99, 'future', 'now')")
    with pytest.raises(MarsadError, match="upgrade marsad") as caught:
        Store.open(corpus_location)
    assert caught.value.code == "E301"


def test_an_unreachable_postgresql_server_is_a_coded_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on a port just released: connecting fails at once.
    with pytest.raises(MarsadError) as caught:
        Store.open(f"postgresql://marsad:secret@127.0.0.1:{port}/corpus?connect_timeout=2")
    assert caught.value.code == "E301" and "secret" not in str(caught.value)


_WRITER = textwrap.dedent(
    """
    import random, sys
    sys.path.insert(0, sys.argv[1])
    from corpus_texts import ECONOMY, FOOTBALL, WATER, make_article
    from marsad.corpus.store import Store
    seed, location = int(sys.argv[2]), sys.argv[3]
    words = " ".join(WATER + FOOTBALL + ECONOMY).split()
    articles = [
        make_article(
            f"خبر رقم {n}. " + " ".join(random.Random(n).sample(words, 40)),
            url=f"https://example.org/{n}", outlet=f"outlet{n % 3}",
        )
        for n in range(60)
    ]
    random.Random(seed).shuffle(articles)
    with Store.open(location) as store:
        for start in range(0, len(articles), 7):
            store.upsert_many(articles[start : start + 7])
    """
)


def test_concurrent_writers_lose_and_double_nothing(corpus_location: str) -> None:
    # Three processes store the same 60 articles in different orders, at the same time.
    here = str(Path(__file__).resolve().parent)
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, here, str(seed), corpus_location])
        for seed in range(3)
    ]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    with Store.open(corpus_location) as store:
        assert _counts(store) == (60, 60, 60)
        assert search(store, "رقم", limit=1).total == 60
        signatures = store.connection.execute("SELECT COUNT(*) FROM signatures").fetchone()[0]
        assert signatures == 60


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


def _open_at_once(path: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        Store.open(path)
        results.put("ok")  # type: ignore[attr-defined]
    except MarsadError as err:
        results.put(str(err))  # type: ignore[attr-defined]


def test_processes_opening_a_new_sqlite_corpus_at_once_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL needs it to itself, and SQLite refuses at once rather than wait:
    # several processes creating the same corpus together must still all get it open.
    import multiprocessing

    context = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    for trial in range(15):
        path = str(tmp_path / f"corpus{trial}.db")
        barrier = context.Barrier(6)
        results = context.Queue()
        workers = [context.Process(target=_open_at_once, args=(path, barrier, results)) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [results.get(timeout=5) for _ in workers] == ["ok"] * 6
