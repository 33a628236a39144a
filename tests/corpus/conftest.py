"""Fixtures for the corpus tests: a fresh store per test, on SQLite and on PostgreSQL.

The PostgreSQL variant runs on a server the test session starts itself (``postgres_server.py``)
and skips when no PostgreSQL server binaries are installed. Each test gets its own schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_server import PostgresServer, find_binaries, fresh_postgres_url, start_server

from marsad.corpus.store import Store

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = find_binaries()
    if binaries is None:
        pytest.skip(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) in $MARSAD_PG_BIN, "
            "/usr/lib/postgresql/*/bin or PATH: install PostgreSQL to run the PostgreSQL variant"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'marsad[postgres]'")
    server = start_server(binaries)
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def corpus_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new corpus goes: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "corpus.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return fresh_postgres_url(server)


@pytest.fixture
def store(corpus_location: str) -> Iterator[Store]:
    with Store.open(corpus_location) as opened:
        yield opened
