"""The terms the full-text index stores, and the same analysis for queries.

Both sides go through :func:`marsad.text.stem.search_terms` (search-normalised, tokenised,
light-stemmed), then through a small table that joins spelling variants of transliterated names
the stemmer keeps apart (أميركا / أمريكا). SQLite's unicode61 tokenizer only ever sees these terms:
it would split Arabic words at diacritics, and our view has none.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import date, timedelta

from marsad.text.stem import light_stem, search_terms
from marsad.text.tokenise import tokenise

__all__ = [
    "FACET_TOKENS",
    "TERMS_VERSION",
    "date_facets",
    "facet_terms",
    "index_terms",
    "outlet_facet",
    "stem_of_token",
    "token_terms",
    "variant",
]

# Bump when the analysis changes: a migration then rebuilds the stored terms.
TERMS_VERSION = 1

# Stem -> the stem it is indexed as. Transliterations with two spellings in common use; both sides
# are written as light_stem returns them (so واشنطون, whose و and ون the stemmer strips, is اشنط).
_VARIANTS: dict[str, str] = {
    "اميرك": "امريك",  # أميركا، الأميركية
    "اورب": "اوروب",  # أوربا
    "اشنط": "واشنطن",  # واشنطون
    "ترمب": "ترامب",
    "ايسبوك": "فيسبوك",  # فايسبوك
    "وتيوب": "يوتيوب",
    "بوتن": "بوتين",
}


def variant(term: str) -> str:
    """The indexed form of a stemmed term."""
    return _VARIANTS.get(term, term)


def index_terms(text: str) -> list[str]:
    """The terms stored for ``text`` (and looked up for a query word), in text order."""
    return [_VARIANTS.get(term, term) for term in search_terms(text)]


@functools.lru_cache(maxsize=1 << 17)
def _word_term(stem_norm: str) -> str:
    # Snippets stem every word they read; words repeat (Zipf), so most calls are one lookup.
    return variant(light_stem(stem_norm))


def stem_of_token(norm: str, kind: str, stem_norm: str) -> str | None:
    """The indexed term of one token (for highlighting), or None for punctuation and symbols."""
    if kind == "word":
        return _word_term(stem_norm)
    if kind in ("latin", "number"):
        return norm
    return None


def token_terms(text: str) -> list[tuple[int, int, str]]:
    """Each indexable token of ``text`` with its original offsets and its indexed term."""
    from marsad.text.normalise import normalise

    normalised = normalise(text, search=True)
    out: list[tuple[int, int, str]] = []
    for token in tokenise(text, normalised=normalised):
        term = stem_of_token(token.norm, token.kind, token.stem_norm)
        if term:
            out.append((token.start, token.end, term))
    return out


# -- facets ---------------------------------------------------------------------------------------
# The full-text index holds a third column of facet tokens, so that an outlet or a date range is a
# term of the MATCH: FTS5 intersects doclists (skipping through them) instead of looking up every
# match of a common word in the filter table. Every row holds exactly FACET_TOKENS of them, which
# the PostgreSQL BM25 adds to each row's length so that scores stay equal on both backends. The
# tokens are ASCII letters and digits (one unicode61 token each); queries confine the user's terms
# to the title and body columns, so no word can ever match a facet.
FACET_TOKENS = 4
_DAY_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def outlet_facet(outlet: str | None) -> str:
    """The facet token of an outlet name (a hash: names may hold any character)."""
    return "o" + hashlib.blake2b((outlet or "").encode(), digest_size=8).hexdigest()


def facet_terms(outlet: str | None, published: str | None) -> str:
    """The facet column of one article: its outlet, day, month and year tokens."""
    match = _DAY_RE.match(published or "")
    if match is None:
        # Undated, or a date string marsad cannot read: one shared token per level.
        level = "none" if published is None else "x"
        return f"{outlet_facet(outlet)} d{level} m{level} y{level}"
    year, month, day = match.groups()
    return f"{outlet_facet(outlet)} d{year}{month}{day} m{year}{month} y{year}"


def date_facets(since: str | None, until: str | None, *, first: str, last: str, max_days: int) -> str | None:
    """An FTS5 expression over the day tokens that every article published between ``since`` and
    ``until`` holds (inclusive; either may be None), or None when the range, clamped to the corpus's
    ``first`` and ``last`` publication days, spans more than ``max_days`` days.

    The expression is a superset of the exact filter (it works by whole days), so the caller still
    applies the exact bounds. Articles with a date string that is not ISO are always included, as
    the exact filter compares strings. A broad range keeps a large share of the corpus: there the
    per-token cost of the expression outweighs what it saves, and None tells the caller to filter
    the matches instead.
    """
    low = _day(since) or _day(first)
    high = _day(until) or _day(last)
    corpus_low, corpus_high = _day(first), _day(last)
    if low is None or high is None or corpus_low is None or corpus_high is None:
        return None
    low, high = max(low, corpus_low), min(high, corpus_high)
    if low > high:
        return "dx"
    if (high - low).days + 1 > max_days:
        return None
    days = [f"d{(low + timedelta(days=n)).strftime('%Y%m%d')}" for n in range((high - low).days + 1)]
    return "(" + " OR ".join([*days, "dx"]) + ")"


def _day(value: str | None) -> date | None:
    match = _DAY_RE.match(value or "")
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
