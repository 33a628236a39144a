"""A light stemmer in the spirit of Light10, and the terms a search index stores.

``light_stem`` expects a normalised word (``normalise(word, search=True).text``). It strips one
leading و when at least three letters remain, then one article form (وال بال كال فال لل ال) when at
least two remain (neither from a word of the tokeniser's exception list, such as ولاية or الذي),
then the suffixes ا ها ان ات ون ين يه ية ه ة ي in that order, each at most once, while at least
three letters remain.

What it conflates: a word with and without article and conjunction (الرئيس، والرئيس، بالرئيس →
رييس), sound plurals and duals with their singular (مستشفيات، مستشفيين → مستشفي), nisba adjectives
with their noun (أمريكا، الأمريكي، الأمريكية، أمريكيون → امريك; روسيا، الروسية → روس), and feminine
with masculine (كبير، كبيرة → كبير). Spelling variants stay apart: أميركا and الأميركي give اميرك,
close to امريك but not the same; broken plurals (دول / دولة) are not joined.
"""

from __future__ import annotations

from marsad.text.normalise import normalise
from marsad.text.tokenise import _is_lexical, tokenise

__all__ = ["light_stem", "search_terms"]

_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
# The tanween/final alef goes first so that روسيا and الروسية meet at روس.
_SUFFIXES = ("ا", "ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
_MIN_STEM = 3


def light_stem(word: str) -> str:
    """The light stem of a normalised Arabic word; other words come back unchanged."""
    if len(word) >= _MIN_STEM + 1 and word[0] == "و" and not _is_lexical(word):
        word = word[1:]
    for article in _ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2 and not _is_lexical(word):
            word = word[len(article) :]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
    return word


def search_terms(text: str) -> list[str]:
    """The terms a search index stores for ``text``: search-normalised, tokenised, light-stemmed.

    Arabic words give their light stem, Latin words their casefolded form, numbers their digits;
    punctuation and symbols give nothing.
    """
    normalised = normalise(text, search=True)
    terms: list[str] = []
    for token in tokenise(text, normalised=normalised):
        if token.kind == "word":
            # the tokeniser's clitic analysis knows its exceptions; the stemmer finishes the job
            terms.append(light_stem(token.stem_norm))
        elif token.kind in ("latin", "number"):
            terms.append(token.norm)
    return terms
