"""Gregorian month names in all three Arabic systems (يناير، كانون الثاني، جانفي) and where they occur.

Names are matched in the normalised view with up to two proclitics stripped (في يناير، بكانون،
وفبراير); a match covers the name only, without its proclitics. Two-word names (كانون الثاني،
تشرين الأول, also without the article: تشرين أول) are one match; كانون or تشرين alone is none.
Names that are also common words (آب/أب، مارس، نيسان، ماي، جوان، أوت; see ``months.tsv``) count
only with a day number (1-31) right before, a year (four digits) right after, or شهر right before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from marsad.text._resources import data_lines
from marsad.text.normalise import Normalised, normalise, normalise_text
from marsad.text.tokenise import scan

__all__ = ["find_months", "month_number"]

_CLITIC_LETTERS = "وفبلك"
_SPACES_RE = re.compile(r"\s+")
_YEAR_RE = re.compile(r"[12]\d{3}")


def _fold(text: str) -> str:
    return text.replace("ة", "ه")


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, tuple[int, bool]], dict[str, dict[str, int]]]:
    """Single-word names -> (month, ambiguous); first word -> {second word -> month} for two-word names."""
    single: dict[str, tuple[int, bool]] = {}
    double: dict[str, dict[str, int]] = {}
    for line in data_lines("months.tsv"):
        fields = line.split("\t")
        month = int(fields[0])
        name = _fold(normalise_text(fields[1], search=True))
        ambiguous = len(fields) > 2 and fields[2] == "ambiguous"
        words = name.split()
        if len(words) == 1:
            single[name] = (month, ambiguous)
        else:
            first, second = words
            seconds = double.setdefault(first, {})
            seconds[second] = month
            if second.startswith("ال"):
                seconds[second[2:]] = month  # تشرين أول
    return single, double


def _strip_clitics(word: str, names: Mapping[str, object]) -> tuple[int, str] | None:
    """(proclitic length, name) when ``word`` is a listed name after at most two proclitics."""
    for prefix in range(3):
        if prefix and (len(word) - prefix < 2 or word[prefix - 1] not in _CLITIC_LETTERS):
            return None
        if word[prefix:] in names:
            return prefix, word[prefix:]
    return None


def month_number(word: str) -> int | None:
    """The month (1-12) named by ``word`` (one name, proclitics or a leading في allowed), else None."""
    words = _SPACES_RE.split(_fold(normalise_text(word, search=True)).strip())
    if words and words[0] == "في" and len(words) > 1:
        words = words[1:]
    single, double = _table()
    if len(words) == 1:
        found = _strip_clitics(words[0], single)
        return single[found[1]][0] if found else None
    if len(words) == 2:
        found = _strip_clitics(words[0], double)
        if found:
            return double[found[1]].get(words[1])
    return None


def _day_number(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 31


def find_months(text: str, *, normalised: Normalised | None = None) -> list[tuple[int, int, int]]:
    """Month names in ``text`` as ``(start, end, month)`` with original offsets, in order."""
    if normalised is None:
        normalised = normalise(text)
    view = normalised.text
    single, double = _table()
    tokens = scan(normalised)
    found: list[tuple[int, int, int]] = []
    skip_to = -1
    for index, (start, end, kind) in enumerate(tokens):
        if index <= skip_to or kind != "word":
            continue
        word = _fold(view[start:end])
        pair = _strip_clitics(word, double)
        if pair and index + 1 < len(tokens) and tokens[index + 1][2] == "word":
            next_start, next_end, _ = tokens[index + 1]
            month = double[pair[1]].get(_fold(view[next_start:next_end]))
            if month is not None:
                found.append((*normalised.to_original(start + pair[0], next_end), month))
                skip_to = index + 1
                continue
        hit = _strip_clitics(word, single)
        if hit is None:
            continue
        month, ambiguous = single[hit[1]]
        if ambiguous:
            before = view[tokens[index - 1][0] : tokens[index - 1][1]] if index else ""
            after = view[tokens[index + 1][0] : tokens[index + 1][1]] if index + 1 < len(tokens) else ""
            if not (_day_number(before) or _YEAR_RE.fullmatch(after) or _fold(before) in ("شهر", "لشهر")):
                continue
        found.append((*normalised.to_original(start + hit[0], end), month))
    return found
