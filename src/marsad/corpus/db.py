"""The two database backends of the corpus behind one small connection object.

The corpus SQL is written once, with ``?`` placeholders and the statements both SQLite and
PostgreSQL understand (``INSERT ... ON CONFLICT``, ``RETURNING``, ``NULLS LAST``). What differs
is named here: how to connect, how a write transaction starts, placeholders, and how to ask
whether a table exists. The full-text index differs too; ``search.py`` and ``store.py`` branch on
``Database.dialect`` for it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from marsad.errors import MarsadError

__all__ = ["Database", "Dialect", "connect", "is_url", "redacted"]

Dialect = Literal["sqlite", "postgresql"]

_BUSY_TIMEOUT_S = 30.0
# Any constant works; it names marsad's writer lock among the advisory locks of the server.
_WRITER_LOCK = 0x6D61727361
# A placeholder or a literal percent sign outside quoted strings and identifiers.
_PLACEHOLDER_RE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[?%]")


def is_url(location: str | os.PathLike[str]) -> bool:
    """True for a PostgreSQL URL (``postgresql://...`` or ``postgres://...``)."""
    text = os.fspath(location)
    return isinstance(text, str) and text.startswith(("postgresql://", "postgres://"))


def _to_pyformat(sql: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        return "%s" if token == "?" else "%%" if token == "%" else token

    return _PLACEHOLDER_RE.sub(replace, sql)


class Database:
    """A DB-API connection in autocommit mode whose transactions are explicit.

    ``execute(sql, params)`` takes ``?`` placeholders on both backends and returns a cursor with
    ``fetchone``, ``fetchall`` and iteration.
    """

    def __init__(self, raw: Any, *, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect: Dialect = dialect
        self._translated: dict[str, str] = {}

    @classmethod
    def wrap(cls, connection: Database | sqlite3.Connection) -> Database:
        """``connection`` itself, or a SQLite connection wrapped (it must be in autocommit mode)."""
        if isinstance(connection, Database):
            return connection
        return cls(connection, dialect="sqlite")

    def _sql(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        translated = self._translated.get(sql)
        if translated is None:
            translated = self._translated[sql] = _to_pyformat(sql)
        return translated

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        # psycopg reads %% as a literal percent only when parameters are given: always give them.
        return self.raw.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if self.dialect == "sqlite":
            self.raw.executemany(sql, rows)
            return
        rows = list(rows)
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)

    def begin_write(self) -> None:
        """Start a write transaction that no other writer of the corpus interleaves with.

        SQLite allows one writer at a time (``BEGIN IMMEDIATE`` waits up to the busy timeout).
        PostgreSQL would let two writers index at once, each blind to the other's uncommitted
        articles, and miss the copies between them: a transaction-scoped advisory lock makes
        writers take turns, as in SQLite, while their analysis still runs in parallel.
        """
        if self.dialect == "sqlite":
            self.raw.execute("BEGIN IMMEDIATE")
        else:
            self.raw.execute("BEGIN")
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))

    def commit(self) -> None:
        self.raw.execute("COMMIT")

    def rollback(self) -> None:
        self.raw.execute("ROLLBACK")

    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        else:
            sql = "SELECT 1 WHERE to_regclass(?) IS NOT NULL"
        return self.execute(sql, (name,)).fetchone() is not None

    def close(self) -> None:
        self.raw.close()


def connect(location: str | os.PathLike[str]) -> Database:
    """Connect to a SQLite file or a PostgreSQL URL. Raises E301 when that is not possible."""
    if is_url(location):
        return _connect_postgresql(os.fspath(location))
    path = Path(location)
    try:
        raw = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_S)
        _use_wal(raw)
    except sqlite3.OperationalError as err:
        if _is_busy(err):
            raise MarsadError(
                "E301",
                f"the corpus stayed locked by another process for {_BUSY_TIMEOUT_S:.0f} s (SQLite said: {err})",
                input=str(path),
            ) from err
        raise MarsadError("E301", f"not a marsad corpus (SQLite said: {err})", input=str(path)) from err
    except sqlite3.DatabaseError as err:
        raise MarsadError("E301", f"not a marsad corpus (SQLite said: {err})", input=str(path)) from err
    # WAL with synchronous=NORMAL: a killed process loses nothing committed; only a power
    # failure can lose the last transactions, never corrupt the file.
    raw.execute("PRAGMA synchronous = NORMAL")
    raw.execute("PRAGMA foreign_keys = ON")
    return Database(raw, dialect="sqlite")


def _is_busy(err: sqlite3.OperationalError) -> bool:
    message = str(err).lower()
    return "locked" in message or "busy" in message


def _use_wal(raw: sqlite3.Connection) -> None:
    """Switch the file to WAL unless it already is. Changing the journal mode needs the file to
    itself, and SQLite answers "locked" at once (no busy wait) when another process opens a new
    corpus at the same moment, so this retries with a growing pause, up to the busy timeout."""
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                raw.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if not _is_busy(err) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def _connect_postgresql(url: str) -> Database:
    try:
        import psycopg
    except ImportError as err:
        raise MarsadError(
            "E301", "a PostgreSQL corpus needs psycopg: pip install 'marsad[postgres]'", input=url
        ) from err
    try:
        raw = psycopg.connect(url, autocommit=True)
    except psycopg.Error as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise MarsadError(
            "E301", f"cannot open the PostgreSQL corpus (psycopg said: {message})", input=redacted(url)
        ) from err
    return Database(raw, dialect="postgresql")


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
