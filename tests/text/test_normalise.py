"""The normaliser: folding rules, the offset map, and its invariants (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marsad.text.normalise import normalise, normalise_text


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("أحمد إبراهيم آمنة ٱلله", "احمد ابراهيم امنة الله"),
        ("ٲ ٳ ٵ", "ا ا ا"),
        ("مستشفى", "مستشفي"),
        ("مؤتمر رئيس", "موتمر رييس"),
        ("جزء", "جزء"),
        ("مدرسة", "مدرسة"),
        ("كتـــاب", "كتاب"),
        ("مُحَمَّدٌ", "محمد"),
        ("رحمٰن", "رحمن"),
        ("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"),
        ("٣٫٥ ١٬٢٠٠", "3.5 1,200"),
        ("ﻻ ﺃﺣﻤﺪ", "لا احمد"),
        ("ﷲ", "الله"),
        ("a\u200bb\u200fc\u202ad\u2066e\ufefff\u061cg\u00adh", "abcdefgh"),
        ("Hello WORLD", "Hello WORLD"),
        ("ی ک", "ي ك"),
    ],
)
def test_view(text: str, view: str) -> None:
    assert normalise_text(text) == view
    assert normalise(text).text == view


@pytest.mark.parametrize(
    ("text", "view"),
    [("مدرسة", "مدرسه"), ("Hello WORLD", "hello world"), ("Straße", "strasse"), ("الأمريكيّة", "الامريكيه")],
)
def test_search_view(text: str, view: str) -> None:
    assert normalise_text(text, search=True) == view
    assert normalise(text, search=True).text == view


def test_original_is_kept() -> None:
    text = "قَالَ الرَّئِيسُ"
    assert normalise(text).original == text


def test_map_skips_diacritics() -> None:
    text = "مُحَمَّد"
    n = normalise(text)
    assert n.text == "محمد"
    assert [n.original_index(i) for i in range(4)] == [0, 2, 4, 7]
    assert n.original_index(4) == len(text)
    # marks on the last letter of a span come with it; the whole view maps to the whole original
    assert n.to_original(0, 4) == (0, len(text))
    assert n.to_original(1, 2) == (2, 4)  # ح and its fatha
    assert n.to_original(2, 2) == (4, 4)


def test_trailing_control_is_not_included() -> None:
    n = normalise("ب\u200bت")
    assert n.to_original(0, 1) == (0, 1)
    assert n.to_original(0, 2) == (0, 3)


def test_ligature_maps_both_view_chars_into_it() -> None:
    n = normalise("xﻻy")
    assert n.text == "xلاy"
    assert n.to_original(1, 2) == (1, 2)
    assert n.to_original(2, 3) == (1, 2)
    assert n.to_original(1, 3) == (1, 2)


def test_bad_span_raises() -> None:
    n = normalise("abc")
    with pytest.raises(IndexError):
        n.to_original(2, 1)
    with pytest.raises(IndexError):
        n.original_index(4)


_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآٱىؤئة")
    + [chr(c) for c in range(0x064B, 0x0653)]
    + ["\u0670", "\u06d6", "\u06ed", "ـ", "ﻻ", "ﷲ", "ﷺ", "\ufe70", "\ufe71", "ﺃ", "ﻷ"]
    + list("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789٫٬")
    + ["\u200b", "\u200c", "\u200f", "\u202b", "\u2067", "\ufeff", "\u061c", "\u00ad"]
    + list('abcXYZßİ .,!?؟،؛«»"\n')
)
_TEXTS = st.text(_ALPHABET, max_size=40) | st.text(max_size=20)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.booleans())
def test_idempotent(text: str, search: bool) -> None:
    view = normalise(text, search=search).text
    assert normalise(view, search=search).text == view
    assert normalise_text(view, search=search) == view
    assert normalise_text(text, search=search) == view


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.booleans())
def test_map_is_monotonic_and_inside(text: str, search: bool) -> None:
    n = normalise(text, search=search)
    indices = [n.original_index(i) for i in range(len(n.text) + 1)]
    assert indices == sorted(indices)
    assert indices[-1] == len(text)
    for i in range(len(n.text)):
        start, end = n.to_original(i, i + 1)
        assert 0 <= start < end <= len(text)


def _boundaries(n: object, size: int) -> list[int]:
    # view offsets that fall between source characters (not inside a ligature's expansion)
    return [i for i in range(size + 1) if i in (0, size) or n.original_index(i) != n.original_index(i - 1)]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.booleans(), st.data())
def test_span_round_trip(text: str, search: bool, data: st.DataObject) -> None:
    n = normalise(text, search=search)
    cuts = _boundaries(n, len(n.text))
    start = data.draw(st.sampled_from(cuts))
    end = data.draw(st.sampled_from([c for c in cuts if c >= start]))
    o_start, o_end = n.to_original(start, end)
    assert 0 <= o_start <= o_end <= len(text)
    assert normalise_text(text[o_start:o_end], search=search) == n.text[start:end]


@given(_TEXTS, st.booleans())
def test_chained_replacements_equal_one_simultaneous_translation(text: str, search: bool) -> None:
    # The fast view applies substitutions one pair at a time; that must equal str.translate.
    from marsad.text import normalise as module

    tables = module._tables(search)
    if tables.expanding_re is not None and tables.expanding_re.search(text):
        return
    assert module._view(text, tables) == text.translate(tables.table)
