"""Arabic normalisation for matching, with an offset map back to the unchanged text.

The view folds spelling variants (alef forms, alef maqsura, hamza carriers, digits, presentation
forms) and drops marks and invisible controls. It is for matching and indexing only; spans found
in the view are mapped back with :meth:`Normalised.to_original` and always point into the original.

Offset-map choice: each view character comes from exactly one source character. A span's end is
extended over the diacritics and tatweel that directly follow its last source character (they are
drawn on that letter, so a highlight without them would cut the glyph); deleted controls (zero-width,
bidi) after the last character are not included. Characters deleted *inside* a span are included.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["Normalised", "normalise", "normalise_text"]

# Marks drawn on the preceding letter: a span ending on that letter takes them along.
_ATTACHING_RANGES = [(0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E8), (0x06EA, 0x06ED)]
_TATWEEL = 0x0640
# Deleted but not attached: Quranic section signs and invisible controls.
_DETACHED_DELETIONS = [0x06DD, 0x06DE, 0x06E9, 0xFEFF, 0x061C, 0x00AD]
_CONTROL_RANGES = [(0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069)]

_ONE_TO_ONE: dict[str, str] = {
    # alef variants (hamza above/below, madda, wasla, wavy hamza forms)
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ٵ": "ا",
    "ى": "ي",  # alef maqsura
    "ؤ": "و",
    "ئ": "ي",
    # Persian yeh and keheh are typed for ي and ك on Persian keyboards; fold them so words match.
    "ی": "ي",
    "ک": "ك",
    "٫": ".",
    "٬": ",",
}
for _d in range(10):
    _ONE_TO_ONE[chr(0x0660 + _d)] = str(_d)
    _ONE_TO_ONE[chr(0x06F0 + _d)] = str(_d)


def _expand_ranges(ranges: list[tuple[int, int]]) -> list[str]:
    return [chr(c) for lo, hi in ranges for c in range(lo, hi + 1)]


_ATTACHING_MARKS = set(_expand_ranges(_ATTACHING_RANGES)) | {chr(_TATWEEL)}
_DELETED = _ATTACHING_MARKS | {chr(c) for c in _DETACHED_DELETIONS} | set(_expand_ranges(_CONTROL_RANGES))


@dataclass(frozen=True, slots=True)
class _Tables:
    table: dict[int, str | None]  # for str.translate: 1:1 substitutions and deletions
    expanding: dict[str, str]  # characters whose view is two or more characters
    expanding_re: re.Pattern[str] | None
    deletable_re: re.Pattern[str]
    attaching: frozenset[str]  # deleted characters that belong to the preceding character
    # The same 1:1 substitutions as ``table``, for chained str.replace: a scan per pair is cheaper
    # than str.translate's per-character dictionary lookup on non-ASCII text (2.6x here).
    replacements: tuple[tuple[str, str], ...]
    deletable_runs_re: re.Pattern[str]


def _char_class(chars: set[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


# Characters that most Arabic news text contains, checked first.
_COMMON = "أإآىؤئة٠١٢٣٤٥٦٧٨٩"


def _frequency(pair: tuple[str, str]) -> tuple[int, str]:
    position = _COMMON.find(pair[0])
    return (position if position >= 0 else len(_COMMON), pair[0])


def _view(text: str, tables: _Tables) -> str:
    """The normalised view of a text without expanding characters (same as ``translate``)."""
    if tables.deletable_re.search(text) is not None:
        text = tables.deletable_runs_re.sub("", text)
    for source, target in tables.replacements:
        if source in text:
            text = text.replace(source, target)
    return text


def _build(*, search: bool) -> _Tables:
    base: dict[str, str] = dict(_ONE_TO_ONE)
    if search:
        base["ة"] = "ه"
    deleted = set(_DELETED)

    def fold(value: str) -> str:
        return "".join(base.get(c, "" if c in deleted else c) for c in value)

    expanding: dict[str, str] = {}
    attaching = set(_ATTACHING_MARKS)
    # Presentation forms are only visual variants: NFKC gives the letters, then the same folding.
    for lo, hi in ((0xFB50, 0xFDFF), (0xFE70, 0xFEFE)):
        for code in range(lo, hi + 1):
            char = chr(code)
            compat = unicodedata.normalize("NFKC", char)
            if compat == char:
                continue
            view = fold(compat)
            if len(view) == 1:
                base[char] = view
            elif not view:
                deleted.add(char)
                attaching.add(char)  # isolated forms of harakat and tatweel-with-mark
            else:
                expanding[char] = view
    if search:
        for code in list(range(0x41, 0x250)) + list(range(0x1E00, 0x1F00)):
            char = chr(code)
            if not char.isalpha():
                continue
            folded = char.casefold()
            if folded == char:
                continue
            if len(folded) == 1:
                base[char] = folded
            else:
                expanding[char] = folded
    table: dict[int, str | None] = {ord(c): v for c, v in base.items()}
    table.update({ord(c): None for c in deleted})
    return _Tables(
        table=table,
        expanding=expanding,
        expanding_re=re.compile(_char_class(set(expanding))) if expanding else None,
        deletable_re=re.compile(_char_class(deleted)),
        attaching=frozenset(attaching),
        # Frequent pairs first; outputs are fixed points of the mapping, so chaining is safe.
        replacements=tuple(
            sorted(((c, v) for c, v in base.items() if len(c) == 1 and c != v), key=_frequency)
        ),
        deletable_runs_re=re.compile(_char_class(deleted) + "+"),
    )


_PLAIN = _build(search=False)
_SEARCH = _build(search=True)


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised view of ``original`` and the map from view offsets back to it."""

    text: str
    original: str
    # view index -> start offset of its source character; None means the identity map
    _starts: list[int] | None = field(default=None, repr=False, compare=False)
    _attaching: frozenset[str] = field(default=_PLAIN.attaching, repr=False, compare=False)
    # True when some source character gave two or more view characters (a ligature)
    _expanded: bool = field(default=False, repr=False, compare=False)

    def original_index(self, i: int) -> int:
        """Start offset in ``original`` of view character ``i``; ``len(text)`` maps to ``len(original)``."""
        if not 0 <= i <= len(self.text):
            raise IndexError(f"view index {i} outside 0..{len(self.text)}")
        if i == len(self.text):
            return len(self.original)
        return i if self._starts is None else self._starts[i]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open view span ``[start, end)`` to the half-open original span it comes from.

        Marks and tatweel right after the last character are included; trailing controls are not.
        """
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"view span [{start}, {end}) outside 0..{len(self.text)}")
        first = self.original_index(start)
        if start == end:
            return first, first
        if self._starts is None:
            return first, end
        stop = self._starts[end - 1] + 1
        original = self.original
        attaching = self._attaching
        while stop < len(original) and original[stop] in attaching:
            stop += 1
        return first, stop

    def to_view(self, offset: int) -> int:
        """The first view index whose source character starts at or after ``offset`` in the original."""
        if not 0 <= offset <= len(self.original):
            raise IndexError(f"offset {offset} outside 0..{len(self.original)}")
        if self._starts is None:
            return offset
        from bisect import bisect_left

        return bisect_left(self._starts, offset)


def _tables(search: bool) -> _Tables:
    return _SEARCH if search else _PLAIN


def normalise(text: str, *, search: bool = False) -> Normalised:
    """Normalise ``text`` for matching; ``search`` also folds ta marbuta to ha and casefolds Latin.

    Returns the view and its offset map; the original text is kept unchanged in the result.
    """
    tables = _tables(search)
    if tables.expanding_re is None or tables.expanding_re.search(text) is None:
        view = _view(text, tables)
        if len(view) == len(text):
            return Normalised(view, text, None, tables.attaching)
        # Only deletions happened: the view keeps every other character, in order.
        starts: list[int] = []
        previous = 0
        for match in tables.deletable_re.finditer(text):
            starts.extend(range(previous, match.start()))
            previous = match.start() + 1
        starts.extend(range(previous, len(text)))
        return Normalised(view, text, starts, tables.attaching)
    return _normalise_slow(text, tables)


def _normalise_slow(text: str, tables: _Tables) -> Normalised:
    # An expanding character is present (a ligature): walk the text once, character by character.
    table = tables.table
    expanding = tables.expanding
    parts: list[str] = []
    starts: list[int] = []
    for index, char in enumerate(text):
        view = expanding.get(char)
        if view is None:
            code = ord(char)
            view = table.get(code, char)
            if view is None:
                continue
        parts.append(view)
        starts.extend([index] * len(view))
    return Normalised("".join(parts), text, starts, tables.attaching, True)


def normalise_text(text: str, *, search: bool = False) -> str:
    """The same view as :func:`normalise`, without the offset map."""
    tables = _tables(search)
    if tables.expanding_re is None or tables.expanding_re.search(text) is None:
        return _view(text, tables)
    return _normalise_slow(text, tables).text
