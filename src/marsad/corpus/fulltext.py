"""The full-text index of the PostgreSQL backend, built to give the results of SQLite's FTS5.

Both backends index the same analysed terms (``terms.index_terms``). SQLite tokenises them with
FTS5's unicode61 tokenizer and ranks with FTS5's BM25. PostgreSQL gets a ``tsvector`` written
here, token by token, with the same tokenisation (no text-search configuration touches it), so a
query matches the same articles; BM25 is then computed here with FTS5's formula and statistics,
so scores and order agree too. PostgreSQL's own ``ts_rank`` would order hits differently.

Limits of ``tsvector`` (documented in docs/corpus.md): positions stop at 16,383 and a term keeps
its first 256 positions, so a phrase past those in a very long article is not matched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Node",
    "Statistics",
    "bm25",
    "matches",
    "phrases",
    "tsquery",
    "tsvector",
    "unicode61_tokens",
]

# FTS5's unicode61 keeps letters, numbers and private-use characters and splits at the rest.
_TOKEN_RE = re.compile(r"[^\W_]+|[\ue000-\uf8ff]+")
_MAX_POSITION = 16_383
_MAX_POSITIONS = 256
# FTS5's BM25 constants.
_K1 = 1.2
_B = 0.75


def unicode61_tokens(terms: str) -> list[str]:
    """The tokens FTS5's unicode61 tokenizer makes of a string of index terms."""
    return [token.lower() for token in _TOKEN_RE.findall(terms)]


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector(title: Sequence[str], body: Sequence[str]) -> str:
    """A ``tsvector`` literal of the title and body tokens.

    The body starts two positions after the title, so no phrase runs from one into the other.
    """
    positions: dict[str, list[int]] = {}
    offset = len(title) + 2
    for index, token in enumerate(title):
        positions.setdefault(token, []).append(index + 1)
    for index, token in enumerate(body):
        positions.setdefault(token, []).append(min(index + offset, _MAX_POSITION))
    return " ".join(
        _lexeme(token) + ":" + ",".join(str(p) for p in sorted(set(spots))[:_MAX_POSITIONS])
        for token, spots in positions.items()
    )


@dataclass(frozen=True, slots=True)
class Node:
    """A parsed query: a phrase of tokens, or "and", "or", "not" (binary: left NOT right) of children."""

    kind: Literal["phrase", "and", "or", "not"]
    tokens: tuple[str, ...] = ()
    children: tuple[Node, ...] = ()


def tsquery(node: Node) -> str:
    """The ``tsquery`` literal of a query tree."""
    if node.kind == "phrase":
        return "(" + " <-> ".join(_lexeme(token) for token in node.tokens) + ")"
    if node.kind == "not":
        left, right = node.children
        return f"({tsquery(left)} & !{tsquery(right)})"
    joiner = " & " if node.kind == "and" else " | "
    return "(" + joiner.join(tsquery(child) for child in node.children) + ")"


def phrases(node: Node) -> list[tuple[str, ...]]:
    """The phrases of a query tree, left to right, repeats included (as FTS5 numbers them)."""
    if node.kind == "phrase":
        return [node.tokens]
    return [phrase for child in node.children for phrase in phrases(child)]


def _count(phrase: tuple[str, ...], tokens: Sequence[str]) -> int:
    size = len(phrase)
    if size == 0:
        return 0
    return sum(1 for i in range(len(tokens) - size + 1) if tuple(tokens[i : i + size]) == phrase)


def matches(
    node: Node, title: Sequence[str], body: Sequence[str], *, weights: tuple[float, float]
) -> tuple[bool, list[float]]:
    """Whether a row matches ``node``, and each phrase's weighted frequency in it.

    As in FTS5, the phrases of a branch that does not match the row count zero.
    """
    if node.kind == "phrase":
        in_title, in_body = _count(node.tokens, title), _count(node.tokens, body)
        return in_title + in_body > 0, [weights[0] * in_title + weights[1] * in_body]
    results = [matches(child, title, body, weights=weights) for child in node.children]
    frequencies = [f for _, child_frequencies in results for f in child_frequencies]
    if node.kind == "not":
        (matched, kept), (excluded, dropped) = results
        if not matched or excluded:
            return False, [0.0] * len(frequencies)
        return True, kept + [0.0] * len(dropped)
    matched = all(m for m, _ in results) if node.kind == "and" else any(m for m, _ in results)
    if not matched:
        return False, [0.0] * len(frequencies)
    return True, frequencies


@dataclass(frozen=True, slots=True)
class Statistics:
    """What BM25 needs from the whole index: rows, tokens over all rows, rows per phrase."""

    rows: int
    tokens: int
    phrase_rows: list[int]


def bm25(frequencies: Sequence[float], length: int, statistics: Statistics) -> float:
    """FTS5's BM25 (as a positive score) of a row with ``length`` tokens."""
    rows = max(statistics.rows, 1)
    average = statistics.tokens / rows if statistics.tokens else 1.0
    score = 0.0
    for frequency, hits in zip(frequencies, statistics.phrase_rows, strict=True):
        idf = math.log((0.5 + rows - hits) / (0.5 + hits))
        if idf <= 0.0:
            idf = 1e-6
        score += idf * (frequency * (_K1 + 1.0)) / (frequency + _K1 * (1.0 - _B + _B * length / average))
    return score
