"""Tokens with surface offsets, and the clitic segments of Arabic words.

Words are found in the normalised view (no diacritics, so a word is one run of letters) and
mapped back, so every offset points into the original text. A word such as وبموسكو is one token
whose segments are و (conj) + ب (prep) + موسكو (stem), each with its own original offsets.

Clitic rules, in order: a conjunction و/ف; then either the future marker س before an imperfective
prefix (ي ت ن, or أ written with its hamza), or a preposition ب/ل/ك followed optionally by the
article (ال; after ل the contracted لل); or the article alone. A split is made only when what remains is a plausible word:
at least two letters after the article, at least three after a bare proclitic (or a listed
two-letter host such as هو، ها), and not a word listed in ``clitic_exceptions.txt``. An ال whose
alef carries a hamza in the original (ألمانيا، إلى) is never the article.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, NamedTuple

from marsad.text._resources import data_lines
from marsad.text.normalise import Normalised, normalise, normalise_text

__all__ = ["Segment", "Token", "tokenise"]

ROLES = ("conj", "prep", "future", "article", "stem")
KINDS = ("word", "latin", "number", "punct", "symbol")

# Letters of Arabic-script words in the normalised view (diacritics and tatweel are gone).
_ARABIC_LETTERS = "\u0621-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9"
_TOKEN_RE = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)*)"
    rf"|(?P<word>[{_ARABIC_LETTERS}]+)"
    rf"|(?P<latin>[^\W\d_{_ARABIC_LETTERS}\u0600-\u06ff]+)"
    r"|(?P<other>\S)"
)
_HAMZA_ALEFS = frozenset("أإآ")


class Segment(NamedTuple):
    """A clitic or stem inside a token; offsets are into the original text.

    ``norm`` is the normalised segment, except the contracted article of لل, whose norm is "ال".
    """

    start: int
    end: int
    norm: str
    role: str


# Relative segment pieces of a word: (start, end, norm, role), offsets from the token's start.
_Template = tuple[tuple[int, int, str, str], ...]


class Token(NamedTuple):
    """A word, number or mark with its original offsets and normalised form.

    ``pieces`` holds the clitic layout: empty for a token without clitics, else either the shared
    relative layout of its word form or, where marks sit inside the word, the built segments.
    Segments are built when asked for: most callers never look at them, and tokens are made by
    the hundred thousand per second.
    """

    start: int
    end: int
    norm: str
    kind: str
    pieces: tuple[Any, ...] = ()

    @property
    def segments(self) -> tuple[Segment, ...]:
        """Proclitics then the stem, covering the token exactly; empty when there is no clitic."""
        pieces = self.pieces
        if not pieces or isinstance(pieces[0], Segment):
            return pieces
        base = self.start
        return tuple(
            _tuple_new(Segment, (base + start, base + end, norm, role)) for start, end, norm, role in pieces
        )

    @property
    def stem_norm(self) -> str:
        """The normalised stem (the token's norm when it has no clitic)."""
        pieces = self.pieces
        return pieces[-1][2] if pieces else self.norm


_tuple_new = tuple.__new__


def _fold(word: str) -> str:
    # Lookup key: the search view of a normalised word (ta marbuta folded); covers both spellings.
    return word.replace("ة", "ه")


_POSSESSIVES = ("ه", "ها", "هم", "هما", "هن", "ي", "نا", "كم", "ك", "ين", "ان")
_SUFFIXES = ("ات", "ية", "يه", "ين", "ون", "ان", "ها", "هم", "ة", "ه", "ي", "ا")


@lru_cache(maxsize=1)
def _exceptions() -> frozenset[str]:
    """Every listed word, folded, also with each common suffix (one set lookup per candidate)."""
    forms: set[str] = set()
    for line in data_lines("clitic_exceptions.txt"):
        word = _fold(normalise_text(line))
        forms.add(word)
        bases = [word, word[:-1]] if word.endswith("ه") else [word]
        for base in bases:
            for suffix in _SUFFIXES:
                forms.add(base + suffix)
        if word.endswith("ه"):
            # A ta marbuta turns into ت before a possessive: لائحة -> لائحته، لائحتها.
            for possessive in _POSSESSIVES:
                forms.add(word[:-1] + "ت" + possessive)
    return frozenset(forms)


@lru_cache(maxsize=1)
def _short_hosts() -> dict[str, frozenset[str]]:
    hosts: dict[str, set[str]] = {"conj": set(), "prep": set()}
    for line in data_lines("clitic_short_hosts.txt"):
        role, word = line.split()
        hosts[role].add(_fold(normalise_text(word)))
    return {role: frozenset(words) for role, words in hosts.items()}


def _is_lexical(word: str) -> bool:
    """True when ``word`` (folded) is a listed word that starts with clitic-like letters."""
    return word in _exceptions()


def _plausible(stem: str, *, after: str) -> bool:
    """Whether ``stem`` (folded) can stand after a proclitic of role ``after``."""
    if _is_lexical(stem):
        return True
    if after == "article":
        return len(stem) >= 2
    if len(stem) >= 3:
        return True
    return stem in _short_hosts()["prep" if after == "prep" else "conj"]


_FIRST_LETTERS = frozenset("وفبلكسا")
# One analysis: (length, role) per clitic, then the stem is the rest.
_Analysis = tuple[tuple[int, str], ...]


def _analyse(word: str, hamza_mask: int) -> _Analysis:
    """Split ``word`` (normalised, search-folded) into proclitics; ``hamza_mask`` bit i: a hamza alef at i."""
    if len(word) < 3 or word[0] not in _FIRST_LETTERS or _is_lexical(word):
        return ()
    for conj in (1, 0):
        if conj and word[0] not in "وف":
            continue
        rest = word[conj:]
        if conj and _is_lexical(rest):
            return ((1, "conj"),)
        head: _Analysis = ((1, "conj"),) if conj else ()
        # future س + imperfective verb (never after a preposition or article)
        if (
            len(rest) >= 4
            and rest[0] == "س"
            and (rest[1] in "يتن" or (rest[1] == "ا" and hamza_mask & (1 << (conj + 1))))
            and not _is_lexical(rest)
            and not rest.endswith(("ه", "ات"))  # a verb never ends in ta marbuta or the plural ات
        ):
            return (*head, (1, "future"))
        for prep in (1, 0):
            if prep and rest[0] not in "بلك":
                continue
            after_prep = rest[prep:]
            if prep and _is_lexical(after_prep):
                if len(after_prep) >= 2:
                    return (*head, (1, "prep"))
                continue
            position = conj + prep
            # the article: ال, or the contraction لل after the preposition ل
            if prep and rest[0] == "ل":
                if after_prep.startswith("ل") and _plausible(after_prep[1:], after="article"):
                    return (*head, (1, "prep"), (1, "article"))
            elif (
                after_prep.startswith("ال")
                and not hamza_mask & (1 << position)
                and not _is_lexical(after_prep)
                and _plausible(after_prep[2:], after="article")
            ):
                return (*head, *(((1, "prep"),) if prep else ()), (2, "article"))
            if prep and _plausible(after_prep, after="prep"):
                return (*head, (1, "prep"))
        if conj and _plausible(rest, after="conj"):
            return head
    return ()


def _hamza_mask(normalised: Normalised, start: int, word: str) -> int:
    # Only needed where an article or a hamzated imperfective prefix could start: the first three letters.
    mask = 0
    original = normalised.original
    for i in range(min(3, len(word))):
        if word[i] == "ا" and original[normalised.original_index(start + i)] in _HAMZA_ALEFS:
            mask |= 1 << i
    return mask


# A plain dict in front of the lru_cache: word -> () when the word has no clitic and no hamza
# question, else (its template without hamza information, whether a hamza alef could change it).
_PLANS: dict[str, tuple[Any, ...]] = {}
_TEMPLATE_CACHE_SIZE = 300_000


def _plan(norm: str) -> tuple[Any, ...]:
    if len(norm) < 3:
        return ()
    template = _template(norm, 0)
    # A hamza alef at the article's or a future prefix's place can change the analysis.
    hamza_sensitive = bool(template) or "سا" in norm[:4]
    return (template, hamza_sensitive) if (template or hamza_sensitive) else ()


@lru_cache(maxsize=20_000)
def _template(norm: str, hamza_mask: int) -> _Template:
    analysis = _analyse(_fold(norm), hamza_mask)
    if not analysis:
        return ()
    pieces: list[tuple[int, int, str, str]] = []
    at = 0
    for length, role in analysis:
        piece_norm = "ال" if role == "article" and length == 1 else norm[at : at + length]
        pieces.append((at, at + length, piece_norm, role))
        at += length
    pieces.append((at, len(norm), norm[at:], "stem"))
    return tuple(pieces)


def _segments_mapped(
    normalised: Normalised, start: int, token_end: int, template: _Template
) -> tuple[Segment, ...]:
    """Segments of a word whose view and original differ inside it (marks, tatweel, ligatures)."""
    segments: list[Segment] = []
    original_start = normalised.original_index(start)
    last = len(template) - 1
    for index, (rel_start, rel_end, norm, role) in enumerate(template):
        if index < last:
            # marks and tatweel between two segments belong to the earlier one
            stop = normalised.to_original(start + rel_start, start + rel_end)[1]
            if stop > normalised.original_index(start + rel_end):
                return ()  # a ligature spans the boundary: keep the word whole
        else:
            stop = token_end
        segments.append(_tuple_new(Segment, (original_start, stop, norm, role)))
        original_start = stop
    return tuple(segments)


_MARK_KINDS: dict[str, str] = {}


def _mark_kind(char: str) -> str:
    kind = _MARK_KINDS.get(char)
    if kind is None:
        kind = "punct" if unicodedata.category(char).startswith("P") else "symbol"
        if len(_MARK_KINDS) < 10_000:
            _MARK_KINDS[char] = kind
    return kind


def tokenise(text: str, *, normalised: Normalised | None = None) -> list[Token]:
    """Split ``text`` into tokens with original offsets; Arabic words carry their clitic segments.

    ``normalised`` is ``normalise(text)`` when the caller already has it (the view's folding is
    reused, so a ``search=True`` view gives search-form norms).
    """
    if normalised is None:
        normalised = normalise(text)
    # This loop runs for every token of every article: offsets are mapped inline, not via methods.
    starts = normalised._starts
    attaching = normalised._attaching
    simple_words = not normalised._expanded
    original = normalised.original
    length = len(original)
    tokens: list[Token] = []
    append = tokens.append
    last_end = 0
    plans = _PLANS
    mark_kinds = _MARK_KINDS
    new = _tuple_new
    for match in _TOKEN_RE.finditer(normalised.text):
        kind = match.lastgroup or "other"
        start, end = match.span()
        norm = match.group()
        if starts is None:
            original_start, original_end = start, end
        else:
            original_start = starts[start]
            original_end = starts[end - 1] + 1
            while original_end < length and original[original_end] in attaching:
                original_end += 1
        pieces: tuple[Any, ...] = ()
        if kind == "word":
            # One dict lookup for most words: () means "no clitic, nothing to check".
            entry = plans.get(norm)
            if entry is None:
                entry = _plan(norm)
                if len(plans) >= _TEMPLATE_CACHE_SIZE:
                    plans.clear()
                plans[norm] = entry
            if entry:
                template, hamza_sensitive = entry
                if hamza_sensitive and not _HAMZA_ALEFS.isdisjoint(original[original_start:original_end]):
                    template = _template(norm, _hamza_mask(normalised, start, norm))
                if template:
                    if simple_words and original_end - original_start == end - start:
                        pieces = template
                    else:
                        pieces = _segments_mapped(normalised, start, original_end, template)
        elif kind == "other":
            kind = mark_kinds.get(norm) or _mark_kind(norm)
        if original_start < last_end:
            # One source character produced several view words (a ligature such as ﷺ): merge them.
            previous = tokens.pop()
            last_end = max(previous.end, original_end)
            surface = text[previous.start : last_end]
            append(new(Token, (previous.start, last_end, normalise_text(surface), previous.kind, ())))
            continue
        append(new(Token, (original_start, original_end, norm, kind, pieces)))
        last_end = original_end
    return tokens


def scan(normalised: Normalised) -> list[tuple[int, int, str]]:
    """View-offset tokens ``(start, end, kind)`` of a normalised text, for matchers that work in the view."""
    spans = []
    for match in _TOKEN_RE.finditer(normalised.text):
        kind = match.lastgroup or "other"
        spans.append((match.start(), match.end(), kind))
    return spans
