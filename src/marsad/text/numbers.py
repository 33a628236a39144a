"""Numbers written in digits, in words, or both ("3 مليار", "خمسة وعشرون", "مليون ونصف").

Matching runs over the normalised view (so ٣٫٥ reads as 3.5 and ألفاً as الفا) and reports original
offsets. A number word may carry one or two proclitics (وعشرون، بخمسة، وبثلاثة); they join the
expression when it is و inside it and are left out of the span at its start. Words with the article
(الخمسة، الاثنين = Monday) are not read as numbers, and a lone fraction (نصف الطلاب) is not a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from marsad.text._resources import data_lines
from marsad.text.normalise import Normalised, normalise, normalise_text
from marsad.text.tokenise import scan

__all__ = ["NumberMatch", "find_numbers", "parse_number"]

_CLITIC_LETTERS = "وفبلك"
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DECIMAL_RE = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number expression: original offsets, its value, and whether digits, words or both wrote it."""

    start: int
    end: int
    value: int | float
    form: str


@dataclass(frozen=True, slots=True)
class _Item:
    view_start: int  # after any proclitic
    view_end: int
    value: float
    kind: str  # digits, or a kind of number_words.tsv
    joined: bool  # carries the conjunction و


def _fold(word: str) -> str:
    return word.replace("ة", "ه")


@lru_cache(maxsize=1)
def _words() -> dict[str, tuple[float, str]]:
    table: dict[str, tuple[float, str]] = {}
    for line in data_lines("number_words.tsv"):
        form, value, kind = line.split("\t")
        table[_fold(normalise_text(form, search=True))] = (float(value), kind)
    return table


def _digits_value(text: str) -> float | None:
    if _THOUSANDS_RE.fullmatch(text):
        return float(text.replace(",", ""))
    if _DECIMAL_RE.fullmatch(text):
        return float(text.replace(",", "."))  # a single comma is a decimal comma (3,5)
    return None


def _word_item(word: str, start: int) -> _Item | None:
    table = _words()
    folded = _fold(word)
    for prefix in range(3):
        # a stripped proclitic must leave three letters: لست ("I am not") is not ل + ست
        if prefix and (len(folded) < prefix + 3 or folded[prefix - 1] not in _CLITIC_LETTERS):
            return None
        entry = table.get(folded[prefix:])
        if entry is not None:
            return _Item(start + prefix, start + len(word), entry[0], entry[1], "و" in folded[:prefix])
    return None


def _joins(previous: _Item, item: _Item) -> bool:
    """Whether ``item`` continues the expression that ended with ``previous``."""
    if item.kind == "digits":
        return False
    if previous.kind == "digits":
        return item.kind == "scale" and not item.joined
    if item.joined:
        if item.kind == "fraction":
            return previous.kind in ("scale", "dual", "unit", "ten", "tens", "hundreds", "hundred")
        return item.kind not in ("teen_unit",) and previous.kind != "fraction"
    if item.kind == "ten":
        return previous.kind in ("unit", "teen_unit")
    if item.kind == "hundred":
        return previous.kind == "unit" and 3 <= previous.value <= 9
    if item.kind == "scale":
        return previous.kind not in ("scale", "dual")
    return False


def _value(items: list[_Item]) -> float | None:
    total = 0.0
    current = 0.0
    last_scale = 0.0
    previous: _Item | None = None
    for item in items:
        kind = item.kind
        if kind == "hundred" and previous is not None and previous.kind == "unit" and not item.joined:
            current += previous.value * 99  # ثلاث مئة: the unit becomes hundreds
        elif kind == "scale":
            total += (current or 1.0) * item.value
            current = 0.0
            last_scale = item.value
        elif kind == "dual":
            total += item.value
            last_scale = item.value / 2
        elif kind == "fraction" and item.joined and last_scale and not current:
            total += item.value * last_scale  # مليون ونصف
        else:
            current += item.value
        previous = item
    if items[0].kind == "teen_unit" and (len(items) < 2 or items[1].kind != "ten"):
        return None
    if all(item.kind == "fraction" for item in items):
        return None
    return total + current


def _as_number(value: float, exact: bool) -> int | float:
    return int(value) if exact and value == int(value) else value


def find_numbers(text: str, *, normalised: Normalised | None = None) -> list[NumberMatch]:
    """All number expressions in ``text``, in order, with original offsets."""
    if normalised is None:
        normalised = normalise(text)
    view = normalised.text
    items: list[_Item | None] = []
    for start, end, kind in scan(normalised):
        if kind == "number":
            value = _digits_value(view[start:end])
            items.append(None if value is None else _Item(start, end, value, "digits", False))
        elif kind == "word":
            items.append(_word_item(view[start:end], start))
        else:
            items.append(None)
    matches: list[NumberMatch] = []
    group: list[_Item] = []
    for item in [*items, None]:
        if item is not None and group and _joins(group[-1], item):
            group.append(item)
            continue
        if group:
            match = _match(normalised, group)
            if match is not None:
                matches.append(match)
        group = [item] if item is not None else []
    return matches


def _match(normalised: Normalised, group: list[_Item]) -> NumberMatch | None:
    value = _value(group)
    if value is None:
        return None
    has_digits = any(item.kind == "digits" for item in group)
    has_words = any(item.kind != "digits" for item in group)
    form = "mixed" if has_digits and has_words else "digits" if has_digits else "words"
    exact = not (
        has_digits and not has_words and "." in normalised.text[group[0].view_start : group[0].view_end]
    )
    start, end = normalised.to_original(group[0].view_start, group[-1].view_end)
    return NumberMatch(start, end, _as_number(value, exact), form)


def parse_number(expression: str) -> int | float | None:
    """The value of ``expression`` when it is one number (proclitics and spaces aside), else None."""
    normalised = normalise(expression)
    matches = find_numbers(expression, normalised=normalised)
    if len(matches) != 1:
        return None
    match = matches[0]
    outside = normalise_text(expression[: match.start] + expression[match.end :]).strip()
    if outside and not (len(outside) <= 2 and all(char in _CLITIC_LETTERS for char in outside)):
        return None
    return match.value
