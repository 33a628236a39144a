"""Arabic-aware full-text search over a corpus, ranked by BM25, with filters and snippets.

A query is analysed like the stored text (normalised, light-stemmed, spelling variants joined),
so أمريكا finds الأمريكية and أميركا, and a plain query finds diacritised text. Syntax: words
(all required), "quoted phrases", and the operators AND, OR, NOT written in capitals, with
parentheses. The Arabic words و، أو، ليس are ordinary words, never operators. NOT is binary, as in
SQLite FTS5: ``a NOT b``. A malformed query raises E301 saying what is wrong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from marsad.corpus import fulltext
from marsad.corpus.fulltext import Node
from marsad.corpus.terms import FACET_TOKENS, date_facets, index_terms, outlet_facet, token_terms
from marsad.errors import MarsadError

if TYPE_CHECKING:
    from marsad.corpus.store import Store

__all__ = ["SearchHit", "SearchResults", "parse_query", "search"]

MARKERS = ("[[", "]]")
_MAX_LIMIT = 1000
# Title matches weigh twice body matches in BM25.
_WEIGHTS = (2.0, 1.0)
_SNIPPET_TOKENS = 30
# Above this many matches the total is reported as a lower bound (``total_capped``).
COUNT_CAP = 10_000
# Up to this many matches every one is ranked exactly; above it, a window of the newest matches
# is ranked (BM25 and the join to the articles cost a few microseconds per match).
_EXACT_MATCHES = 2_000
_WINDOW = 2_000
# A date range is matched through the index's day tokens when it spans at most this many days
# (of the corpus's own span); a broader one keeps so much of the corpus that filtering the
# matches costs less than the long OR of day tokens.
_FACET_DAYS = 92
# Snippets read the text in slices of about this many characters until one holds a match.
_SLICE_CHARS = 500
_LEX_RE = re.compile(r'"[^"]*"|"[^"]*$|\(|\)|[^\s()"]+')
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Sorts after every character, in SQLite's byte order and PostgreSQL's "C" collation alike.
_LAST_CHARACTER = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One matching article: its id and metadata, its BM25 score and a highlighted snippet.

    ``highlights`` are ``(start, end)`` offsets of matched words in the article's original text;
    ``snippet`` is a slice of that text with ``MARKERS`` around the matched words.
    """

    id: str
    title: str | None
    outlet: str | None
    published: str | None
    score: float | None
    snippet: str
    highlights: list[tuple[int, int]]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "outlet": self.outlet,
            "published": self.published,
            "score": self.score,
            "snippet": self.snippet,
            "highlights": [list(pair) for pair in self.highlights],
        }


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of hits, best first, and the total number of matching articles.

    When ``total_capped`` is true, ``total`` is a lower bound: the search stopped counting.
    """

    query: str
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    limit: int = 20
    offset: int = 0
    total_capped: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "total_capped": self.total_capped,
            "limit": self.limit,
            "offset": self.offset,
            "hits": [hit.to_json() for hit in self.hits],
        }


# -- query parsing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Query:
    fts: str  # the FTS5 MATCH expression
    terms: frozenset[str]  # terms whose matches are highlighted (not those under NOT)
    tree: Node  # the same expression for the PostgreSQL backend


# An expression as FTS5 text and as a tree.
_Expression = tuple[str, Node]


def _bad(query: str, message: str) -> MarsadError:
    return MarsadError("E301", f"bad search query {query!r}: {message}")


class _Parser:
    """Recursive descent over the lexed query; builds a fully parenthesised FTS5 expression and its tree."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _LEX_RE.findall(query)
        self.position = 0
        self.terms: set[str] = set()

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> _Query | None:
        expression = self.or_expression()
        if self.peek() is not None:
            raise _bad(self.query, f"unexpected {self.peek()!r}")
        if expression is None:
            return None
        return _Query(expression[0], frozenset(self.terms), expression[1])

    def or_expression(self) -> _Expression | None:
        parts = [self.and_expression()]
        while self.peek() == "OR":
            self.take()
            if self.peek() in (None, ")", "OR", "AND", "NOT"):
                raise _bad(self.query, "OR needs a term after it")
            parts.append(self.and_expression())
        return _joined(parts, "OR")

    def and_expression(self) -> _Expression | None:
        parts = [self.not_expression()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
                if self.peek() in (None, ")", "OR", "AND", "NOT"):
                    raise _bad(self.query, "AND needs a term after it")
            parts.append(self.not_expression())
        return _joined(parts, "AND")

    def not_expression(self) -> _Expression | None:
        if self.peek() == "NOT":
            raise _bad(self.query, "NOT needs a term before it, as in 'a NOT b'")
        left = self.primary(highlight=True)
        while self.peek() == "NOT":
            self.take()
            if self.peek() in (None, ")", "OR", "AND", "NOT"):
                raise _bad(self.query, "NOT needs a term after it")
            right = self.primary(highlight=False)
            if left is None:
                raise _bad(self.query, "NOT needs a searchable term before it")
            if right is not None:
                left = (f"({left[0]} NOT {right[0]})", Node("not", children=(left[1], right[1])))
        return left

    def primary(self, *, highlight: bool) -> _Expression | None:
        token = self.peek()
        if token is None:
            raise _bad(self.query, "it ends where a term was expected")
        if token in ("AND", "OR"):
            raise _bad(self.query, f"{token} needs a term before it")
        self.take()
        if token == "(":
            inner = self.or_expression()
            if self.peek() != ")":
                raise _bad(self.query, "a parenthesis is not closed")
            self.take()
            return inner
        if token == ")":
            raise _bad(self.query, "a closing parenthesis has no opening one")
        if token.startswith('"'):
            if len(token) < 2 or not token.endswith('"'):
                raise _bad(self.query, "a quote is not closed")
            words = index_terms(token[1:-1])
        else:
            words = index_terms(token)
        if not words:
            return None
        if highlight:
            self.terms.update(words)
        phrase = " ".join(words)
        # Terms carry no quotes (the analysis drops punctuation); doubling keeps FTS5 safe anyway.
        fts = '"' + phrase.replace('"', '""') + '"'
        return fts, Node("phrase", tokens=tuple(fulltext.unicode61_tokens(phrase)))


def _joined(parts: list[_Expression | None], operator: str) -> _Expression | None:
    kept = [part for part in parts if part is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    fts = "(" + f" {operator} ".join(part[0] for part in kept) + ")"
    return fts, Node("and" if operator == "AND" else "or", children=tuple(part[1] for part in kept))


def parse_query(query: str) -> tuple[str, frozenset[str]] | None:
    """The FTS5 expression and the highlighted terms of ``query``; None when it has no terms.

    Raises E301 for a malformed query (a dangling operator, an unclosed quote or parenthesis).
    """
    parsed = _Parser(query).parse()
    return None if parsed is None else (parsed.fts, parsed.terms)


# -- searching ------------------------------------------------------------------------------------


def _date_bound(value: str | date | None, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:
        datetime.fromisoformat(value)
    except ValueError as err:
        raise MarsadError("E301", f"{name} must be an ISO 8601 date, got {value!r}") from err
    return value


def search(
    store: Store,
    query: str,
    *,
    outlet: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    actor: str | None = None,
    technique: str | None = None,
    min_propaganda: float | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search ``store``; an empty query lists the articles the filters keep, newest first.

    ``since`` and ``until`` are inclusive ISO dates (a day, or a full timestamp). Raises E301
    for a malformed query or option.
    """
    if not 1 <= limit <= _MAX_LIMIT:
        raise MarsadError("E301", f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise MarsadError("E301", f"offset must not be negative, got {offset}")
    parsed = _Parser(query).parse() if query.strip() else None
    if query.strip() and parsed is None:
        raise MarsadError("E301", f"bad search query {query!r}: it holds no searchable word")
    where: list[str] = []
    params: list[Any] = []
    if parsed is not None:
        where.append("articles_fts MATCH ?")
        params.append(parsed.fts)
    if outlet is not None:
        where.append("a.outlet = ?")
        params.append(outlet)
    lower = _date_bound(since, "since")
    if lower is not None:
        where.append("a.published >= ?")
        params.append(lower)
    upper = _date_bound(until, "until")
    if upper is not None:
        # Inclusive: "2015-07-21" keeps every timestamp of that day. The first bound is what the
        # date index can range over (every string starting with ``upper`` sorts below it); the
        # second is the exact test. Without the first, a scan runs on to the newest date.
        where.append("a.published < ? AND substr(a.published, 1, ?) <= ?")
        params.extend([upper + _LAST_CHARACTER, len(upper), upper])
    if actor is not None:
        where.append("EXISTS (SELECT 1 FROM article_actors x WHERE x.article = a.rid AND x.actor = ?)")
        params.append(actor)
    if technique is not None:
        where.append(
            "EXISTS (SELECT 1 FROM article_techniques t WHERE t.article = a.rid AND t.technique = ?)"
        )
        params.append(technique)
    if min_propaganda is not None:
        where.append("a.propaganda >= ?")
        params.append(float(min_propaganda))
    connection = store.connection
    terms = parsed.terms if parsed is not None else frozenset()
    capped = False
    if parsed is None:
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = connection.execute(f"SELECT COUNT(*) FROM article_filters a{clause}", params).fetchone()[0]
        # Undated articles come last on both backends (PostgreSQL sorts NULL first when descending).
        nulls = " NULLS LAST" if connection.dialect == "postgresql" else ""
        ranked = connection.execute(
            f"SELECT a.rid, NULL FROM article_filters a{clause} "
            f"ORDER BY a.published DESC{nulls}, a.rid DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
    else:
        facets, covered = _facet_expression(connection, outlet, since=lower, until=upper)
        # Other filters, or bounds finer than a day, still prune the facet matches. Both backends
        # decide alike, so that they report the same totals.
        exact = covered and actor is None and technique is None and min_propaganda is None
        exact = exact and all(bound is None or len(bound) == 10 for bound in (lower, upper))
        if connection.dialect == "postgresql":
            total, capped, ranked = _ranked_matches_postgresql(
                connection,
                parsed.tree,
                where[1:],
                params[1:],
                filters_exact=exact,
                limit=limit,
                offset=offset,
            )
        else:
            total, capped, ranked = _ranked_matches(
                connection,
                where,
                params,
                faceted=store.facets,
                facets=facets if store.facets else None,
                facets_exact=exact and store.facets,
                limit=limit,
                offset=offset,
            )
    hits = []
    # One round trip for the page's rows.
    wanted = [rid for rid, _ in ranked]
    rows: dict[int, tuple[Any, ...]] = {}
    if wanted:
        marks = ", ".join("?" * len(wanted))
        for row in connection.execute(
            f"SELECT rid, id, title, outlet, published, text FROM articles WHERE rid IN ({marks})", wanted
        ).fetchall():
            rows[int(row[0])] = tuple(row[1:])
    for rid, rank in ranked:
        article_id, title, outlet_name, published, text = rows[int(rid)]
        snippet, highlights = _fast_snippet(text, terms)
        hits.append(
            SearchHit(
                id=article_id,
                title=title,
                outlet=outlet_name,
                published=published,
                score=None if rank is None else round(float(rank), 4),
                snippet=snippet,
                highlights=highlights,
            )
        )
    return SearchResults(
        query=query, total=int(total), hits=hits, limit=limit, offset=offset, total_capped=capped
    )


def _facet_expression(
    connection: Any, outlet: str | None, *, since: str | None, until: str | None
) -> tuple[str | None, bool]:
    """The FTS5 expression over the facet column that the outlet and date filters imply (None if
    none applies), and whether it covers both (a date range too broad for day tokens is left to
    the exact filter)."""
    parts = [] if outlet is None else [outlet_facet(outlet)]
    covered = True
    if since is not None or until is not None:
        # Two subqueries: each reads one end of the date index (one query with both scans it all).
        first, last = connection.execute(
            "SELECT (SELECT MIN(published) FROM article_filters), (SELECT MAX(published) FROM article_filters)"
        ).fetchone()
        days = date_facets(since, until, first=first or "", last=last or "", max_days=_FACET_DAYS)
        if days is None:
            covered = False
        else:
            parts.append(days)
    return ("(" + " AND ".join(parts) + ")" if parts else None), covered


def _ranked_matches(
    connection: Any,
    where: list[str],
    params: list[Any],
    *,
    faceted: bool,
    facets: str | None,
    facets_exact: bool,
    limit: int,
    offset: int,
) -> tuple[int, bool, list[tuple[int, float]]]:
    """The total (and whether it is a lower bound) and the page's ``(rid, score)``, best first.

    ``where[0]`` is the MATCH and ``params[0]`` its expression; the filters name the columns of
    ``article_filters`` as ``a``. ``faceted`` says the index has the facet column; ``facets`` (an expression over the index's facet column) narrows
    the matches to a superset of what the filters keep; ``facets_exact`` says the filters keep
    every one of those. Few matches: every one is filtered and ranked. Many: only the newest
    ``window`` matches the filters keep are ranked (the index serves matches newest first without
    scoring them).
    """
    expression = params[0]
    score = f"-bm25(articles_fts, {_WEIGHTS[0]}, {_WEIGHTS[1]})"
    if faceted:
        # Confine the user's terms to the text columns, so none can match a facet token; the
        # facet column weighs nothing in BM25.
        expression = "{title body} : (" + expression + ")"
        if facets is not None:
            expression += " AND facets : " + facets
        score = f"-bm25(articles_fts, {_WEIGHTS[0]}, {_WEIGHTS[1]}, 0.0)"
    filters, filter_params = where[1:], params[1:]
    matches = connection.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)",
        (expression, COUNT_CAP + 1),
    ).fetchone()[0]
    clause = " WHERE " + " AND ".join(filters) if filters else ""

    def page(rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
        rows.sort(key=lambda row: (-row[1], row[0]))
        return rows[offset : offset + limit]

    if matches <= _EXACT_MATCHES:
        # CROSS JOIN fixes the order: match in the index first, then look up the rows (with a
        # filter, SQLite otherwise scans the filtered index and runs the match per row).
        rows = connection.execute(
            f"SELECT a.rid, c.score FROM (SELECT rowid AS rid, {score} AS score FROM articles_fts "
            f"WHERE articles_fts MATCH ?) c CROSS JOIN article_filters a ON a.rid = c.rid{clause}",
            (expression, *filter_params),
        ).fetchall()
        return len(rows), False, page(rows)
    window = max(_WINDOW, offset + limit)
    if not filters:
        # The count needs no article row: it comes from the index, capped.
        rows = connection.execute(
            f"SELECT rowid, {score} FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (expression, window),
        ).fetchall()
        return min(matches, COUNT_CAP), matches > COUNT_CAP, page(rows)

    def streamed() -> list[tuple[int, float]]:
        # The newest matches the filters keep; BM25 is computed only for those (WHERE comes first).
        rows: list[tuple[int, float]] = connection.execute(
            f"SELECT a.rid, {score} FROM articles_fts CROSS JOIN article_filters a "
            f"ON a.rid = articles_fts.rowid WHERE articles_fts MATCH ? AND {' AND '.join(filters)} "
            "ORDER BY articles_fts.rowid DESC LIMIT ?",
            (expression, *filter_params, window),
        ).fetchall()
        return rows

    if facets_exact:
        # The facets keep exactly what the filters keep: the join confirms each row (cheap, since
        # nearly every one passes) and the capped count of the index is the total.
        return min(matches, COUNT_CAP), matches > COUNT_CAP, page(streamed())
    # Two plans give the same rows. Streaming walks the matches newest first, looks each up in
    # article_filters and stops at the window's end: about window / (share the filter keeps)
    # lookups. Probing builds the set of kept articles and tests each match against it: about
    # (articles kept) + (matches). Streaming wins when the filter keeps at least
    # sqrt(window * articles) articles, or keeps more articles than there are matches.
    articles = connection.execute("SELECT MAX(rid) FROM article_filters").fetchone()[0] or 1
    enough = math.isqrt(window * articles) + 1
    if matches <= COUNT_CAP:
        enough = min(enough, matches)
    kept, lowest, highest = connection.execute(
        f"SELECT COUNT(*), MIN(rid), MAX(rid) FROM (SELECT a.rid FROM article_filters a{clause} LIMIT ?)",
        (*filter_params, enough),
    ).fetchone()
    if kept >= enough:
        rows = streamed()
    elif kept == 0:
        rows = []
    else:
        # The count read every kept rid, so their range is exact: the index skips the matches
        # outside it (rids grow with ingestion, which follows publication, so a date range is
        # often a narrow band of rids).
        rows = connection.execute(
            f"SELECT rowid, {score} FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ? "
            f"AND +rowid IN (SELECT a.rid FROM article_filters a{clause}) ORDER BY rowid DESC LIMIT ?",
            (expression, lowest, highest, *filter_params, window),
        ).fetchall()
    return len(rows), len(rows) >= window, page(rows)


def _ranked_matches_postgresql(
    connection: Any,
    tree: Node,
    filters: list[str],
    filter_params: list[Any],
    *,
    filters_exact: bool,
    limit: int,
    offset: int,
) -> tuple[int, bool, list[tuple[int, float]]]:
    """``_ranked_matches`` on PostgreSQL: the same candidates and totals, scored by FTS5's BM25
    formula. ``filters_exact`` is true where SQLite counts the filtered matches in its index."""
    expression = fulltext.tsquery(tree)
    matches = connection.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM search_terms WHERE terms @@ ?::tsquery LIMIT ?) m",
        (expression, COUNT_CAP + 1),
    ).fetchone()[0]
    clause = " AND " + " AND ".join(filters) if filters else ""

    def page(rids: list[int]) -> list[tuple[int, float]]:
        rows = _bm25_scores(connection, tree, rids)
        rows.sort(key=lambda row: (-row[1], row[0]))
        return rows[offset : offset + limit]

    if matches <= _EXACT_MATCHES:
        rids = [
            rid
            for (rid,) in connection.execute(
                f"SELECT a.rid FROM search_terms s JOIN article_filters a ON a.rid = s.rid "
                f"WHERE s.terms @@ ?::tsquery{clause}",
                (expression, *filter_params),
            )
        ]
        return len(rids), False, page(rids)
    window = max(_WINDOW, offset + limit)
    if not filters:
        rids = [
            rid
            for (rid,) in connection.execute(
                "SELECT rid FROM search_terms WHERE terms @@ ?::tsquery ORDER BY rid DESC LIMIT ?",
                (expression, window),
            )
        ]
        return min(matches, COUNT_CAP), matches > COUNT_CAP, page(rids)
    if filters_exact:
        kept = connection.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM search_terms s JOIN article_filters a ON a.rid = s.rid "
            f"WHERE s.terms @@ ?::tsquery{clause} LIMIT ?) m",
            (expression, *filter_params, COUNT_CAP + 1),
        ).fetchone()[0]
    # The newest matches the filters keep, as both SQLite plans return them.
    rids = [
        rid
        for (rid,) in connection.execute(
            f"SELECT s.rid FROM search_terms s JOIN article_filters a ON a.rid = s.rid "
            f"WHERE s.terms @@ ?::tsquery{clause} ORDER BY s.rid DESC LIMIT ?",
            (expression, *filter_params, window),
        )
    ]
    if filters_exact:
        return min(kept, COUNT_CAP), kept > COUNT_CAP, page(rids)
    return len(rids), len(rids) >= window, page(rids)


def _bm25_scores(connection: Any, tree: Node, rids: list[int]) -> list[tuple[int, float]]:
    """``(rid, score)`` of each matching row, with the statistics FTS5 would use."""
    if not rids:
        return []
    rows, tokens = connection.execute(
        "SELECT COUNT(*), COALESCE(SUM(tokens), 0) FROM search_terms"
    ).fetchone()
    # SQLite's index counts each row's facet tokens in its length: count them here too.
    tokens = int(tokens) + FACET_TOKENS * int(rows)
    phrase_rows = [
        connection.execute(
            "SELECT COUNT(*) FROM search_terms WHERE terms @@ ?::tsquery",
            (fulltext.tsquery(Node("phrase", tokens=phrase)),),
        ).fetchone()[0]
        for phrase in fulltext.phrases(tree)
    ]
    statistics = fulltext.Statistics(rows=int(rows), tokens=int(tokens), phrase_rows=phrase_rows)
    scored = []
    for rid, title, body, length in connection.execute(
        "SELECT rid, title, body, tokens FROM search_terms WHERE rid = ANY(?)", (rids,)
    ):
        _, frequencies = fulltext.matches(
            tree, fulltext.unicode61_tokens(title), fulltext.unicode61_tokens(body), weights=_WEIGHTS
        )
        scored.append((int(rid), fulltext.bm25(frequencies, int(length) + FACET_TOKENS, statistics)))
    return scored


def _fast_snippet(text: str, terms: frozenset[str]) -> tuple[str, list[tuple[int, int]]]:
    """``make_snippet`` over the first slices of ``text``, up to a window's length after the first match.

    Tokenising a whole long article costs milliseconds; the snippet only needs the region of the
    first matches. Highlights then cover the part read, which always holds the snippet.
    """
    if len(text) <= _SLICE_CHARS * 3 // 2:
        return make_snippet(text, terms)
    tokens: list[tuple[int, int, str]] = []
    begin, found = 0, False
    while begin < len(text):
        end = len(text) if len(text) - begin <= _SLICE_CHARS * 3 // 2 else _cut(text, begin + _SLICE_CHARS)
        tokens.extend(
            (start + begin, stop + begin, term) for start, stop, term in token_terms(text[begin:end])
        )
        begin = end
        if found or not terms:
            break
        first = next((i for i, (_, _, term) in enumerate(tokens) if term in terms), None)
        # Stop once the window after the first match fits in what was read; else read one more slice.
        if first is not None and first + _SNIPPET_TOKENS <= len(tokens):
            break
        found = first is not None
    return _snippet_from_tokens(text, tokens, terms, size=_SNIPPET_TOKENS, markers=MARKERS, last_end=begin)


def _cut(text: str, position: int) -> int:
    """A slice end at or after ``position`` that falls on whitespace, so no word is split."""
    space = text.find(" ", position)
    newline = text.find("\n", position)
    candidates = [index for index in (space, newline) if index >= 0]
    return min(candidates) if candidates else len(text)


def make_snippet(
    text: str, terms: frozenset[str], *, size: int = _SNIPPET_TOKENS, markers: tuple[str, str] = MARKERS
) -> tuple[str, list[tuple[int, int]]]:
    """A window of about ``size`` words of ``text`` holding the most query terms, with markers.

    Returns the snippet and the ``(start, end)`` offsets in ``text`` of every matched word.
    """
    return _snippet_from_tokens(
        text, token_terms(text), terms, size=size, markers=markers, last_end=len(text)
    )


def _snippet_from_tokens(
    text: str,
    tokens: list[tuple[int, int, str]],
    terms: frozenset[str],
    *,
    size: int,
    markers: tuple[str, str],
    last_end: int,
) -> tuple[str, list[tuple[int, int]]]:
    matched = [index for index, (_, _, term) in enumerate(tokens) if term in terms]
    highlights = [(tokens[index][0], tokens[index][1]) for index in matched]
    if not tokens:
        return "", highlights
    first = 0
    if matched:
        # The window start that covers the most distinct matched terms (earliest on ties).
        best = -1
        for candidate in matched:
            start = max(0, candidate - 3)
            window = {tokens[i][2] for i in matched if start <= i < start + size}
            if len(window) > best:
                best, first = len(window), start
    last = min(len(tokens), first + size) - 1
    begin, end = tokens[first][0], tokens[last][1]
    pieces = ["… " if first > 0 else ""]
    cursor = begin
    for start, stop in highlights:
        if start < begin or stop > end:
            continue
        pieces.append(text[cursor:start])
        pieces.append(markers[0] + text[start:stop] + markers[1])
        cursor = stop
    pieces.append(text[cursor:end])
    if last < len(tokens) - 1 or last_end < len(text):
        pieces.append(" …")
    return "".join(pieces).replace("\n", " "), highlights
