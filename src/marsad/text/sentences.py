"""Paragraph and sentence spans (half-open original offsets, trimmed of surrounding whitespace).

Paragraph rule: a blank line always ends a paragraph. A single line break ends one when the line
before it ends a sentence (. ! ? ؟ … or : , optionally followed by closing quotes or brackets) or
the next line starts a list item (- • * · or a number followed by ``.`` or ``)``); otherwise
the break is a wrapped line inside the paragraph.

Sentence rule: sentences never cross a paragraph. One ends after a run of . ! ? ؟ … (and any
closing quotes or brackets right after it) when whitespace or the paragraph end follows. Not at
a dot inside a number (3.5) or a word (www.spa.gov.sa), not after an abbreviation (one letter
such as د. م. ج., dotted letters such as U.S. ش.م.ع أ.ف.ب, an initial after و/ف as in وج. بوش,
or a listed Latin title such as Dr.), and not inside quotes (« » “ ” "…") unless the terminator
closes the quotation. A quote mark that is never closed on its line is ignored.
"""

from __future__ import annotations

import re

__all__ = ["split_paragraphs", "split_sentences"]

_BREAK_RE = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
_CLOSERS = "»”’\"')]}›"
_LINE_END_RE = re.compile(rf"[.!?؟…:][{re.escape(_CLOSERS)}]*\s*$")
_LIST_ITEM_RE = re.compile(r"\s*(?:[-•*·▪–—]\s|\d{1,3}[.)]\s)")
_TERMINATOR_RE = re.compile(rf"[.!?؟…]+[{re.escape(_CLOSERS)}]*")
_QUOTE_RE = re.compile(r"«[^«»\n]*»|“[^“”\n]*”|\"[^\"\n]*\"")
_MARKS_RE = re.compile("[\u0640\u064b-\u065f\u0670]")
_DOTTED_LETTERS_RE = re.compile(r"^(?:[^\W\d_]\.)*[^\W\d_]$")
# Latin titles and company forms that take a dot mid-sentence ("etc." is left out: it often ends one).
_LATIN_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "inc", "ltd", "co", "corp", "vs", "gen", "col", "lt"}
    | {"sgt", "gov", "sen", "rep", "no", "fig", "vol", "pp"}
)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans of ``text``, in order, trimmed, none empty."""
    lines: list[tuple[int, int]] = []
    position = 0
    for match in _BREAK_RE.finditer(text):
        lines.append((position, match.start()))
        position = match.end()
    lines.append((position, len(text)))

    paragraphs: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    previous_ends_paragraph = False
    for start, end in lines:
        line = text[start:end]
        if not line.strip():
            if current is not None:
                paragraphs.append(current)
                current = None
            continue
        if current is not None and (previous_ends_paragraph or _LIST_ITEM_RE.match(line)):
            paragraphs.append(current)
            current = None
        current = (start, end) if current is None else (current[0], end)
        previous_ends_paragraph = _LINE_END_RE.search(line) is not None
    if current is not None:
        paragraphs.append(current)
    spans = [_trim(text, start, end) for start, end in paragraphs]
    return [(start, end) for start, end in spans if start < end]


def _is_abbreviation(text: str, paragraph_start: int, dot: int) -> bool:
    """Whether the dot at ``dot`` ends an abbreviation rather than a sentence."""
    begin = dot
    while begin > paragraph_start and not text[begin - 1].isspace():
        begin -= 1
    word = _MARKS_RE.sub("", text[begin:dot]).lstrip("(«“\"'[")
    if not word:
        return False
    if _DOTTED_LETTERS_RE.match(word):
        return True
    if len(word) == 2 and word[0] in "وف" and word[1].isalpha():
        return True  # an initial after the conjunction: وج. بوش
    return word.lower() in _LATIN_ABBREVIATIONS


def _sentence_ends(text: str, start: int, end: int) -> list[int]:
    quotes = [match.span() for match in _QUOTE_RE.finditer(text, start, end)]
    ends: list[int] = []
    for match in _TERMINATOR_RE.finditer(text, start, end):
        stop = match.end()
        if stop < end and not text[stop].isspace():
            continue  # 3.5, www.example.com, "!؟" followed by more text
        if match.group() == "." and _is_abbreviation(text, start, match.start()):
            continue
        if any(q_start < match.start() and q_end > stop for q_start, q_end in quotes):
            continue  # inside a quotation that goes on
        ends.append(stop)
    return ends


def split_sentences(text: str, *, paragraphs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text``, in order, trimmed, none empty, each inside one paragraph.

    ``paragraphs`` is ``split_paragraphs(text)`` when the caller already has it.
    """
    sentences: list[tuple[int, int]] = []
    for paragraph_start, paragraph_end in split_paragraphs(text) if paragraphs is None else paragraphs:
        current = paragraph_start
        for stop in [*_sentence_ends(text, paragraph_start, paragraph_end), paragraph_end]:
            start, end = _trim(text, current, stop)
            if start < end:
                sentences.append((start, end))
            current = stop
    return sentences
