"""The terms the full-text index stores, and the same analysis for queries.

Both sides go through :func:`marsad.text.stem.search_terms` (search-normalised, tokenised,
light-stemmed), then through a small table that joins spelling variants of transliterated names
the stemmer keeps apart (أميركا / أمريكا). SQLite's unicode61 tokenizer only ever sees these terms:
it would split Arabic words at diacritics, and our view has none.
"""

from __future__ import annotations

import functools

from marsad.text.stem import light_stem, search_terms
from marsad.text.tokenise import tokenise

__all__ = ["TERMS_VERSION", "index_terms", "stem_of_token", "token_terms", "variant"]

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
